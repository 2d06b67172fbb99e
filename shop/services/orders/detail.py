"""Everything staff see about one order, in a fixed handful of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, or_, select

from ...domain.cancellation import CannotCancel, cancel_rule
from ...domain.ledger import LedgerSummary, summarize
from ...domain.states import ORDER_CANCELABLE, ORDER_TO_SHIP, OrderStatus, PaymentStatus, can_move
from ...extensions import db
from ...models import (
    AuditEvent,
    HoldStatus,
    InventoryHold,
    Order,
    OrderLine,
    OrderNote,
    PaymentAttempt,
    Product,
    SentEmail,
)
from ..payments.admin import AttemptLedger, order_ledgers
from ..payments.queries import HistoryStep, history_steps
from .errors import OrderNotFound
from .fulfilment import refund_owed_text


@dataclass(frozen=True)
class HoldRow:
    product_name: str
    quantity: int
    status: str
    expires_at: object


@dataclass(frozen=True)
class OrderActions:
    fulfil: bool
    ship: bool
    deliver: bool
    cancel: bool
    pack: bool = False
    hand_over: bool = False


@dataclass(frozen=True)
class OrderDetail:
    order: Order
    lines: list[OrderLine]
    attempts: list[PaymentAttempt]
    holds: list[HoldRow]
    events: list[AuditEvent]
    emails: list[SentEmail]
    notes: list[OrderNote]
    actions: OrderActions
    ledgers: dict[int, AttemptLedger] = field(default_factory=dict)  # by attempt id
    totals: LedgerSummary = field(default_factory=lambda: summarize([]))  # all attempts

    def history(self, attempt_id: int) -> list[HistoryStep]:
        """The attempt's declines and moves, from the timeline's rows (no query of its own)."""
        return history_steps(self.events, attempt_id)

    @property
    def money_actions(self) -> bool:
        """Anything in ``admin/orders/_money_actions.html`` to offer."""
        return self.order.paid_at is not None or any(
            ledger.actions.capture or ledger.actions.void or ledger.actions.refund
            for ledger in self.ledgers.values())


def order_in_store(*, store_id: int, order_id: int) -> Order:
    order = db.session.scalar(select(Order).where(Order.id == order_id,
                                                  Order.store_id == store_id))
    if order is None:
        raise OrderNotFound("We could not find that order in this store.")
    return order


def available_actions(order: Order) -> OrderActions:
    status = OrderStatus(order.status)
    return OrderActions(
        # PENDING → FULFILLING is cash on delivery's, taken at checkout, never staff's.
        fulfil=status != OrderStatus.PENDING and can_move("order", status,
                                                          OrderStatus.FULFILLING),
        ship=status in ORDER_TO_SHIP,
        pack=status in (OrderStatus.PAID, OrderStatus.FULFILLING),
        hand_over=can_move("order", status, OrderStatus.IN_TRANSIT),
        deliver=can_move("order", status, OrderStatus.DELIVERED),
        cancel=status in ORDER_CANCELABLE,
    )


def order_detail(*, store_id: int, order_id: int) -> OrderDetail:
    order = order_in_store(store_id=store_id, order_id=order_id)
    lines = list(db.session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)))
    attempts = list(db.session.scalars(
        select(PaymentAttempt).where(PaymentAttempt.order_id == order.id)
        .order_by(PaymentAttempt.id)))
    holds = [HoldRow(name, hold.quantity, hold.status, hold.expires_at)
             for hold, name in db.session.execute(
                 select(InventoryHold, Product.name).join(Product)
                 .where(InventoryHold.order_id == order.id).order_by(InventoryHold.id))]
    attempt_ids = [a.id for a in attempts]
    ledgers = {ledger.attempt.id: ledger for ledger in order_ledgers(order.id)}
    transaction_ids = [row.id for ledger in ledgers.values() for row in ledger.rows]
    events = list(db.session.scalars(select(AuditEvent).where(or_(
        and_(AuditEvent.entity_type == "order", AuditEvent.entity_id == order.id),
        and_(AuditEvent.entity_type == "payment_attempt",
             AuditEvent.entity_id.in_(attempt_ids or [-1])),
        and_(AuditEvent.entity_type == "payment_transaction",
             AuditEvent.entity_id.in_(transaction_ids or [-1])),
    )).order_by(AuditEvent.created_at, AuditEvent.id)))
    emails = list(db.session.scalars(
        select(SentEmail).where(SentEmail.order_id == order.id).order_by(SentEmail.sent_at)))
    notes = list(db.session.scalars(
        select(OrderNote).where(OrderNote.order_id == order.id)
        .order_by(OrderNote.created_at.desc(), OrderNote.id.desc())))
    totals = summarize(row for ledger in ledgers.values() for row in ledger.rows)
    return OrderDetail(order, lines, attempts, holds, events, emails, notes,
                       available_actions(order), ledgers, totals)


@dataclass(frozen=True)
class CancelPlan:
    order: Order
    blocked: str | None  # why it cannot be canceled, in the owner's words
    release: list[tuple[str, int]]  # held units given back
    restock: list[tuple[str, int]]  # units that return to stock on hand
    refund_owed: str | None


def plan_cancel(*, store_id: int, order_id: int) -> CancelPlan:
    """What ``fulfilment.cancel_order`` would do now, for the confirmation page."""
    order = order_in_store(store_id=store_id, order_id=order_id)
    try:
        rule = cancel_rule(OrderStatus(order.status), PaymentStatus(order.payment_status))
    except CannotCancel as exc:
        return CancelPlan(order, str(exc), [], [], None)
    wanted = HoldStatus.CONVERTED if rule.restock else HoldStatus.ACTIVE
    units = [(name, qty) for name, qty in db.session.execute(
        select(Product.name, InventoryHold.quantity).join(Product)
        .where(InventoryHold.order_id == order.id, InventoryHold.status == wanted)
        .order_by(InventoryHold.id))]
    return CancelPlan(order, None, [] if rule.restock else units,
                      units if rule.restock else [],
                      refund_owed_text(order) if rule.refund_owed else None)
