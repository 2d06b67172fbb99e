"""Paystack through a thin ``httpx`` client (no maintained official Python SDK exists).

Initialize a transaction and send the shopper to its ``authorization_url``; verify by our
reference; refunds through ``POST /refund``; webhooks signed with HMAC-SHA512 of the raw body
keyed by the secret key (``x-paystack-signature``, hex). Amounts are in the currency's subunit
on the wire, as on our side.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from .base import (
    Capabilities,
    EventKind,
    InvalidSignature,
    NextStep,
    NextStepKind,
    PaymentRequest,
    PaymentStatus,
    ProviderError,
    ProviderEvent,
    ProviderPayment,
    ProviderRefund,
    ProviderUnavailable,
    Unsupported,
    header,
    json_object,
    parse_time,
)

log = logging.getLogger(__name__)

NAME = "paystack"
SIGNATURE_HEADER = "x-paystack-signature"
# Paystack's own words for a transaction, in ours. "abandoned" is what an initialized but unpaid
# transaction reports: the shopper may still pay, so it stays pending until our hold lapses.
# "reversed" means the money went back: never paid from our side.
STATUSES = {
    "success": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "abandoned": PaymentStatus.PENDING,
    "ongoing": PaymentStatus.PENDING,
    "pending": PaymentStatus.PENDING,
    "processing": PaymentStatus.PENDING,
    "queued": PaymentStatus.PENDING,
    "reversed": PaymentStatus.CANCELED,
}
LIST_PAGES = 10  # of 100 refunds each: more for one payment is not a list to trust
REFUND_STATUSES = {"pending": "pending", "processing": "pending", "needs-attention": "pending",
                   "processed": "succeeded", "failed": "failed"}
EVENTS = {
    "charge.success": EventKind.PAYMENT_SUCCEEDED,
    "refund.processed": EventKind.REFUND_SUCCEEDED,
    "refund.failed": EventKind.REFUND_FAILED,
}


def signature(body: bytes, secret_key: str) -> str:
    """The ``x-paystack-signature`` Paystack sends for ``body``."""
    return hmac.new(secret_key.encode(), body, hashlib.sha512).hexdigest()


def _amount(value: Any) -> int:
    # Paystack's refund events carry the amount as a string ("5000"), charges as a number.
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ProviderError(f"Paystack sent an amount that is not whole: {value!r}",
                            code="malformed_response")
    if isinstance(value, str) and not value.isdigit():
        raise ProviderError(f"Paystack sent an amount that is not whole: {value!r}",
                            code="malformed_response")
    return int(value)


class PaystackProvider:
    """One Paystack integration (one secret key)."""

    name = NAME
    capabilities = Capabilities(manual_capture=False, partial_refunds=True,
                                currencies=frozenset({"NGN", "GHS", "ZAR", "KES", "USD"}))

    def __init__(self, *, secret_key: str, api_base: str, timeout: float = 10.0):
        if not secret_key:
            raise ValueError("PAYSTACK_SECRET_KEY is empty")
        self._secret_key = secret_key
        self._client = httpx.Client(
            base_url=api_base.rstrip("/"), timeout=timeout,
            headers={"Authorization": f"Bearer {secret_key}", "Accept": "application/json"})

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, body: dict | None = None) -> dict[str, Any]:
        data = self._request(method, path, body=body)
        if not isinstance(data, dict):
            raise ProviderError("Paystack answered without data", code="malformed_response")
        return data

    def _request(self, method: str, path: str, *, body: dict | None = None,
                 params: dict | None = None, whole: bool = False) -> Any:
        """The answer's ``data`` (``whole``: the answer, with a list's ``meta``)."""
        try:
            response = self._client.request(method, path, json=body, params=params)
        except httpx.TransportError as exc:
            raise ProviderUnavailable(f"Paystack unreachable: {exc.__class__.__name__}",
                                      code="provider_unreachable") from exc
        try:
            payload = response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"Paystack answered {response.status_code} without JSON",
                                      status=response.status_code) from exc
        if response.status_code >= 500:
            raise ProviderUnavailable(str(payload.get("message") or "Paystack error"),
                                      status=response.status_code)
        if payload.get("status") is not True:
            log.info("paystack refused %s %s", method, path.split("/")[1],
                     extra={"status": response.status_code, "code": payload.get("code")})
            raise ProviderError(str(payload.get("message") or "Paystack refused the request"),
                                code=str(payload.get("code") or "provider_error"),
                                status=response.status_code)
        return payload if whole else payload.get("data")

    def start_payment(self, request: PaymentRequest) -> NextStep:
        metadata = dict(request.metadata)
        if request.cancel_url:
            # Paystack's checkout sends a shopper who closes it to metadata.cancel_action.
            metadata["cancel_action"] = request.cancel_url
        data = self._call("POST", "/transaction/initialize", {
            "email": request.email,
            "amount": request.amount,
            "currency": request.currency.upper(),
            "reference": request.reference,
            "callback_url": request.return_url,
            "metadata": metadata,
        })
        return NextStep(NextStepKind.REDIRECT, redirect_url=str(data["authorization_url"]),
                        provider_reference=str(data.get("access_code") or ""))

    def fetch_payment(self, reference: str) -> ProviderPayment:
        try:
            data = self._call("GET", f"/transaction/verify/{quote(reference, safe='')}")
        except ProviderError as exc:
            if exc.code != "transaction_not_found":
                raise
            return ProviderPayment(reference, PaymentStatus.PENDING, None, None, None)
        raw = str(data.get("status"))
        return ProviderPayment(
            reference=str(data["reference"]),
            status=STATUSES.get(raw, PaymentStatus.PENDING),
            amount=_amount(data["amount"]),
            currency=str(data["currency"]),
            provider_reference=str(data["id"]),
            raw_status=raw,
        )

    def capture(self, reference: str, amount: int, *,
                idempotency_key: str | None = None) -> ProviderPayment:
        raise Unsupported("Paystack charges at once: there is nothing to capture",
                          code="unsupported")

    def void(self, reference: str, *, idempotency_key: str | None = None) -> ProviderPayment:
        raise Unsupported("Paystack charges at once: refund instead of voiding",
                          code="unsupported")

    def refund(self, reference: str, amount: int | None, *, currency: str, reason: str = "",
               idempotency_key: str | None = None,
               metadata: Mapping[str, str] | None = None) -> ProviderRefund:
        # No idempotency key here: the ledger's pending row keeps a refund from being sent
        # twice (services/refunds/provider_refunds.py).
        body: dict[str, Any] = {"transaction": reference, "currency": currency.upper()}
        if amount is not None:
            body["amount"] = amount
        if reason:
            body["merchant_note"] = reason
        data = self._call("POST", "/refund", body)
        return ProviderRefund(
            refund_id=str(data["id"]), reference=reference, amount=_amount(data["amount"]),
            currency=str(data["currency"]),
            status=REFUND_STATUSES.get(str(data.get("status")), "pending"))

    def fetch_refund(self, refund_id: str, *, reference: str, currency: str) -> ProviderRefund:
        """A refund by its id (``GET /refund/:id``): how it ended, for webhooks and
        reconciliation (a refund event is only a hint)."""
        data = self._call("GET", f"/refund/{quote(refund_id, safe='')}")
        return ProviderRefund(
            refund_id=str(data["id"]), reference=reference, amount=_amount(data["amount"]),
            currency=str(data.get("currency") or currency),
            status=REFUND_STATUSES.get(str(data.get("status")), "pending"))

    def list_refunds(self, reference: str, *, currency: str) -> list[ProviderRefund]:
        """The refunds of our payment ``reference`` (``GET /refund?transaction=``), newest first,
        with the note we sent (``merchant_note``): how a lost refund answer is found again."""
        data: list[dict[str, Any]] = []
        for page in range(1, LIST_PAGES + 1):
            payload = self._request("GET", "/refund", params={
                "transaction": reference, "currency": currency.upper(), "perPage": 100,
                "page": page}, whole=True)
            if not isinstance(payload.get("data"), list):
                raise ProviderError("Paystack listed no refunds", code="malformed_response")
            data += payload["data"]
            if page >= int((payload.get("meta") or {}).get("pageCount") or 1):
                break
        else:
            # A list we could not read to its end must not pass for "not refunded".
            raise ProviderError(f"more than {LIST_PAGES} pages of refunds for {reference}",
                                code="refund_list_incomplete")
        return [ProviderRefund(
            refund_id=str(item["id"]), reference=reference, amount=_amount(item["amount"]),
            currency=str(item.get("currency") or currency),
            status=REFUND_STATUSES.get(str(item.get("status")), "pending"),
            created_at=parse_time(item.get("createdAt")),
            note=str(item.get("merchant_note") or "")) for item in data]

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        sent = header(headers, SIGNATURE_HEADER)
        if not sent:
            raise InvalidSignature(f"no {SIGNATURE_HEADER} header")
        if not hmac.compare_digest(signature(body, self._secret_key), sent.strip().lower()):
            raise InvalidSignature(f"{SIGNATURE_HEADER} does not match the body")
        payload = json_object(body)
        event = str(payload.get("event") or "")
        data = payload.get("data")
        if not isinstance(data, dict):
            data = {}
        # Paystack events carry no id of their own: a charge is keyed by its transaction id, a
        # refund by its refund reference, anything else by the body (a redelivery is identical).
        digest = hashlib.sha256(body).hexdigest()[:32]
        kind = EVENTS.get(event, EventKind.IGNORED)
        if kind is EventKind.PAYMENT_SUCCEEDED:
            return ProviderEvent(NAME, f"{event}:{data.get('id')}", kind, event,
                                 reference=str(data.get("reference")),
                                 amount=_amount(data.get("amount")),
                                 currency=str(data.get("currency")),
                                 provider_reference=str(data.get("id")))
        if kind in (EventKind.REFUND_SUCCEEDED, EventKind.REFUND_FAILED):
            refund_ref = data.get("refund_reference") or digest
            return ProviderEvent(NAME, f"{event}:{refund_ref}", kind, event,
                                 reference=str(data.get("transaction_reference")),
                                 amount=_amount(data.get("amount")),
                                 currency=str(data.get("currency")),
                                 provider_reference=str(refund_ref))
        return ProviderEvent(NAME, f"{event or 'unknown'}:{digest}", EventKind.IGNORED, event,
                             reference=None, amount=None, currency=None)
