"""The Stripe Payment Element as one provider of the protocol, over ``StripeGateway``.

The gateway (``stripe_gateway.py``) stays the only module importing the SDK; this adapter
speaks the protocol's words over it. The reference the shop keeps for a Stripe payment is the
PaymentIntent's id (Stripe makes it; the attempt's idempotency key makes it one per attempt),
so ``fetch_payment``, ``capture``, ``void`` and ``refund`` take an intent id. Built without a
gateway, it uses the app's (``gateway()``): one SDK client per app, not one per call.

The settle function, the webhook's rich events (disputes, charges, sessions), saved cards and
receipts read Stripe's whole objects and stay on the gateway (docs/payments.md, "Providers").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..services.payments.errors import GatewayError, InvalidWebhook
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
    header,
)
from .stripe_gateway import StripeGateway, gateway
from .stripe_objects import Intent, Refund

NAME = "stripe"
SIGNATURE_HEADER = "Stripe-Signature"
# A PaymentIntent's status in our words. requires_payment_method is a failure only when the
# last try left an error (a decline); before any try it is a payment still to be made.
STATUSES = {
    "succeeded": PaymentStatus.SUCCEEDED,
    "requires_capture": PaymentStatus.AUTHORIZED,
    "canceled": PaymentStatus.CANCELED,
}
REFUND_STATUSES = {"succeeded": "succeeded", "failed": "failed", "canceled": "canceled"}
PAYMENT_EVENTS = {
    "payment_intent.succeeded": EventKind.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": EventKind.PAYMENT_FAILED,
    "payment_intent.canceled": EventKind.PAYMENT_CANCELED,
}
REFUND_EVENTS = ("charge.refund.updated", "refund.created", "refund.updated", "refund.failed")
REFUND_KINDS = {"succeeded": EventKind.REFUND_SUCCEEDED, "failed": EventKind.REFUND_FAILED,
                "canceled": EventKind.REFUND_FAILED}


def _provider_error(exc: GatewayError) -> ProviderError:
    """The gateway's error in the protocol's words, keeping what the shop's failure paths
    read back (``as_gateway_error``): code, status, retryable, permanent."""
    kind = ProviderUnavailable if exc.retryable else ProviderError
    return kind(str(exc), code=exc.code, status=exc.http_status, permanent=exc.permanent)


def payment_of(intent: Intent) -> ProviderPayment:
    """What a PaymentIntent says, in the protocol's words; the amount is what was received
    once it succeeded (a capture may take less than was authorized)."""
    status = STATUSES.get(intent.status, PaymentStatus.PENDING)
    if intent.status == "requires_payment_method" and intent.last_error is not None:
        status = PaymentStatus.FAILED
    amount = intent.amount_received if status == PaymentStatus.SUCCEEDED else intent.amount
    return ProviderPayment(reference=intent.id, status=status, amount=amount,
                           currency=intent.currency, provider_reference=intent.id,
                           raw_status=intent.status)


def refund_of(refund: Refund, *, reference: str) -> ProviderRefund:
    return ProviderRefund(refund_id=refund.id, reference=refund.payment_intent_id or reference,
                          amount=refund.amount, currency=refund.currency.upper(),
                          status=REFUND_STATUSES.get(refund.status, "pending"),
                          failure_reason=refund.failure_reason)


class StripeProvider:
    """The Payment Element (hosted Checkout, ``stripe_checkout``, uses the same account)."""

    name = NAME
    # Stripe converts: any currency the store sells in (an empty set: no restriction).
    capabilities = Capabilities(manual_capture=True, partial_refunds=True,
                                currencies=frozenset())

    def __init__(self, stripe_gateway: StripeGateway | None = None):
        self._gateway = stripe_gateway

    @property
    def gateway(self) -> StripeGateway:
        return self._gateway if self._gateway is not None else gateway()

    def close(self) -> None:
        """Nothing to close: the SDK client is the gateway's, kept for the app's lifetime."""

    def start_payment(self, request: PaymentRequest) -> NextStep:
        """Create the PaymentIntent; the same idempotency key returns the same intent."""
        try:
            intent = self.gateway.create_payment_intent(
                amount=request.amount, currency=request.currency,
                idempotency_key=request.idempotency_key or request.reference,
                receipt_email=request.email,
                capture_method="manual" if request.capture_manually else "automatic",
                metadata=dict(request.metadata))
        except GatewayError as exc:
            raise _provider_error(exc) from exc
        return NextStep(NextStepKind.ELEMENT, client_secret=intent.client_secret or None,
                        provider_reference=intent.id)

    def fetch_payment(self, reference: str) -> ProviderPayment:
        return payment_of(self._intent(lambda g: g.retrieve_payment_intent(reference)))

    def capture(self, reference: str, amount: int, *,
                idempotency_key: str | None = None) -> ProviderPayment:
        key = idempotency_key or f"{reference}:capture:{amount}"
        return payment_of(self._intent(lambda g: g.capture_payment_intent(
            reference, amount=amount, idempotency_key=key)))

    def void(self, reference: str, *, idempotency_key: str | None = None) -> ProviderPayment:
        return payment_of(self._intent(lambda g: g.cancel_payment_intent(
            reference, reason="requested_by_customer", idempotency_key=idempotency_key)))

    def refund(self, reference: str, amount: int | None, *, currency: str, reason: str = "",
               idempotency_key: str | None = None,
               metadata: Mapping[str, str] | None = None) -> ProviderRefund:
        """Refund ``amount`` (None: all that was received) of the intent ``reference``;
        ``reason`` is one of Stripe's (requested_by_customer, duplicate, fraudulent)."""
        try:
            if amount is None:
                amount = self.gateway.retrieve_payment_intent(reference).amount_received
            refund = self.gateway.create_refund(
                intent_id=reference, amount=amount, reason=reason or None,
                idempotency_key=idempotency_key or f"{reference}:refund:{amount}",
                metadata=dict(metadata or {}))
        except GatewayError as exc:
            raise _provider_error(exc) from exc
        return refund_of(refund, reference=reference)

    def fetch_refund(self, refund_id: str, *, reference: str, currency: str) -> ProviderRefund:
        try:
            return refund_of(self.gateway.retrieve_refund(refund_id), reference=reference)
        except GatewayError as exc:
            raise _provider_error(exc) from exc

    def list_refunds(self, reference: str, *, currency: str) -> list[ProviderRefund]:
        """The refunds of the intent ``reference`` (of its charge; none before a charge). A lost
        Stripe refund answer needs no list: the idempotency key makes asking again safe."""
        try:
            charge_id = self.gateway.retrieve_payment_intent(reference).latest_charge_id
            refunds = self.gateway.list_refunds(charge_id=charge_id) if charge_id else []
        except GatewayError as exc:
            raise _provider_error(exc) from exc
        return [refund_of(refund, reference=reference) for refund in refunds]

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent:
        """A verified event (signature, tolerance, rotated secrets: the gateway's
        ``verify_webhook``) in our words; types outside the protocol are IGNORED."""
        try:
            event = self.gateway.verify_webhook(body, header(headers, SIGNATURE_HEADER))
        except InvalidWebhook as exc:
            raise InvalidSignature(str(exc)) from exc
        raw_type = str(event["type"])
        obj: dict[str, Any] = event["data"]["object"]
        if raw_type in PAYMENT_EVENTS:
            received = raw_type == "payment_intent.succeeded"
            return ProviderEvent(NAME, event["id"], PAYMENT_EVENTS[raw_type], raw_type,
                                 reference=obj["id"],
                                 amount=int(obj["amount_received" if received else "amount"]),
                                 currency=str(obj["currency"]).upper(),
                                 provider_reference=obj["id"])
        if raw_type in REFUND_EVENTS and obj.get("object") == "refund":
            kind = REFUND_KINDS.get(str(obj.get("status")), EventKind.IGNORED)
            return ProviderEvent(NAME, event["id"], kind, raw_type,
                                 reference=obj.get("payment_intent"), amount=int(obj["amount"]),
                                 currency=str(obj["currency"]).upper(),
                                 provider_reference=obj["id"])
        return ProviderEvent(NAME, event["id"], EventKind.IGNORED, raw_type, reference=None,
                             amount=None, currency=None)

    def _intent(self, call: Callable[[StripeGateway], Intent]) -> Intent:
        try:
            return call(self.gateway)
        except GatewayError as exc:
            raise _provider_error(exc) from exc
