"""The one place that talks to Stripe: a thin layer over the official SDK.

Services get plain dataclasses back and see two errors: ``CardError`` (the shopper's card was
refused; show the message) and ``GatewayError`` (Stripe could not be reached or refused the
request; ``retryable`` says whether trying again with the same idempotency key may help).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import stripe
from flask import current_app

log = logging.getLogger(__name__)


class GatewayError(Exception):
    def __init__(self, message: str, *, code: str = "gateway_error", retryable: bool = False):
        super().__init__(message)
        self.code = code
        self.retryable = retryable


class InvalidWebhook(Exception):
    """The request is not a genuine, fresh Stripe event."""


@dataclass(frozen=True)
class PaymentError:
    code: str
    message: str
    ref: str | None  # the charge or payment method that failed, to count a failure once
    decline_code: str | None = None


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: int
    currency: str
    last_error: PaymentError | None
    metadata: dict[str, str] = field(default_factory=dict)


def _field(obj: Any, name: str) -> Any:
    try:
        return obj[name]
    except (KeyError, TypeError):
        return None


def _payment_error(raw: Any) -> PaymentError | None:
    if not raw:
        return None
    method = _field(raw, "payment_method")
    ref = _field(raw, "charge") or (method if isinstance(method, str) else _field(method, "id"))
    return PaymentError(
        code=_field(raw, "code") or _field(raw, "type") or "payment_failed",
        message=_field(raw, "message") or "The payment failed.",
        ref=ref,
        decline_code=_field(raw, "decline_code"),
    )


def _intent(raw: Any) -> Intent:
    return Intent(
        id=raw["id"],
        status=raw["status"],
        amount=int(raw["amount"]),
        currency=str(raw["currency"]).upper(),
        last_error=_payment_error(_field(raw, "last_payment_error")),
        metadata=dict(_field(raw, "metadata") or {}),
    )


_RETRYABLE = (stripe.APIConnectionError, stripe.RateLimitError)


def _translate(exc: stripe.StripeError) -> GatewayError:
    retryable = isinstance(exc, _RETRYABLE) or (exc.http_status or 0) >= 500
    code = getattr(exc, "code", None) or type(exc).__name__
    return GatewayError(exc.user_message or str(exc), code=str(code), retryable=retryable)


class StripeGateway:
    def __init__(self, config: dict):
        self._client = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"] or "sk_unset",
            base_addresses={"api": config["STRIPE_API_BASE"]},
            max_network_retries=config["STRIPE_MAX_NETWORK_RETRIES"],
            http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT_SECONDS"]),
        )
        self._webhook_secret = config["STRIPE_WEBHOOK_SECRET"]
        self._tolerance = config["STRIPE_WEBHOOK_TOLERANCE_SECONDS"]

    def create_payment_intent(
        self, *, amount: int, currency: str, idempotency_key: str, metadata: dict[str, str],
        receipt_email: str | None = None,
    ) -> Intent:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": metadata,
        }
        if receipt_email:
            params["receipt_email"] = receipt_email
        try:
            raw = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return _intent(raw)

    def retrieve_payment_intent(self, intent_id: str) -> Intent:
        try:
            return _intent(self._client.v1.payment_intents.retrieve(intent_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def client_secret(self, intent_id: str) -> str:
        """Fetched for each payment page view; we never store it."""
        try:
            return self._client.v1.payment_intents.retrieve(intent_id)["client_secret"]
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def cancel_payment_intent(self, intent_id: str) -> Intent:
        try:
            return _intent(self._client.v1.payment_intents.cancel(intent_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict:
        """The event as a dict, or ``InvalidWebhook``; rejects stale and future timestamps."""
        if not signature:
            raise InvalidWebhook("missing Stripe-Signature header")
        timestamp = _signature_timestamp(signature)
        if timestamp is None:
            raise InvalidWebhook("malformed Stripe-Signature header")
        # The SDK rejects old timestamps only; a far-future one is as suspicious.
        if timestamp > time.time() + self._tolerance:
            raise InvalidWebhook("signature timestamp is in the future")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature, self._webhook_secret, self._tolerance
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError) as exc:
            raise InvalidWebhook(str(exc)) from exc
        try:
            event = json.loads(payload)
        except ValueError as exc:
            raise InvalidWebhook("body is not JSON") from exc
        if not _looks_like_event(event):
            raise InvalidWebhook("body is not a Stripe event")
        return event


def _signature_timestamp(header: str) -> int | None:
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _looks_like_event(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and event.get("object") == "event"
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )


def gateway() -> StripeGateway:
    return current_app.extensions["stripe_gateway"]
