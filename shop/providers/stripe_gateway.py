"""The one place that talks to Stripe: a thin layer over the official SDK.

Services get plain dataclasses back and see two errors: ``CardError`` (the shopper's card was
refused; show the message) and ``GatewayError`` (Stripe could not be reached or refused the
request; ``retryable`` says whether trying again with the same idempotency key may help).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import stripe
from flask import current_app

from ..config import STRIPE_API_VERSION
from ..services.payments.errors import GatewayError, InvalidWebhook
from .stripe_http import TimedRequestsClient
from .stripe_objects import (  # noqa: F401 (Charge, PaymentError: the gateway's vocabulary)
    Charge,
    CheckoutLine,
    CheckoutSession,
    CreatedIntent,
    Dispute,
    Intent,
    PaymentError,
    Refund,
    SavedCard,
    Setup,
    charge_from,
    checkout_session_from,
    created_intent_from,
    dispute_from,
    intent_from,
    looks_like_event,
    plain,
    refund_from,
    saved_card_from,
    setup_from,
    signature_timestamp,
)

if TYPE_CHECKING:
    from stripe import RequestOptions
    from stripe.params import EventListParams, PaymentIntentCreateParams, RefundCreateParams
    from stripe.params.checkout import SessionCreateParams

# Stable codes for failures that carry none of their own, so that retry rules can name them.
_CLASS_CODES = {stripe.APIConnectionError: "api_connection_error",
                stripe.RateLimitError: "rate_limit"}


# Refusals: the request itself is wrong for this account and API version.
_PERMANENT = (stripe.InvalidRequestError, stripe.AuthenticationError, stripe.PermissionError)


def _translate(exc: stripe.StripeError) -> GatewayError:
    class_code = next((code for cls, code in _CLASS_CODES.items() if isinstance(exc, cls)), None)
    code = class_code or getattr(exc, "code", None) or type(exc).__name__
    # Stripe answers 409 lock_timeout / idempotency_key_in_use while another request on
    # the same object runs: a wait, not a refusal.
    transient = code in ("lock_timeout", "idempotency_key_in_use")
    retryable = class_code is not None or (exc.http_status or 0) >= 500 or transient
    permanent = isinstance(exc, _PERMANENT) and not transient and (exc.http_status or 0) < 500
    return GatewayError(exc.user_message or str(exc), code=str(code), retryable=retryable,
                        http_status=exc.http_status, permanent=permanent)


class StripeGateway:
    def __init__(self, config: dict):
        self.api_version = config.get("STRIPE_API_VERSION") or STRIPE_API_VERSION
        self._receipts = bool(config.get("STRIPE_RECEIPTS"))
        self._method_types = list(config.get("STRIPE_PAYMENT_METHOD_TYPES") or ())
        self._client = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"] or "sk_unset",
            stripe_version=self.api_version,
            base_addresses={"api": config["STRIPE_API_BASE"]},
            max_network_retries=config["STRIPE_MAX_NETWORK_RETRIES"],
            http_client=TimedRequestsClient(timeout=config["STRIPE_TIMEOUT_SECONDS"],
                                            api_base=config["STRIPE_API_BASE"]),
        )
        # During a rotation the endpoint accepts the new secret and, until it is removed,
        # the previous one (Stripe signs with both while the old secret is kept alive).
        self._webhook_secrets = [secret for secret in (
            config["STRIPE_WEBHOOK_SECRET"], config.get("STRIPE_WEBHOOK_SECRET_PREVIOUS"))
            if secret]
        self._tolerance = config["STRIPE_WEBHOOK_TOLERANCE_SECONDS"]

    def create_payment_intent(
        self, *, amount: int, currency: str, idempotency_key: str, metadata: dict[str, str],
        receipt_email: str | None = None, capture_method: str = "automatic",
    ) -> CreatedIntent:
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency.lower(),
            "metadata": metadata,
            "capture_method": capture_method,
        }
        # Dynamic payment methods: what the account turns on in the Dashboard (wallets, local
        # methods), unless STRIPE_PAYMENT_METHOD_TYPES narrows it down.
        if self._method_types:
            params["allowed_payment_method_types"] = self._method_types
        else:
            params["automatic_payment_methods"] = {"enabled": True}
        # The shop mails its own receipt; Stripe's would be a second one (STRIPE_RECEIPTS).
        if receipt_email and self._receipts:
            params["receipt_email"] = receipt_email
        try:
            raw = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return created_intent_from(raw)

    def retrieve_payment_intent(self, intent_id: str) -> Intent:
        """The intent with its latest charge expanded (capture expiry, charge id)."""
        try:
            return intent_from(self._client.v1.payment_intents.retrieve(
                intent_id, params={"expand": ["latest_charge"]}))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def payment_intent_with_secret(self, intent_id: str) -> tuple[Intent, str]:
        """The intent and its client secret in one call, for the payment page (never stored)."""
        try:
            raw = self._client.v1.payment_intents.retrieve(intent_id)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return intent_from(raw), plain(raw)["client_secret"]

    def cancel_payment_intent(self, intent_id: str, *, reason: str,
                              idempotency_key: str | None = None) -> Intent:
        """``reason``: abandoned, requested_by_customer, duplicate or fraudulent."""
        options: RequestOptions = {"idempotency_key": idempotency_key} if idempotency_key else {}
        try:
            return intent_from(self._client.v1.payment_intents.cancel(
                intent_id, params={"cancellation_reason": reason, "expand": ["latest_charge"]},
                options=options))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def capture_payment_intent(self, intent_id: str, *, amount: int,
                               idempotency_key: str) -> Intent:
        """Capture ``amount`` (at most what was authorized; Stripe releases the rest)."""
        try:
            return intent_from(self._client.v1.payment_intents.capture(
                intent_id, params={"amount_to_capture": amount, "expand": ["latest_charge"]},
                options={"idempotency_key": idempotency_key}))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def create_refund(self, *, intent_id: str, amount: int, idempotency_key: str,
                      reason: str | None = None,
                      metadata: dict[str, str] | None = None) -> Refund:
        params: RefundCreateParams = {"payment_intent": intent_id, "amount": amount,
                                      "metadata": metadata or {}}
        if reason:
            params["reason"] = reason
        try:
            return refund_from(self._client.v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def retrieve_refund(self, refund_id: str) -> Refund:
        try:
            return refund_from(self._client.v1.refunds.retrieve(refund_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def list_refunds(self, *, charge_id: str) -> list[Refund]:
        """Every refund of a charge (a charge has few; one page of 100 holds them)."""
        try:
            page = self._client.v1.refunds.list(params={"charge": charge_id, "limit": 100})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return [refund_from(raw) for raw in page.data]

    def retrieve_dispute(self, dispute_id: str) -> Dispute:
        try:
            return dispute_from(self._client.v1.disputes.retrieve(dispute_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def retrieve_charge(self, charge_id: str) -> Charge:
        try:
            charge = charge_from(plain(self._client.v1.charges.retrieve(charge_id)))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        assert charge is not None, "a retrieved charge is an object, never a bare id"
        return charge

    def list_events(self, *, delivery_success: bool | None = None,
                    created_since: datetime | None = None, limit: int = 1000) -> list[dict]:
        """Events newest first as plain dicts (what a webhook body holds), all pages."""
        params: EventListParams = {"limit": 100}
        if delivery_success is not None:
            params["delivery_success"] = delivery_success
        if created_since is not None:
            params["created"] = {"gte": int(created_since.timestamp())}
        events: list[dict] = []
        try:
            while len(events) < limit:
                page = self._client.v1.events.list(params=params)
                events += [plain(event) for event in page.data]
                if not page.has_more or not page.data:
                    break
                params["starting_after"] = page.data[-1].id
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return events[:limit]

    # --- saved cards: one Customer per account and store ------------------------------

    def create_customer(self, *, email: str, idempotency_key: str,
                        metadata: dict[str, str]) -> str:
        try:
            return self._client.v1.customers.create(
                params={"email": email, "metadata": metadata},
                options={"idempotency_key": idempotency_key}).id
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def default_payment_method(self, customer_id: str) -> str | None:
        """The Customer's ``invoice_settings.default_payment_method``."""
        try:
            customer = plain(self._client.v1.customers.retrieve(customer_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        default = (customer.get("invoice_settings") or {}).get("default_payment_method")
        return default if isinstance(default, str) else None

    def set_default_payment_method(self, customer_id: str, payment_method_id: str) -> None:
        try:
            self._client.v1.customers.update(customer_id, params={
                "invoice_settings": {"default_payment_method": payment_method_id}})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def list_cards(self, customer_id: str) -> list[SavedCard]:
        """The Customer's saved cards, newest first (a shopper keeps few: one page)."""
        try:
            page = self._client.v1.customers.payment_methods.list(
                customer_id, params={"type": "card", "limit": 100})
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return [saved_card_from(raw) for raw in page.data]

    def customer_card(self, customer_id: str, payment_method_id: str) -> SavedCard:
        """One of the Customer's own cards; Stripe answers 404 for anyone else's."""
        try:
            return saved_card_from(self._client.v1.customers.payment_methods.retrieve(
                customer_id, payment_method_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def detach_payment_method(self, payment_method_id: str) -> None:
        try:
            self._client.v1.payment_methods.detach(payment_method_id)
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def create_setup_intent(self, *, customer_id: str, idempotency_key: str) -> tuple[str, str]:
        """A SetupIntent saving a card for on-session use: its id and client secret."""
        try:
            raw = plain(self._client.v1.setup_intents.create(
                params={"customer": customer_id, "usage": "on_session",
                        "automatic_payment_methods": {"enabled": True}},
                options={"idempotency_key": idempotency_key}))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc
        return raw["id"], raw["client_secret"]

    def retrieve_setup_intent(self, setup_intent_id: str) -> Setup:
        try:
            return setup_from(self._client.v1.setup_intents.retrieve(setup_intent_id))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def create_customer_session(self, customer_id: str) -> str:
        """The Payment Element's Customer Session: saved cards shown, "save" offered for
        on-session reuse; removing stays on /account/payment-methods. Its client secret.

        Every ``allow_redisplay`` value is shown: only cards the shopper chose to keep (the
        ticked box, or the add-a-card page's SetupIntent) are attached to their Customer,
        and Stripe does not mark a SetupIntent's card ``always`` by itself."""
        try:
            return self._client.v1.customer_sessions.create(params={
                "customer": customer_id,
                "components": {"payment_element": {"enabled": True, "features": {
                    "payment_method_save": "enabled",
                    "payment_method_save_usage": "on_session",
                    "payment_method_redisplay": "enabled",
                    "payment_method_remove": "disabled",
                    "payment_method_allow_redisplay_filters": [
                        "always", "limited", "unspecified"]}}},
            }).client_secret
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def set_intent_customer(self, intent_id: str, customer_id: str) -> Intent:
        """Give an unpaid PaymentIntent its Customer, so that saved cards can pay it."""
        try:
            return intent_from(self._client.v1.payment_intents.update(
                intent_id, params={"customer": customer_id}))
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def create_checkout_session(
        self, *, lines: Sequence[CheckoutLine], currency: str, reference: str,
        idempotency_key: str, success_url: str, cancel_url: str, metadata: dict[str, str],
        customer_email: str | None = None, expires_at: int | None = None,
    ) -> CheckoutSession:
        """Hosted Checkout for lines priced by the shop; the same metadata goes on the
        PaymentIntent Stripe makes when the shopper pays, so its events find the attempt."""
        params: SessionCreateParams = {
            "mode": "payment", "client_reference_id": reference, "success_url": success_url,
            "cancel_url": cancel_url, "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "line_items": [{"quantity": line.quantity, "price_data": {
                "currency": currency.lower(), "unit_amount": line.unit_amount,
                "product_data": {"name": line.name}}} for line in lines]}
        if customer_email:
            params["customer_email"] = customer_email
        if expires_at is not None:
            params["expires_at"] = expires_at
        return self._checkout(lambda: self._client.v1.checkout.sessions.create(
            params=params, options={"idempotency_key": idempotency_key}))

    def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        return self._checkout(lambda: self._client.v1.checkout.sessions.retrieve(session_id))

    def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        """Close an open session (a lapsed hold) so that it can no longer be paid."""
        return self._checkout(lambda: self._client.v1.checkout.sessions.expire(session_id))

    @staticmethod
    def _checkout(call: Callable[[], Any]) -> CheckoutSession:
        try:
            return checkout_session_from(call())
        except stripe.StripeError as exc:
            raise _translate(exc) from exc

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict:
        """The event as a dict, or ``InvalidWebhook``; rejects stale and future timestamps."""
        if not signature:
            raise InvalidWebhook("missing Stripe-Signature header")
        timestamp = signature_timestamp(signature)
        if timestamp is None:
            raise InvalidWebhook("malformed Stripe-Signature header")
        # The SDK rejects old timestamps only; a far-future one is as suspicious.
        if timestamp > time.time() + self._tolerance:
            raise InvalidWebhook("signature timestamp is in the future")
        self._verify_signature(payload, signature)
        try:
            event = json.loads(payload)
        except ValueError as exc:
            raise InvalidWebhook("body is not JSON") from exc
        if not looks_like_event(event):
            raise InvalidWebhook("body is not a Stripe event")
        return event

    def _verify_signature(self, payload: bytes, signature: str) -> None:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidWebhook("body is not UTF-8") from exc
        error: stripe.SignatureVerificationError | None = None
        for secret in self._webhook_secrets:
            try:
                stripe.WebhookSignature.verify_header(text, signature, secret, self._tolerance)
                return
            except stripe.SignatureVerificationError as exc:
                error = exc
        raise InvalidWebhook(str(error or "no webhook secret configured"))


def gateway() -> StripeGateway:
    return current_app.extensions["stripe_gateway"]
