"""Flutterwave (API v3) through a thin ``httpx`` client.

The official Python library (rave-python) targets the v2 API; v3 is plain JSON over HTTPS.
Create a Standard payment (``tx_ref`` = our reference) and send the shopper to its link; verify
by reference; refunds through ``POST /v3/transactions/{id}/refund``; webhooks carry the secret
hash set in the dashboard in ``verif-hash`` (a shared secret, not a signature of the body, so
an event is only ever a hint: the verify call is the truth).

Flutterwave's amounts are decimal major units on the wire (``"75.00"`` NGN); we convert at this
edge and refuse an amount that is not a whole number of minor units.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from ..domain.money import minor_exponent, minor_to_decimal
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

NAME = "flutterwave"
API_VERSION = "v3"
HASH_HEADER = "verif-hash"
NOT_FOUND = "No transaction was found"
STATUSES = {
    "successful": PaymentStatus.SUCCEEDED,
    "failed": PaymentStatus.FAILED,
    "pending": PaymentStatus.PENDING,
    "cancelled": PaymentStatus.CANCELED,
}
# Pages of 20 refunds read at most; if the ``id`` filter were ignored, every refund of the
# account would be listed and the client filters by ``transaction_id`` itself.
LIST_PAGES = 10
MAX_SESSION_MINUTES = 1440  # session_duration's published maximum (24 hours)
REFUND_STATUSES = {"completed": "succeeded", "pending": "pending", "failed": "failed"}


def to_minor(value: Any, currency: str) -> int:
    """``75.5`` NGN → ``7550``; a fraction of a minor unit is a malformed answer, not rounding."""
    try:
        exact = Decimal(str(value)).scaleb(minor_exponent(currency))
    except (InvalidOperation, ValueError) as exc:
        raise ProviderError(f"Flutterwave sent a non-numeric amount: {value!r}",
                            code="malformed_response") from exc
    if isinstance(value, bool) or exact != exact.to_integral_value() or exact < 0:
        raise ProviderError(f"Flutterwave sent an amount that is not whole minor units: "
                            f"{value!r} {currency}", code="malformed_response")
    return int(exact)


def _session_duration(closes_at: datetime | None, now: datetime | None = None) -> dict[str, int]:
    """Flutterwave's ``session_duration``: the page stays open until the shop gives the payment
    up, in whole minutes rounded up, within the 1 to 1 440 minutes it takes. Past it the link
    takes no payment, so none can land on an attempt we have given up."""
    if closes_at is None:
        return {}
    seconds = (closes_at - (now or datetime.now(UTC))).total_seconds()
    return {"session_duration": min(MAX_SESSION_MINUTES, max(1, math.ceil(seconds / 60)))}


class FlutterwaveProvider:
    """One Flutterwave integration (one secret key and its webhook hash)."""

    name = NAME
    capabilities = Capabilities(
        manual_capture=False, partial_refunds=True,
        currencies=frozenset({"NGN", "GHS", "KES", "ZAR", "UGX", "TZS", "RWF", "XAF", "XOF",
                              "USD", "EUR", "GBP"}))

    def __init__(self, *, secret_key: str, secret_hash: str, api_base: str,
                 timeout: float = 10.0):
        if not secret_key or not secret_hash:
            raise ValueError("FLUTTERWAVE_SECRET_KEY and FLUTTERWAVE_SECRET_HASH are needed")
        self._secret_hash = secret_hash
        self._client = httpx.Client(
            base_url=f"{api_base.rstrip('/')}/{API_VERSION}", timeout=timeout,
            headers={"Authorization": f"Bearer {secret_key}", "Accept": "application/json"})

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, *, body: dict | None = None,
              params: dict | None = None) -> dict[str, Any]:
        data = self._request(method, path, body=body, params=params)
        if not isinstance(data, dict):
            raise ProviderError("Flutterwave answered without data", code="malformed_response")
        return data

    def _request(self, method: str, path: str, *, body: dict | None = None,
                 params: dict | None = None, whole: bool = False) -> Any:
        """The answer's ``data`` (``whole``: the answer, with a list's ``meta``)."""
        try:
            response = self._client.request(method, path, json=body, params=params)
        except httpx.TransportError as exc:
            raise ProviderUnavailable(f"Flutterwave unreachable: {exc.__class__.__name__}",
                                      code="provider_unreachable") from exc
        try:
            payload = response.json()
        except ValueError as exc:
            raise ProviderUnavailable(f"Flutterwave answered {response.status_code} without "
                                      "JSON", status=response.status_code) from exc
        message = str(payload.get("message") or "")
        if response.status_code >= 500:
            raise ProviderUnavailable(message or "Flutterwave error", status=response.status_code)
        if payload.get("status") != "success":
            log.info("flutterwave refused %s %s", method, path.split("/")[1],
                     extra={"status": response.status_code})
            code = "transaction_not_found" if message.startswith(NOT_FOUND) else "provider_error"
            raise ProviderError(message or "Flutterwave refused the request", code=code,
                                status=response.status_code)
        return payload if whole else payload.get("data")

    def start_payment(self, request: PaymentRequest) -> NextStep:
        currency = request.currency.upper()
        data = self._call("POST", "/payments", body={
            "tx_ref": request.reference,
            "amount": minor_to_decimal(request.amount, currency),
            "currency": currency,
            "redirect_url": request.return_url,
            "customer": {"email": request.email},
            "meta": dict(request.metadata),
            **_session_duration(request.closes_at),
        })
        return NextStep(NextStepKind.REDIRECT, redirect_url=str(data["link"]))

    def fetch_payment(self, reference: str) -> ProviderPayment:
        try:
            data = self._call("GET", "/transactions/verify_by_reference",
                              params={"tx_ref": reference})
        except ProviderError as exc:
            if exc.code != "transaction_not_found":
                raise
            # Nothing charged yet (an abandoned link creates no transaction).
            return ProviderPayment(reference, PaymentStatus.PENDING, None, None, None)
        raw = str(data.get("status"))
        currency = str(data["currency"])
        return ProviderPayment(
            reference=str(data["tx_ref"]),
            status=STATUSES.get(raw, PaymentStatus.PENDING),
            amount=to_minor(data["amount"], currency),
            currency=currency,
            provider_reference=str(data["id"]),
            raw_status=raw,
        )

    def capture(self, reference: str, amount: int, *,
                idempotency_key: str | None = None) -> ProviderPayment:
        raise Unsupported("Flutterwave Standard charges at once: nothing to capture",
                          code="unsupported")

    def void(self, reference: str, *, idempotency_key: str | None = None) -> ProviderPayment:
        raise Unsupported("Flutterwave Standard charges at once: refund instead of voiding",
                          code="unsupported")

    def refund(self, reference: str, amount: int | None, *, currency: str, reason: str = "",
               idempotency_key: str | None = None,
               metadata: Mapping[str, str] | None = None) -> ProviderRefund:
        # No idempotency key here: the ledger's pending row keeps a refund from being sent
        # twice (services/refunds/provider_refunds.py).
        payment = self.fetch_payment(reference)
        if payment.status is not PaymentStatus.SUCCEEDED or payment.provider_reference is None:
            raise ProviderError(f"Flutterwave has no successful charge for {reference}",
                                code="not_refundable")
        if payment.currency != currency.upper():
            raise ProviderError(f"{reference} was paid in {payment.currency}, not {currency}",
                                code="currency_mismatch")
        body: dict[str, Any] = {}
        if amount is not None:
            body["amount"] = minor_to_decimal(amount, payment.currency)
        if reason:
            body["comments"] = reason
        data = self._call("POST", f"/transactions/{payment.provider_reference}/refund", body=body)
        return ProviderRefund(
            refund_id=str(data["id"]), reference=reference,
            amount=to_minor(data["amount_refunded"], payment.currency),
            currency=payment.currency,
            status=REFUND_STATUSES.get(str(data.get("status")), "pending"))

    def fetch_refund(self, refund_id: str, *, reference: str, currency: str) -> ProviderRefund:
        """A refund by its id (``GET /v3/refunds/:id``): how it ended, for webhooks and
        reconciliation (a refund event is only a hint)."""
        data = self._call("GET", f"/refunds/{refund_id}")
        return ProviderRefund(
            refund_id=str(data["id"]), reference=reference,
            amount=to_minor(data["amount_refunded"], currency.upper()),
            currency=currency.upper(),
            status=REFUND_STATUSES.get(str(data.get("status")), "pending"))

    def list_refunds(self, reference: str, *, currency: str) -> list[ProviderRefund]:
        """The refunds of our payment ``reference``: its transaction id from verify, then
        ``GET /v3/refunds?id=`` (newest first), with the ``comments`` we sent."""
        payment = self.fetch_payment(reference)
        if payment.provider_reference is None:
            return []  # never charged: nothing to refund
        data: list[dict[str, Any]] = []
        for page in range(1, LIST_PAGES + 1):
            payload = self._request("GET", "/refunds", params={
                "id": payment.provider_reference, "page": page}, whole=True)
            if not isinstance(payload.get("data"), list):
                raise ProviderError("Flutterwave listed no refunds", code="malformed_response")
            data += payload["data"]
            pages = ((payload.get("meta") or {}).get("page_info") or {}).get("total_pages")
            if page >= int(pages or 1):
                break
        else:
            # A list we could not read to its end must not pass for "not refunded".
            raise ProviderError(f"more than {LIST_PAGES} pages of refunds for {reference}",
                                code="refund_list_incomplete")
        paid_in = payment.currency or currency.upper()
        return [ProviderRefund(
            refund_id=str(item["id"]), reference=reference,
            amount=to_minor(item["amount_refunded"], paid_in), currency=paid_in,
            status=REFUND_STATUSES.get(str(item.get("status")), "pending"),
            created_at=parse_time(item.get("created_at")),
            note=str(item.get("comment") or item.get("comments") or ""))
            for item in data if str(item.get("transaction_id") or item.get("tx_id"))
            == payment.provider_reference]

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        sent = header(headers, HASH_HEADER)
        if not sent:
            raise InvalidSignature(f"no {HASH_HEADER} header")
        if not hmac.compare_digest(sent.strip().encode(), self._secret_hash.encode()):
            raise InvalidSignature(f"{HASH_HEADER} is not our secret hash")
        payload = json_object(body)
        event = str(payload.get("event") or "")
        data = payload.get("data")
        if not isinstance(data, dict):
            data = {}
        status = str(data.get("status") or "")
        currency = str(data.get("currency") or "") or None
        if event == "charge.completed" and status in ("successful", "failed"):
            kind = (EventKind.PAYMENT_SUCCEEDED if status == "successful"
                    else EventKind.PAYMENT_FAILED)
            return ProviderEvent(
                NAME, f"{event}:{data.get('id')}:{status}", kind, event,
                reference=str(data.get("tx_ref")),
                amount=to_minor(data.get("amount"), currency) if currency else None,
                currency=currency, provider_reference=str(data.get("id")))
        if event == "refund.completed" and status in ("completed", "failed"):
            kind = (EventKind.REFUND_SUCCEEDED if status == "completed"
                    else EventKind.REFUND_FAILED)
            return ProviderEvent(
                NAME, f"refund:{data.get('id')}:{status}", kind, event,
                reference=str(data["tx_ref"]) if data.get("tx_ref") else None,
                amount=to_minor(data.get("amount_refunded"), currency) if currency else None,
                currency=currency, provider_reference=str(data.get("id")))
        digest = hashlib.sha256(body).hexdigest()[:32]
        return ProviderEvent(NAME, f"{event or 'unknown'}:{digest}", EventKind.IGNORED, event,
                             reference=None, amount=None, currency=None)
