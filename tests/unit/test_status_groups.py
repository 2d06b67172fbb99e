"""Every order and payment status has its label and its place in the named groups of
``shop/domain/states.py``. A status added to an enum fails here until it is given both."""

import pytest

from shop.domain.states import (
    ORDER_CALLED_OFF,
    ORDER_CANCELABLE,
    ORDER_CLOSED,
    ORDER_MOVES,
    ORDER_OPEN,
    ORDER_SENT,
    ORDER_TO_SHIP,
    PAYMENT_CAPTURED,
    PAYMENT_CLOSABLE,
    PAYMENT_HELD,
    PAYMENT_IN_FLIGHT,
    PAYMENT_MOVES,
    PAYMENT_REFUNDED,
    PAYMENT_UNPAID,
)
from shop.domain.states import OrderStatus as O
from shop.domain.states import PaymentStatus as P
from shop.orders.presenter import PAYMENT_LABELS, STATUS_LABELS

ORDER_PARTITION = {"open": ORDER_OPEN, "closed": ORDER_CLOSED}
PAYMENT_PARTITION = {"unpaid": PAYMENT_UNPAID, "in flight": PAYMENT_IN_FLIGHT,
                     "captured": PAYMENT_CAPTURED}


@pytest.mark.parametrize("status", list(O))
def test_every_order_status_has_a_label_and_is_open_or_closed(status):
    assert STATUS_LABELS.get(status), "the shopper's label, in shop/orders/presenter.py"
    assert [name for name, group in ORDER_PARTITION.items() if status in group] in (
        ["open"], ["closed"])


@pytest.mark.parametrize("status", list(P))
def test_every_payment_status_has_a_label_and_one_stage(status):
    assert PAYMENT_LABELS.get(status), "the shopper's label, in shop/orders/presenter.py"
    assert len([name for name, group in PAYMENT_PARTITION.items() if status in group]) == 1


def test_order_groups_fit_together():
    assert ORDER_CANCELABLE <= ORDER_OPEN
    assert ORDER_TO_SHIP <= ORDER_CANCELABLE  # paid, not sent: canceled with a restock
    assert not ORDER_SENT & ORDER_CANCELABLE  # refund instead
    assert ORDER_CALLED_OFF <= ORDER_CLOSED
    # A sent order moves to CANCELED only when a cash-on-delivery parcel is refused.
    assert ORDER_CANCELABLE == {s for s in O if O.CANCELED in ORDER_MOVES[s]} - ORDER_SENT
    assert O.PENDING in ORDER_CANCELABLE - ORDER_TO_SHIP


def test_payment_groups_fit_together():
    assert PAYMENT_UNPAID <= PAYMENT_CLOSABLE
    assert not PAYMENT_CLOSABLE & PAYMENT_CAPTURED
    assert PAYMENT_HELD <= PAYMENT_CAPTURED
    assert PAYMENT_REFUNDED <= PAYMENT_CAPTURED


@pytest.mark.parametrize("status", sorted(PAYMENT_CAPTURED))
def test_captured_money_stays_with_the_ledger(status):
    """Settling leaves a captured payment alone (refunds and disputes decide from there):
    that is only right if no move leads from a captured status back out of the group."""
    assert PAYMENT_MOVES[status] <= PAYMENT_CAPTURED
