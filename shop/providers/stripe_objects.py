"""Stripe's objects as the shop reads them: plain frozen dataclasses built from the SDK's
objects or from the dicts a verified event carries. No SDK import here: only the gateway
(``stripe_gateway.py``) talks to Stripe."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class PaymentError:
    code: str
    message: str
    ref: str | None  # the charge or payment method that failed, to count a failure once
    decline_code: str | None = None


@dataclass(frozen=True)
class Charge:
    id: str
    amount: int
    amount_captured: int
    amount_refunded: int
    captured: bool
    # When an uncaptured card authorization lapses (Stripe: payment_method_details.card).
    capture_before: datetime | None
    payment_method_type: str | None
    created: datetime | None
    payment_intent_id: str | None = None
    # The card as printed on a receipt (payment_method_details.card); never its number.
    card_brand: str | None = None
    card_last4: str | None = None


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount: int
    currency: str
    last_error: PaymentError | None
    metadata: dict[str, str] = field(default_factory=dict)
    capture_method: str = "automatic"
    amount_capturable: int = 0
    amount_received: int = 0
    latest_charge: Charge | None = None
    latest_charge_id: str | None = None
    customer: str | None = None


@dataclass(frozen=True)
class Refund:
    id: str
    status: str  # pending | requires_action | succeeded | failed | canceled
    amount: int
    currency: str
    charge_id: str | None
    payment_intent_id: str | None
    failure_reason: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    reason: str | None = None  # requested_by_customer | duplicate | fraudulent


def plain(raw: Any) -> dict:
    """The SDK's object as a plain dict (``StripeObject`` is no longer a mapping in SDK 16)."""
    return raw.to_dict() if hasattr(raw, "to_dict") else dict(raw)


def _field(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else None


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


def _timestamp(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if value else None


def charge_from(raw: Any) -> Charge | None:
    if not isinstance(raw, dict):
        return None
    details = _field(raw, "payment_method_details") or {}
    card = _field(details, "card") or {}
    return Charge(
        id=raw["id"],
        amount=int(raw.get("amount") or 0),
        amount_captured=int(raw.get("amount_captured") or 0),
        amount_refunded=int(raw.get("amount_refunded") or 0),
        captured=bool(raw.get("captured")),
        capture_before=_timestamp(_field(card, "capture_before")),
        payment_method_type=_field(details, "type"),
        created=_timestamp(raw.get("created")),
        payment_intent_id=raw.get("payment_intent")
        if isinstance(raw.get("payment_intent"), str) else None,
        card_brand=_field(card, "brand"),
        card_last4=_field(card, "last4"),
    )


def intent_from(raw: Any) -> Intent:
    """Our view of a PaymentIntent: the SDK's object, or the dict a verified event carries."""
    raw = plain(raw)
    latest = _field(raw, "latest_charge")
    if latest is None:
        # Before API version 2022-11-15 an intent listed its charges, newest first.
        charges = _field(_field(raw, "charges") or {}, "data") or []
        latest = charges[0] if charges else None
    return Intent(
        id=raw["id"],
        status=raw["status"],
        amount=int(raw["amount"]),
        currency=str(raw["currency"]).upper(),
        last_error=_payment_error(_field(raw, "last_payment_error")),
        metadata=dict(_field(raw, "metadata") or {}),
        capture_method=str(raw.get("capture_method") or "automatic"),
        amount_capturable=int(raw.get("amount_capturable") or 0),
        amount_received=int(raw.get("amount_received") or 0),
        latest_charge=charge_from(latest),
        latest_charge_id=latest if isinstance(latest, str) else _field(latest, "id"),
        customer=_id_of(raw.get("customer")),
    )


@dataclass(frozen=True)
class CreatedIntent(Intent):
    """A PaymentIntent as its create call returns it: with the client secret the Payment
    Element mounts with (out of the repr; never stored or logged)."""

    client_secret: str = field(default="", repr=False)


def created_intent_from(raw: Any) -> CreatedIntent:
    return CreatedIntent(**vars(intent_from(raw)),
                         client_secret=str(plain(raw).get("client_secret") or ""))


def _id_of(value: Any) -> str | None:
    return value if isinstance(value, str) else _field(value, "id")


@dataclass(frozen=True)
class SavedCard:
    """A card saved on a Customer: what the shop may show, never the number."""

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    customer: str | None


def saved_card_from(raw: Any) -> SavedCard:
    raw = plain(raw)
    card = raw.get("card") or {}
    return SavedCard(id=raw["id"], brand=str(card.get("brand") or "card"),
                     last4=str(card.get("last4") or ""),
                     exp_month=int(card.get("exp_month") or 0),
                     exp_year=int(card.get("exp_year") or 0),
                     customer=_id_of(raw.get("customer")))


@dataclass(frozen=True)
class Setup:
    """A SetupIntent as the shop reads it."""

    id: str
    status: str
    customer: str | None
    payment_method: str | None
    error: PaymentError | None


def setup_from(raw: Any) -> Setup:
    raw = plain(raw)
    return Setup(id=raw["id"], status=str(raw["status"]), customer=_id_of(raw.get("customer")),
                 payment_method=_id_of(raw.get("payment_method")),
                 error=_payment_error(raw.get("last_setup_error")))


def refund_from(raw: Any) -> Refund:
    raw = plain(raw)
    return Refund(
        id=raw["id"],
        status=str(raw.get("status") or "pending"),
        amount=int(raw["amount"]),
        currency=str(raw["currency"]).upper(),
        charge_id=raw.get("charge") if isinstance(raw.get("charge"), str) else None,
        payment_intent_id=raw.get("payment_intent")
        if isinstance(raw.get("payment_intent"), str) else None,
        failure_reason=raw.get("failure_reason"),
        metadata=dict(raw.get("metadata") or {}),
        reason=raw.get("reason"),
    )


@dataclass(frozen=True)
class Dispute:
    id: str
    status: str  # warning_needs_response | needs_response | under_review | won | lost | ...
    amount: int
    currency: str
    reason: str
    charge_id: str | None
    payment_intent_id: str | None
    evidence_due_by: datetime | None


def dispute_from(raw: Any) -> Dispute:
    raw = plain(raw)
    details = raw.get("evidence_details") or {}
    return Dispute(
        id=raw["id"], status=str(raw["status"]), amount=int(raw["amount"]),
        currency=str(raw["currency"]).upper(), reason=str(raw.get("reason") or "general"),
        charge_id=raw.get("charge") if isinstance(raw.get("charge"), str) else None,
        payment_intent_id=raw.get("payment_intent")
        if isinstance(raw.get("payment_intent"), str) else None,
        evidence_due_by=_timestamp(details.get("due_by")),
    )


@dataclass(frozen=True)
class CheckoutLine:
    """One line of a hosted Checkout, priced by the shop in minor units."""

    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True)
class CheckoutSession:
    """A Checkout Session as the shop reads it; ``url`` is None once it is no longer open."""

    id: str
    status: str  # open | complete | expired
    payment_status: str  # unpaid | paid | no_payment_required
    amount_total: int
    currency: str
    client_reference_id: str | None
    payment_intent_id: str | None
    url: str | None
    expires_at: datetime | None
    metadata: dict[str, str] = field(default_factory=dict)


def checkout_session_from(raw: Any) -> CheckoutSession:
    raw = plain(raw)
    return CheckoutSession(
        id=raw["id"], status=str(raw["status"]), payment_status=str(raw["payment_status"]),
        amount_total=int(raw["amount_total"]), currency=str(raw["currency"]).upper(),
        client_reference_id=raw.get("client_reference_id"),
        payment_intent_id=_id_of(raw.get("payment_intent")), url=raw.get("url"),
        expires_at=_timestamp(raw.get("expires_at")), metadata=dict(raw.get("metadata") or {}))


def signature_timestamp(header: str) -> int | None:
    """The ``t=`` of a Stripe-Signature header, or None when it has none."""
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def looks_like_event(event: Any) -> bool:
    """A verified body still has to be an event before anything reads it."""
    return (
        isinstance(event, dict)
        and event.get("object") == "event"
        and isinstance(event.get("id"), str)
        and isinstance(event.get("type"), str)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )
