"""Payments taken by hand: cash on delivery and bank transfer, from checkout to staff's word.

At checkout (``prepare_order``, inside ``place_order``'s transaction) a cash-on-delivery
order takes its stock at once and goes to fulfilment with its payment ``pending``; a
bank-transfer order gets its reference (ISO 11649, domain/payment_methods/bank_reference.py)
and holds its
stock for the store's BANK_TRANSFER_HOLD_DAYS. Both are told how to pay by e-mail.

Staff then record what happened (``record_cod_collected``, ``record_cod_refused`` here,
``transfers.record_transfer`` for bank transfers). Money received settles through
``completion.settle_received``: the same attempt moves, ledger rows, receipt and mail as a card.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flask import url_for
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...domain.money import format_money
from ...domain.payment_methods.bank_reference import make_reference
from ...domain.receipts import CASH_ON_DELIVERY, other_method
from ...domain.states import AttemptStatus, OrderStatus, PaymentStatus, transition
from ...models import CartItem, Order, PaymentAttempt
from ...models.types import utcnow
from ..inventory.holds import commit_stock
from ..notifications.outbox import emit
from ..platform.audit import record_change
from ..platform.tx import lock_rows, write_transaction
from .completion import settle_received
from .methods import PAID_BY_HAND, MethodSettings

if TYPE_CHECKING:
    from ..checkout.order_rows import NewOrder

COD, BANK_TRANSFER = "cod", "bank_transfer"
OFFLINE = PAID_BY_HAND


class PaymentNotPending(DomainError):
    """Staff recorded a payment (or a refusal) for an order that is not waiting for one."""

    code = "payment_not_pending"
    status = 409


def method_fee(method: str, settings: MethodSettings) -> int:
    """What the method adds to the order's total, priced here on the server only."""
    return settings.cod_fee if method == COD else 0


def hold_time(method: str, settings: MethodSettings, usual: timedelta) -> timedelta:
    """A bank transfer takes days: its stock is held for the store's transfer hold instead."""
    if method == BANK_TRANSFER:
        return timedelta(days=settings.bank_transfer_hold_days)
    return usual


def prepare_order(session: Session, order: NewOrder, method: str, now: datetime, *,
                  cart_id: int) -> None:
    """The checkout's part for a method paid by hand, after the holds are placed."""
    if method not in OFFLINE:
        return
    actor = f"shopper:{order.email}"
    if method == COD:
        shortages = commit_stock(session, order=order, now=now)  # type: ignore[arg-type]
        # The holds were placed under the same variant locks a moment ago: nothing is short.
        assert not shortages, shortages
        status = transition("order", OrderStatus(order.status), OrderStatus.FULFILLING)
        payment = transition("payment", PaymentStatus.UNPAID, PaymentStatus.PENDING)
        session.execute(update(Order).where(Order.id == order.id)
                        .values(status=status, payment_status=payment)
                        .execution_options(synchronize_session=False))
        record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                      action="payment_status_change", from_state=PaymentStatus.UNPAID,
                      to_state=payment, actor=actor, reason="cash on delivery")
        record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                      action="order_state_change", from_state=order.status, to_state=status,
                      actor=actor, reason="cash on delivery: stock taken, to be sent")
    elif method == BANK_TRANSFER:
        session.execute(update(Order).where(Order.id == order.id)
                        .values(payment_reference=make_reference(order.id))
                        .execution_options(synchronize_session=False))
    # The order is placed for good (no card to retry): the cart starts afresh, and a new
    # checkout of it cannot replace this order.
    session.execute(delete(CartItem).where(CartItem.cart_id == cart_id))
    emit(session, "send_payment_instructions", order_id=order.id)


def start_offline(placed) -> str:
    """The starter of both methods: nothing to create anywhere, the order's page says what
    to do (a repeat post leads to the same page)."""
    return url_for("orders.status", token=placed.token)


def lock_offline_order(session: Session, *, order_id: int, store_id: int,
                       method: str) -> tuple[Order, PaymentAttempt]:
    """The order (of ``store_id``, paid by ``method``) then its attempt, locked in that order
    like the settle function; ``OrderNotFound`` otherwise."""
    from ..orders.errors import OrderNotFound
    from ..orders.fulfilment import lock_order

    order = lock_order(session, order_id=order_id, store_id=store_id)
    session.refresh(order)
    attempt = session.scalar(lock_rows(
        select(PaymentAttempt).where(PaymentAttempt.order_id == order.id)
        .order_by(PaymentAttempt.id.desc()).limit(1)))
    if order.payment_method != method or attempt is None:
        raise OrderNotFound("This order is not paid that way.")
    session.refresh(attempt)
    return order, attempt


def _require_pending(order: Order) -> None:
    if order.status in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
        # Unlike a late bank transfer, cash is handed over for the parcel: on an order
        # called off (its delivery refused, its items back on the shelf) it is a mistake to
        # correct, not money to keep in the books.
        raise PaymentNotPending(
            f"This order is {order.status} and its items are back in stock: no cash can be "
            "recorded for it. If cash did reach you for it, give it back to the customer.")
    if order.payment_status != PaymentStatus.PENDING:
        raise PaymentNotPending(
            f"This order's payment is {order.payment_status.replace('_', ' ')} and the order "
            f"is {order.status.replace('_', ' ')}: there is no cash to collect.")


def record_cod_collected(*, order_id: int, store_id: int, actor: str) -> Order:
    """The courier brought the cash: the order is paid (a CAPTURE with provider ``cod``),
    its receipt issued and mailed. Twice: ``PaymentNotPending``, nothing changed."""
    with write_transaction() as session:
        order, attempt = lock_offline_order(session, order_id=order_id, store_id=store_id,
                                            method=COD)
        _require_pending(order)
        settle_received(session, order, attempt, amount=attempt.amount,
                        reference=f"cod-{order.number}", actor=actor,
                        method=other_method(CASH_ON_DELIVERY), stock_taken=True)
        record_change(session, store_id=store_id, entity_type="order", entity_id=order.id,
                      action="cod_collected", from_state=None, to_state=None, actor=actor,
                      reason=f"{format_money(attempt.amount, attempt.currency)} collected "
                             "in cash on delivery")
    return order


def record_cod_refused(*, order_id: int, store_id: int, actor: str) -> dict[str, int]:
    """The shopper refused the parcel: the order is canceled and its stock put back (the
    units it took at checkout); nothing was paid. Returns what was restocked."""
    from ..orders.fulfilment import restock_order

    with write_transaction() as session:
        order, attempt = lock_offline_order(session, order_id=order_id, store_id=store_id,
                                            method=COD)
        _require_pending(order)
        restocked = restock_order(session, order, actor)
        previous = OrderStatus(order.status)
        order.status = transition("order", previous, OrderStatus.CANCELED)
        order.canceled_at = utcnow()
        record_change(session, store_id=store_id, entity_type="order", entity_id=order.id,
                      action="order_state_change", from_state=previous, to_state=order.status,
                      actor=actor, reason="delivery refused: cash on delivery not paid")
        order.payment_status = transition("payment", PaymentStatus.PENDING, PaymentStatus.UNPAID)
        record_change(session, store_id=store_id, entity_type="order", entity_id=order.id,
                      action="payment_status_change", from_state=PaymentStatus.PENDING,
                      to_state=order.payment_status, actor=actor, reason="delivery refused")
        if attempt.status != AttemptStatus.CANCELED:
            before = attempt.status
            attempt.status = transition("attempt", AttemptStatus(before), AttemptStatus.CANCELED)
            record_change(session, store_id=store_id, entity_type="payment_attempt",
                          entity_id=attempt.id, action="payment_state_change",
                          from_state=before, to_state=attempt.status, actor=actor,
                          reason="delivery refused")
        emit(session, "send_cancellation_email", order_id=order.id, by_staff=True)
    return restocked
