"""The provider protocol and the plain values that cross it.

Amounts are integer minor units plus an ISO currency on our side of the protocol whatever the
provider's wire format is (Flutterwave speaks major units): each adapter converts at its edge.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol


class ProviderError(RuntimeError):
    """The provider refused a call or could not be reached; ``code`` is stable for callers.

    ``permanent``: sending the same request again cannot help (by default, any refusal that
    is not a ``ProviderUnavailable``); Stripe says so per error (a declined card is neither).
    """

    def __init__(self, message: str, *, code: str = "provider_error", status: int | None = None,
                 permanent: bool | None = None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.permanent = not isinstance(self, ProviderUnavailable) if permanent is None \
            else permanent


class ProviderUnavailable(ProviderError):
    """A network failure or a 5xx: the call may be retried with the same reference."""


class Unsupported(ProviderError):
    """The provider has no such operation (e.g. a manual capture on Paystack)."""


class InvalidSignature(ValueError):
    """A webhook whose signature is missing or wrong: answer 400 ``invalid_signature``."""


class PaymentStatus(StrEnum):
    """The truth about a payment, the same words for every provider."""

    SUCCEEDED = "succeeded"
    AUTHORIZED = "authorized"  # held on the card, waiting for a capture (manual capture only)
    FAILED = "failed"
    PENDING = "pending"
    CANCELED = "canceled"


class EventKind(StrEnum):
    """What a verified webhook says happened; IGNORED ones are recorded and acknowledged."""

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_CANCELED = "payment_canceled"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    IGNORED = "ignored"


class NextStepKind(StrEnum):
    ELEMENT = "element"
    REDIRECT = "redirect"
    INSTRUCTIONS = "instructions"
    NOTHING = "nothing"


@dataclass(frozen=True)
class NextStep:
    """What the shopper does after checkout: mount an element, follow a link, read, or nothing."""

    kind: NextStepKind
    client_secret: str | None = None
    redirect_url: str | None = None
    instructions: Mapping[str, str] = field(default_factory=dict)
    provider_reference: str | None = None


@dataclass(frozen=True)
class PaymentRequest:
    """One attempt to pay, as a provider needs it. ``reference`` is ours and unique per attempt.

    ``idempotency_key``: what a provider that takes one (Stripe) is sent so that a repeated
    start makes nothing new; None: the reference. ``capture_manually``: authorize only, for a
    later ``capture`` (only where ``capabilities.manual_capture``).
    """

    reference: str
    amount: int
    currency: str
    email: str
    return_url: str
    cancel_url: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    # When the shop gives the payment up (the order's stock holds end): a provider whose page
    # can close itself then is told (Flutterwave's session_duration); the others cannot, and
    # a payment made after it is a late payment (services/payments/late_payments.py).
    closes_at: datetime | None = None
    idempotency_key: str | None = None
    capture_manually: bool = False


@dataclass(frozen=True)
class ProviderPayment:
    """What the provider says about one of our references (``provider_reference`` its own id).

    A reference the provider has never charged is PENDING with ``provider_reference`` None: the
    shopper may still pay on the link until our hold lapses, and only then do we give up.
    """

    reference: str
    status: PaymentStatus
    amount: int | None
    currency: str | None
    provider_reference: str | None
    raw_status: str | None = None


@dataclass(frozen=True)
class ProviderRefund:
    """A refund the provider accepted; ``status`` is "pending", "succeeded", "failed" or
    "canceled" (Stripe only: canceled before it was sent); ``failure_reason`` the provider's
    word for a failed one, when it gives one.

    ``created_at`` and ``note`` (the note we sent with it) come with a listed refund, to tell
    ours apart when a refund call's answer was lost."""

    refund_id: str
    reference: str
    amount: int
    currency: str
    status: str
    failure_reason: str | None = None
    created_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class ProviderEvent:
    """A verified webhook in our words. ``event_id`` is the dedup key (unique per provider)."""

    provider: str
    event_id: str
    kind: EventKind
    raw_type: str
    reference: str | None
    amount: int | None
    currency: str | None
    provider_reference: str | None = None


@dataclass(frozen=True)
class Capabilities:
    """What a provider can do. ``currencies`` empty: any currency (Stripe converts)."""

    manual_capture: bool
    partial_refunds: bool
    currencies: frozenset[str]


class PaymentProvider(Protocol):
    """Every way to pay: callers know a provider only by ``name`` and ``capabilities``."""

    name: str
    capabilities: Capabilities

    def start_payment(self, request: PaymentRequest) -> NextStep: ...

    def fetch_payment(self, reference: str) -> ProviderPayment: ...

    def capture(self, reference: str, amount: int, *,
                idempotency_key: str | None = None) -> ProviderPayment: ...

    def void(self, reference: str, *, idempotency_key: str | None = None) -> ProviderPayment: ...

    # ``idempotency_key`` and ``metadata`` go to a provider that takes them (Stripe); the
    # others ignore them (their refunds are guarded by the ledger's pending row instead).
    def refund(self, reference: str, amount: int | None, *, currency: str, reason: str = "",
               idempotency_key: str | None = None,
               metadata: Mapping[str, str] | None = None) -> ProviderRefund: ...

    def fetch_refund(self, refund_id: str, *, reference: str,
                     currency: str) -> ProviderRefund: ...

    def list_refunds(self, reference: str, *, currency: str) -> list[ProviderRefund]: ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> ProviderEvent: ...

    def close(self) -> None: ...


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name from any mapping (Werkzeug's, http.server's, a dict)."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def json_object(body: bytes) -> dict[str, Any]:
    """A webhook body that must be a JSON object; anything else is treated as forged."""
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidSignature("the body is not JSON") from exc
    if not isinstance(parsed, dict):
        raise InvalidSignature("the body is not a JSON object")
    return parsed


def parse_time(value: Any) -> datetime | None:
    """A provider's ISO 8601 timestamp ("2026-01-24T09:18:37.000Z") as an aware datetime; None
    if it sent none or one we cannot read (the caller then matches without it)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
