"""The moves cash on delivery and bank transfer add to the state machines, with no app."""

import pytest

from shop.domain.cancellation import CannotCancel, cancel_rule
from shop.domain.errors import IllegalTransition
from shop.domain.states import (
    ORDER_CANCELABLE,
    PAYMENT_CLOSABLE,
    PAYMENT_IN_FLIGHT,
    can_move,
    transition,
)
from shop.domain.states import OrderStatus as O
from shop.domain.states import PaymentStatus as P


@pytest.mark.parametrize(("current", "target"), [
    (P.UNPAID, P.PENDING),  # cash on delivery placed; part of a transfer received
    (P.PENDING, P.PAID),  # cash collected; the transfer complete
    (P.PENDING, P.UNPAID),  # delivery refused
])
def test_pending_payment_moves(current, target):
    assert transition("payment", current, target) == target


@pytest.mark.parametrize("target", [P.FAILED, P.REFUNDED, P.PROCESSING, P.AUTHORIZED,
                                    P.DISPUTED])
def test_pending_refuses_the_rest(target):
    with pytest.raises(IllegalTransition):
        transition("payment", P.PENDING, target)


def test_a_pending_payment_is_never_closed_by_the_jobs():
    assert P.PENDING in PAYMENT_IN_FLIGHT and P.PENDING not in PAYMENT_CLOSABLE


def test_cash_on_delivery_goes_to_fulfilment_unpaid_and_a_refused_parcel_cancels():
    assert can_move("order", O.PENDING, O.FULFILLING)
    assert can_move("order", O.SHIPPED, O.CANCELED) and can_move("order", O.IN_TRANSIT,
                                                                  O.CANCELED)
    assert O.SHIPPED not in ORDER_CANCELABLE and O.IN_TRANSIT not in ORDER_CANCELABLE


@pytest.mark.parametrize("status", [O.PENDING, O.FULFILLING, O.READY_FOR_SHIPMENT])
def test_staff_cancel_refuses_a_pending_payment(status):
    with pytest.raises(CannotCancel, match="refused"):
        cancel_rule(status, P.PENDING)
