"""How a Stripe PaymentIntent status maps onto our attempt state machine."""

from __future__ import annotations

from typing import Protocol

from .money import format_money
from .states import AttemptStatus as A
from .states import PaymentStatus as P
from .states import attempt_path, can_move

INTENT_TO_ATTEMPT = {
    "requires_payment_method": A.INITIATED,
    "requires_confirmation": A.INITIATED,
    "requires_action": A.AUTHORIZING,
    "processing": A.AUTHORIZING,
    "requires_capture": A.AUTHORIZED,
    "succeeded": A.CAPTURED,
    "canceled": A.CANCELED,
}

ATTEMPT_TO_PAYMENT = {
    A.AUTHORIZING: P.PROCESSING,
    A.AUTHORIZED: P.AUTHORIZED,
    A.CAPTURED: P.PAID,
    A.FAILED: P.FAILED,
    # Nothing was taken: an authorization that was voided leaves the order unpaid.
    A.CANCELED: P.UNPAID,
}


def plan_attempt_moves(current: A, intent_status: str) -> list[A]:
    """The moves that bring an attempt in line with Stripe, forward only.

    A stale status (``processing`` arriving after ``succeeded``) plans nothing. A
    ``requires_payment_method`` while authorizing reopens the attempt so the same intent can
    take another card. A canceled intent cancels any open attempt.
    """
    target = INTENT_TO_ATTEMPT.get(intent_status)
    if target is None:
        return []
    if target == A.INITIATED:
        return [A.INITIATED] if current == A.AUTHORIZING else []
    if target == A.CANCELED:
        if can_move("attempt", current, A.CANCELED):
            return [A.CANCELED]
        return [A.FAILED] if can_move("attempt", current, A.FAILED) else []
    return attempt_path(current, target)


def payment_status_for(attempt: A, *, failed: bool) -> P | None:
    """The order's payment status once its attempt is in ``attempt``; None = leave it."""
    if attempt == A.INITIATED:
        return P.FAILED if failed else None
    return ATTEMPT_TO_PAYMENT.get(attempt)


class ReportedIntent(Protocol):
    """The figures a provider reports for a payment (the gateway's ``Intent``); read-only
    properties, as the gateway's objects are frozen."""

    @property
    def status(self) -> str: ...

    @property
    def amount(self) -> int: ...

    @property
    def currency(self) -> str: ...

    @property
    def amount_capturable(self) -> int: ...

    @property
    def amount_received(self) -> int: ...


def amount_mismatch(intent: ReportedIntent, *, amount: int, currency: str,
                    capture_asked: int | None = None) -> str | None:
    """Why ``intent`` does not match what we asked for, in words for staff; None if it does.

    ``amount`` and ``currency`` are the attempt's. The intent's amount (and, once authorized,
    what it can capture) must be the attempt's amount. What it received must be what was
    meant to be taken: the whole amount, or ``capture_asked`` when staff captured part of a
    manual authorization. A partial capture nobody asked for is a mismatch too.
    """
    if intent.currency.upper() != currency.upper():
        return (f"Stripe reported the payment in {intent.currency.upper()}, "
                f"not {currency.upper()}")
    asked = format_money(amount, currency)
    if intent.amount != amount:
        return f"Stripe reported {format_money(intent.amount, currency)}, not {asked}"
    if intent.status == "requires_capture" and intent.amount_capturable != amount:
        return (f"Stripe authorized {format_money(intent.amount_capturable, currency)}, "
                f"not {asked}")
    wanted = amount if capture_asked is None else capture_asked
    if intent.status == "succeeded" and intent.amount_received != wanted:
        return (f"Stripe received {format_money(intent.amount_received, currency)}, "
                f"not {format_money(wanted, currency)}")
    return None
