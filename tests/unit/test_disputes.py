"""The payment status after capture, and the moves of a dispute: pure rules, no app."""

import pytest

from shop.domain.disputes import (
    DisputeStatus as D,
)
from shop.domain.disputes import (
    dispute_move,
    dispute_status,
    settled_payment_status,
)
from shop.domain.ledger import LedgerSummary
from shop.domain.states import PaymentStatus as P
from shop.domain.states import can_move


def ledger(captured: int, refunded: int = 0, pending: int = 0) -> LedgerSummary:
    return LedgerSummary(authorized=captured, captured=captured, refunded=refunded,
                         pending_refunds=pending, voided=0, pending_capture=False,
                         pending_void=False)


@pytest.mark.parametrize(("summary", "disputes", "expected"), [
    (ledger(3300), [], P.PAID),
    (ledger(3300, pending=3300), [], P.PAID),  # a pending refund has given nothing back yet
    (ledger(3300, refunded=1000), [], P.PARTIALLY_REFUNDED),
    (ledger(3300, refunded=3300), [], P.REFUNDED),
    (ledger(3300), [D.NEEDS_RESPONSE], P.DISPUTED),
    (ledger(3300), [D.WARNING_UNDER_REVIEW], P.DISPUTED),
    (ledger(3300, refunded=1000), [D.WON], P.PARTIALLY_REFUNDED),
    (ledger(3300), [D.WARNING_CLOSED], P.PAID),
    (ledger(3300), [D.LOST], P.DISPUTED),  # the marker of a lost dispute
    (ledger(3300, refunded=3300), [D.WON, D.UNDER_REVIEW], P.DISPUTED),
    (ledger(0), [], None),  # before capture the payment's own machine decides
])
def test_settled_payment_status(summary, disputes, expected):
    assert settled_payment_status(summary, disputes) == expected


@pytest.mark.parametrize(("current", "target"), [
    (P.PARTIALLY_REFUNDED, P.PAID), (P.REFUNDED, P.PARTIALLY_REFUNDED), (P.REFUNDED, P.PAID),
    (P.PAID, P.DISPUTED), (P.DISPUTED, P.PAID), (P.DISPUTED, P.PARTIALLY_REFUNDED),
])
def test_every_move_the_rule_can_ask_for_is_allowed(current, target):
    assert can_move("payment", current, target)


@pytest.mark.parametrize(("current", "seen", "expected"), [
    (D.NEEDS_RESPONSE, D.UNDER_REVIEW, D.UNDER_REVIEW),
    (D.NEEDS_RESPONSE, D.WON, D.WON),
    (D.UNDER_REVIEW, D.LOST, D.LOST),
    (D.NEEDS_RESPONSE, D.NEEDS_RESPONSE, None),
    (D.WON, D.NEEDS_RESPONSE, None),  # a stale event never reopens a closed dispute
    (D.LOST, D.WON, None),
])
def test_a_dispute_moves_forward_only(current, seen, expected):
    assert dispute_move(current, seen) == expected


def test_an_unknown_dispute_status_counts_as_open():
    assert dispute_status("some_new_status") == D.UNDER_REVIEW
    assert dispute_status("won") == D.WON


def _sdk_dispute_statuses() -> set[str]:
    """The pinned version's enum, as the installed SDK's generated ``Dispute`` declares it."""
    import typing

    from stripe import Dispute

    annotation = Dispute.__annotations__["status"]
    if isinstance(annotation, str):
        annotation = eval(annotation, vars(__import__(Dispute.__module__, fromlist=["x"])))  # noqa: S307
    literals = [a for a in typing.get_args(annotation) if typing.get_origin(a) is typing.Literal]
    return {value for literal in literals for value in typing.get_args(literal)}


def test_every_dispute_status_of_the_pinned_version_is_known():
    sdk = _sdk_dispute_statuses()
    assert "prevented" in sdk  # the list is really read, not empty
    assert sdk == {status.value for status in D}


# What each of Stripe's statuses means for the money, from an open dispute's point of view.
EXPECTED = {
    "warning_needs_response": (True, False), "warning_under_review": (True, False),
    "warning_closed": (False, True), "needs_response": (True, False),
    "under_review": (True, False), "appeal_needs_response": (True, False),
    "appeal_under_review": (True, False), "won": (False, True), "lost": (True, True),
    "prevented": (False, True),
}


@pytest.mark.parametrize("value", sorted(EXPECTED))
def test_each_status_is_read_as_itself_and_holds_money_or_not(value):
    from shop.domain.disputes import CLOSED, holds_money

    status = dispute_status(value)
    assert status.value == value  # never the "unknown" fallback
    assert (holds_money(status), status in CLOSED) == EXPECTED[value]
    assert settled_payment_status(ledger(3300), [status]) == (
        P.DISPUTED if EXPECTED[value][0] else P.PAID)


@pytest.mark.parametrize(("current", "seen", "expected"), [
    (D.LOST, D.APPEAL_NEEDS_RESPONSE, D.APPEAL_NEEDS_RESPONSE),  # the merchant appeals
    (D.APPEAL_UNDER_REVIEW, D.WON, D.WON),
    (D.PREVENTED, D.NEEDS_RESPONSE, None),
    (D.WARNING_UNDER_REVIEW, D.PREVENTED, D.PREVENTED),
])
def test_appeals_and_prevented_disputes(current, seen, expected):
    assert dispute_move(current, seen) == expected
