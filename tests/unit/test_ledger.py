from dataclasses import dataclass

import pytest

from shop.domain.ledger import (
    InvalidAmount,
    RefundExceedsBalance,
    check_capture_amount,
    check_refund_amount,
    summarize,
)
from shop.domain.states import PaymentStatus


@dataclass
class Row:
    kind: str
    status: str
    amount: int


def test_an_empty_ledger_is_all_zero():
    summary = summarize([])
    assert (summary.authorized, summary.captured, summary.refunded, summary.refundable) == (
        0, 0, 0, 0)
    assert not summary.pending_capture and not summary.pending_void


def test_figures_come_from_succeeded_rows_and_pending_refunds_count_against_the_balance():
    summary = summarize([
        Row("auth", "succeeded", 5000), Row("capture", "succeeded", 4000),
        Row("refund", "succeeded", 1000), Row("refund", "pending", 500),
        Row("refund", "failed", 2500), Row("capture", "failed", 4000),
    ])
    assert summary.authorized == 5000
    assert summary.captured == 4000
    assert summary.refunded == 1000
    assert summary.pending_refunds == 500
    assert summary.refundable == 2500


def test_pending_capture_and_void_are_visible():
    assert summarize([Row("capture", "pending", 100)]).pending_capture
    assert summarize([Row("void", "pending", 100)]).pending_void
    assert not summarize([Row("void", "failed", 100)]).pending_void


@pytest.mark.parametrize(("amount", "ok"), [(0, False), (1, True), (2500, True), (2501, False)])
def test_refund_amount_limits(amount, ok):
    summary = summarize([Row("capture", "succeeded", 3000), Row("refund", "pending", 500)])
    if ok:
        check_refund_amount(amount, summary)
    else:
        with pytest.raises((InvalidAmount, RefundExceedsBalance)):
            check_refund_amount(amount, summary)


@pytest.mark.parametrize(("amount", "ok"), [(0, False), (1, True), (900, True), (901, False)])
def test_capture_amount_limits(amount, ok):
    if ok:
        check_capture_amount(amount, 900)
    else:
        with pytest.raises(InvalidAmount):
            check_capture_amount(amount, 900)


def test_a_released_authorization_leaves_the_order_unpaid():
    from shop.domain.settlement import payment_status_for
    from shop.domain.states import AttemptStatus

    assert payment_status_for(AttemptStatus.CANCELED, failed=False) == PaymentStatus.UNPAID
