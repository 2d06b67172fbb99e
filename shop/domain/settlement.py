"""How a Stripe PaymentIntent status maps onto our attempt state machine."""

from __future__ import annotations

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
