"""Which of a provider's listed refunds is ours when our refund call's answer was lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from shop.providers.base import ProviderRefund
from shop.services.refunds.lost_refunds import RefundUnknown, noted_row, pick

CLAIMED = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
ROW = SimpleNamespace(id=41, amount=5000, created_at=CLAIMED)


def listed(refund_id: str, amount: int = 5000, note: str = "",
           minutes: float = 0.1) -> ProviderRefund:
    return ProviderRefund(refund_id, "ord1-2-ab", amount, "NGN", "pending",
                          created_at=CLAIMED + timedelta(minutes=minutes), note=note)


def test_the_note_naming_our_row_wins_over_amount_and_time():
    ours = listed("9", amount=4000, note="shop refund 41: duplicate", minutes=-60)
    assert pick(ROW, [listed("8"), ours, listed("7", note="shop refund 40")], set()) is ours


def test_without_a_note_the_one_refund_of_our_amount_since_the_claim():
    ours = listed("9")
    assert pick(ROW, [ours, listed("8", amount=1), listed("7", minutes=-10)], set()) is ours


@pytest.mark.parametrize("others", [
    [],  # never made
    [listed("8", amount=4999)],  # another amount
    [listed("7", minutes=-30)],  # made before we asked (staff at the dashboard, earlier)
    [listed("6", note="shop refund 40")],  # another row's, by its note
])
def test_nothing_of_ours_listed(others):
    assert pick(ROW, others, set()) is None


def test_a_refund_another_row_holds_is_not_adopted_twice():
    assert pick(ROW, [listed("9")], {"9"}) is None


def test_two_that_could_be_ours_are_never_guessed():
    with pytest.raises(RefundUnknown):
        pick(ROW, [listed("9"), listed("8", minutes=1)], set())


def test_noted_row_reads_only_our_notes():
    assert noted_row("shop refund 41") == 41
    assert noted_row("shop refund 41: requested_by_customer") == 41
    assert noted_row("shop refund 410x") is None and noted_row("refund 41") is None
