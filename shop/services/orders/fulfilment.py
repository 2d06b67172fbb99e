"""Staff moving an order's goods: fulfilling, packed, shipped, in transit, delivered,
canceled.

Each use case locks the order, moves it through the order state machine and writes an audit
row naming the staff member, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.cancellation import cancel_rule
from ...domain.errors import IllegalTransition
from ...domain.money import format_money
from ...domain.states import OrderStatus, PaymentStatus, transition
from ...models import HoldStatus, InventoryHold, Order, PaymentAttempt
from ...models.types import utcnow
from ..inventory.holds import lock_variants, release_holds, variant_label
from ..inventory.stock import record_adjustment
from ..notifications.outbox import emit
from ..payments.supersede import cancel_superseded
from ..platform.audit import record_change
from ..platform.tx import lock_rows, write_transaction
from ..refunds.lines import restockable_units
from .errors import OrderNotFound


def lock_order(session: Session, *, order_id: int, store_id: int) -> Order:
    """The order, row-locked, if it belongs to ``store_id``; else ``OrderNotFound``."""
    order = session.scalar(lock_rows(select(Order).where(
        Order.id == order_id, Order.store_id == store_id)))
    if order is None:
        raise OrderNotFound("We could not find that order in this store.")
    return order


def _move(session: Session, order: Order, target: OrderStatus, actor: str,
          reason: str | None = None) -> None:
    previous = OrderStatus(order.status)
    order.status = transition("order", previous, target)
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action="order_state_change", from_state=previous, to_state=target,
                  actor=actor, reason=reason)


def mark_fulfilling(*, order_id: int, store_id: int, actor: str) -> Order:
    """Paid → fulfilling: someone is packing it. Raises ``IllegalTransition`` otherwise."""
    with write_transaction() as session:
        order = lock_order(session, order_id=order_id, store_id=store_id)
        if order.status == OrderStatus.PENDING:
            # The machine's PENDING → FULFILLING is cash on delivery's, made at checkout.
            raise IllegalTransition("order", order.status, OrderStatus.FULFILLING)
        _move(session, order, OrderStatus.FULFILLING, actor)
    return order


def mark_ready_for_shipment(*, order_id: int, store_id: int, actor: str) -> Order:
    """Paid or fulfilling → ready for shipment: packed, waiting for the carrier."""
    with write_transaction() as session:
        order = lock_order(session, order_id=order_id, store_id=store_id)
        if order.status == OrderStatus.PAID:
            _move(session, order, OrderStatus.FULFILLING, actor)
        _move(session, order, OrderStatus.READY_FOR_SHIPMENT, actor)
    return order


def mark_in_transit(*, order_id: int, store_id: int, actor: str) -> Order:
    """Shipped → in transit: the carrier has taken the parcel."""
    with write_transaction() as session:
        order = lock_order(session, order_id=order_id, store_id=store_id)
        _move(session, order, OrderStatus.IN_TRANSIT, actor)
    return order


def ship(*, order_id: int, store_id: int, actor: str, carrier: str,
         tracking_number: str) -> Order:
    """Record the parcel and mark the order shipped (passing through fulfilling if paid)."""
    if not carrier.strip() or not tracking_number.strip():
        raise ValueError("a shipment needs a carrier and a tracking number")
    with write_transaction() as session:
        order = lock_order(session, order_id=order_id, store_id=store_id)
        if order.status == OrderStatus.PAID:
            _move(session, order, OrderStatus.FULFILLING, actor)
        _move(session, order, OrderStatus.SHIPPED, actor,
              reason=f"{carrier.strip()} {tracking_number.strip()}")
        order.carrier = carrier.strip()
        order.tracking_number = tracking_number.strip()
        order.shipped_at = utcnow()
        emit(session, "send_shipped_email", order_id=order.id)
    return order


def mark_delivered(*, order_id: int, store_id: int, actor: str) -> Order:
    with write_transaction() as session:
        order = lock_order(session, order_id=order_id, store_id=store_id)
        _move(session, order, OrderStatus.DELIVERED, actor)
        order.delivered_at = utcnow()
    return order


@dataclass(frozen=True)
class CancelOutcome:
    order: Order
    holds_released: int
    restocked: dict[str, int]  # product name → units put back
    refund_owed: str | None  # what is still to refund, in words, if the order was paid


def refund_owed_text(order: Order) -> str:
    """The refund a paid order canceled now still needs (the ledger knows partial refunds)."""
    if order.payment_status == PaymentStatus.PAID:
        return format_money(order.total, order.currency)
    return "the rest of the payment"


def cancel_order(*, order_id: int, store_id: int, actor: str) -> CancelOutcome:
    """Cancel an order as ``domain.cancellation`` allows (raises ``CannotCancel`` if not).

    Unpaid: its holds are released and its PaymentIntent canceled at Stripe after commit.
    Paid, not shipped: the stock it took goes back (as stock adjustments); the money is
    not refunded here, the audit trail records that a refund is owed.
    """
    with write_transaction() as session:
        order = lock_order(session, order_id=order_id, store_id=store_id)
        rule = cancel_rule(OrderStatus(order.status), PaymentStatus(order.payment_status))
        released, restocked = 0, {}
        if rule.restock:
            restocked = restock_order(session, order, actor)
        else:
            released = release_holds(session, order.id)
        owed = refund_owed_text(order) if rule.refund_owed else None
        reason = f"canceled by staff; {owed} still to refund" if owed else "canceled by staff"
        _move(session, order, OrderStatus.CANCELED, actor, reason=reason)
        order.canceled_at = utcnow()
        if owed:
            record_change(session, store_id=store_id, entity_type="order", entity_id=order.id,
                          action="refund_owed", from_state=None, to_state=None, actor=actor,
                          reason=f"{owed} to refund: the order was canceled after payment")
        attempt_ids = [] if rule.restock else list(session.scalars(
            select(PaymentAttempt.id).where(PaymentAttempt.order_id == order.id)))
        emit(session, "send_cancellation_email", order_id=order.id, by_staff=True)
    if attempt_ids:
        # After commit, never under a lock: cancel the intent at Stripe and settle whatever
        # it says (if the shopper paid meanwhile, the payment is recorded, not lost).
        cancel_superseded(attempt_ids, reason="requested_by_customer")
    return CancelOutcome(order, released, restocked, owed)


def restock_order(session: Session, order: Order, actor: str) -> dict[str, int]:
    """Put back the stock the order's payment took (its converted holds), less the units
    refunds already put back."""
    holds = list(session.scalars(select(InventoryHold).where(
        InventoryHold.order_id == order.id, InventoryHold.status == HoldStatus.CONVERTED)
        .order_by(InventoryHold.id)))
    variants = lock_variants(session, {hold.variant_id for hold in holds})
    quantities = {variant_id: units for variant_id, units
                  in restockable_units(session, order.id).items() if units > 0}
    for hold in holds:
        hold.status = HoldStatus.RELEASED
    restocked = {}
    for variant_id in sorted(quantities):
        variant = variants[variant_id]
        record_adjustment(session, variant, quantities[variant_id],
                          reason=f"Order {order.number} canceled", actor=actor)
        restocked[variant_label(session, variant)] = quantities[variant_id]
    return restocked
