"""How a redirect provider's truth (Paystack, Flutterwave: ``shop/providers/``) maps onto our
attempt state machine, and the amount check before anything is marked paid.

The words are the protocol's normalised statuses (succeeded, authorized, failed, pending,
canceled). These providers charge at once, so a success walks the attempt through the same
states as Stripe's automatic capture; authorized (a manual capture's hold, which they never
report) stops one step short. Pending plans nothing: the shopper may still pay until our hold
lapses.
"""

from __future__ import annotations

from ..money import format_money
from ..states import AttemptStatus as A
from ..states import attempt_path, can_move

PROVIDER_TO_ATTEMPT = {
    "succeeded": A.CAPTURED,
    "authorized": A.AUTHORIZED,
    "failed": A.FAILED,
    "canceled": A.CANCELED,
}


def plan_provider_moves(current: A, status: str) -> list[A]:
    """The moves that bring an attempt in line with the provider, forward only."""
    target = PROVIDER_TO_ATTEMPT.get(status)
    if target is None:
        return []
    if target in (A.CAPTURED, A.AUTHORIZED):
        return attempt_path(current, target)
    if can_move("attempt", current, target):
        return [target]
    # A cancel the machine refuses from this state still ends an open attempt.
    if target == A.CANCELED and can_move("attempt", current, A.FAILED):
        return [A.FAILED]
    return []


def reported_mismatch(*, provider: str, reported_amount: int | None,
                      reported_currency: str | None, amount: int, currency: str) -> str | None:
    """Why what ``provider`` reports differs from the attempt's amount, for staff; None if not."""
    if reported_amount is None or reported_currency is None:
        return f"{provider} reported no amount"
    if reported_currency.upper() != currency.upper():
        return (f"{provider} reported the payment in {reported_currency.upper()}, "
                f"not {currency.upper()}")
    if reported_amount != amount:
        return (f"{provider} reported {format_money(reported_amount, currency)}, "
                f"not {format_money(amount, currency)}")
    return None
