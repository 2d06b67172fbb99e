"""Disputes (chargebacks) and what the order's payment status is once refunds and disputes
have had their say. Pure rules: no app, no database."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .ledger import LedgerSummary
from .states import PaymentStatus


class DisputeStatus(StrEnum):
    """Stripe's dispute statuses at the pinned API version (the SDK's ``Dispute.status``;
    tests/unit/test_disputes.py checks that every one is here). ``won``, ``prevented`` and
    ``warning_closed`` are final; ``lost`` is final unless the merchant appeals."""

    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"  # an inquiry that never became a chargeback
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    APPEAL_NEEDS_RESPONSE = "appeal_needs_response"  # a lost dispute, appealed
    APPEAL_UNDER_REVIEW = "appeal_under_review"
    WON = "won"
    LOST = "lost"
    PREVENTED = "prevented"  # settled before it became a chargeback (any refund is its own)


CLOSED = frozenset({DisputeStatus.WON, DisputeStatus.LOST, DisputeStatus.WARNING_CLOSED,
                    DisputeStatus.PREVENTED})
FINAL = CLOSED - {DisputeStatus.LOST}
APPEALS = frozenset({DisputeStatus.APPEAL_NEEDS_RESPONSE, DisputeStatus.APPEAL_UNDER_REVIEW})


def dispute_status(value: str) -> DisputeStatus:
    """Stripe's value; an unknown (newer) one counts as still open, the cautious reading."""
    try:
        return DisputeStatus(value)
    except ValueError:
        return DisputeStatus.UNDER_REVIEW


def dispute_move(current: DisputeStatus, seen: DisputeStatus) -> DisputeStatus | None:
    """The status to record when Stripe now says ``seen``; None if nothing changes.

    A closed dispute stays closed: a stale event fetched before the decision never reopens
    it, so every order of the dispute events ends in the same place. The one way out of
    ``lost`` is an appeal.
    """
    if current in FINAL or seen == current:
        return None
    if current == DisputeStatus.LOST and seen not in APPEALS:
        return None
    return seen


def holds_money(status: DisputeStatus) -> bool:
    """Open, or lost: the money is (or stays) with the card holder's bank."""
    return status not in (DisputeStatus.WON, DisputeStatus.WARNING_CLOSED,
                          DisputeStatus.PREVENTED)


def settled_payment_status(summary: LedgerSummary,
                           disputes: Iterable[DisputeStatus]) -> PaymentStatus | None:
    """What a captured payment's status is now: from its disputes, then from the ledger.

    A lost dispute stays ``disputed`` (the marker that the money went to the card holder);
    a won one gives the status back to the ledger. None when nothing was captured: the
    payment's own state machine decides then.
    """
    if any(holds_money(status) for status in disputes):
        return PaymentStatus.DISPUTED
    if summary.captured <= 0:
        return None
    if summary.refunded >= summary.captured:
        return PaymentStatus.REFUNDED
    if summary.refunded > 0:
        return PaymentStatus.PARTIALLY_REFUNDED
    return PaymentStatus.PAID
