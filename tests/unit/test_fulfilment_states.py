"""ready_for_shipment (packed) and in_transit (with the carrier): optional steps of the
fulfilment path, with no app."""

import pytest

from shop.domain.cancellation import CannotCancel, cancel_rule
from shop.domain.errors import IllegalTransition
from shop.domain.states import ORDER_SENT, ORDER_TO_SHIP, can_move, transition
from shop.domain.states import OrderStatus as O
from shop.domain.states import PaymentStatus as P

ALLOWED = [(O.FULFILLING, O.READY_FOR_SHIPMENT), (O.READY_FOR_SHIPMENT, O.SHIPPED),
           (O.SHIPPED, O.IN_TRANSIT), (O.IN_TRANSIT, O.DELIVERED),
           (O.READY_FOR_SHIPMENT, O.CANCELED),
           # Both steps are optional: the old path still works.
           (O.FULFILLING, O.SHIPPED), (O.SHIPPED, O.DELIVERED)]
REFUSED = [(O.PAID, O.READY_FOR_SHIPMENT), (O.PENDING, O.READY_FOR_SHIPMENT),
           (O.READY_FOR_SHIPMENT, O.IN_TRANSIT), (O.READY_FOR_SHIPMENT, O.DELIVERED),
           (O.FULFILLING, O.IN_TRANSIT), (O.IN_TRANSIT, O.SHIPPED),
           (O.DELIVERED, O.CANCELED), (O.DELIVERED, O.IN_TRANSIT),
           (O.READY_FOR_SHIPMENT, O.FULFILLING)]


@pytest.mark.parametrize(("current", "target"), ALLOWED)
def test_allowed_moves(current, target):
    assert transition("order", current, target) == target


@pytest.mark.parametrize(("current", "target"), REFUSED)
def test_refused_moves(current, target):
    assert not can_move("order", current, target)
    with pytest.raises(IllegalTransition):
        transition("order", current, target)


def test_packed_is_still_to_ship_and_in_transit_is_sent():
    assert O.READY_FOR_SHIPMENT in ORDER_TO_SHIP and O.IN_TRANSIT in ORDER_SENT


def test_a_packed_paid_order_cancels_with_a_restock_and_a_refund_owed():
    rule = cancel_rule(O.READY_FOR_SHIPMENT, P.PAID)
    assert (rule.restock, rule.refund_owed) == (True, True)


def test_an_order_with_the_carrier_cannot_be_canceled():
    with pytest.raises(CannotCancel, match="shipped"):
        cancel_rule(O.IN_TRANSIT, P.PAID)
