"""The end of a payment, whoever took it (Stripe, a hosted page, cash or a transfer): the
attempt's and the order's moves through their state machines, the order paid, its stock
taken, its receipt issued and mailed. ``settle.apply_truth`` and the manual payments
(``offline.py``) end here; nothing else moves these states on a payment's behalf.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.orm import Session

from ...domain.ledger import TransactionKind, TransactionStatus
from ...domain.states import (
    PAYMENT_CAPTURED,
    AttemptStatus,
    OrderStatus,
    PaymentStatus,
    attempt_path,
    can_move,
    transition,
)
from ...models import CartItem, Order, PaymentAttempt
from ...models.order import PAID_OUT_OF_STOCK
from ...models.types import utcnow
from ...providers.stripe_objects import Charge
from ..inventory.holds import commit_stock
from ..notifications.outbox import emit
from ..platform.audit import record_change
from ..receipts.issue import issue_receipt
from .ledger import add_transaction

log = logging.getLogger(__name__)


def complete_payment(session: Session, order: Order, *, reference: str | None, actor: str,
                     charge: Charge | None = None, charge_id: str | None = None,
                     method: dict | None = None, stock_taken: bool = False) -> None:
    """The one ending of every payment, whoever took it: the order paid, its stock taken,
    its receipt issued and mailed. ``method`` names a payment without a card on the
    receipt; ``stock_taken``: the stock left at checkout (cash on delivery)."""
    # The receipt is asked for first: the shopper hears "paid" before any refund notice.
    emit(session, "send_receipt", order_id=order.id)
    _mark_paid(session, order, actor, stock_taken=stock_taken)
    issue_receipt(session, order, reference=reference, charge=charge, charge_id=charge_id,
                  method=method)


def settle_received(session: Session, order: Order, attempt: PaymentAttempt, *, amount: int,
                    reference: str, actor: str, method: dict, reason: str | None = None,
                    complete: bool = True, stock_taken: bool = False) -> None:
    """Money taken by hand (cash collected, a bank transfer): the same moves as a captured
    intent, the attempt's CAPTURE row of ``amount``. The caller holds the order's then the
    attempt's lock and has checked the amounts; ``complete``: the order is paid with it (a
    part of a bank transfer is captured on its own attempt, and the order waits)."""
    for step in attempt_path(AttemptStatus(attempt.status), AttemptStatus.CAPTURED):
        move_attempt(session, attempt, step, actor)
    if attempt.provider_reference is None:
        attempt.provider_reference = reference
    add_transaction(session, attempt, kind=TransactionKind.CAPTURE, amount=amount,
                    actor=actor, status=TransactionStatus.SUCCEEDED, reason=reason,
                    provider_reference=attempt.provider_reference, flush=False)
    if not complete:
        return
    move_payment(session, order, PaymentStatus.PAID, actor)
    if order.paid_at is None:
        complete_payment(session, order, reference=reference, actor=actor, method=method,
                         stock_taken=stock_taken)


def move_attempt(session: Session, attempt: PaymentAttempt, target: AttemptStatus,
                 actor: str, *, machine: str = "attempt", reason: str | None = None) -> None:
    """``machine``: ``hosted_attempt`` for the late capture of a given-up hosted-page link."""
    previous = attempt.status
    attempt.status = transition(machine, AttemptStatus(previous), target)
    attempt.updated_at = utcnow()
    record_change(session, store_id=attempt.store_id, entity_type="payment_attempt",
                  entity_id=attempt.id, action="payment_state_change", from_state=previous,
                  to_state=attempt.status, actor=actor, reason=reason)


def cancel_attempt(session: Session, attempt: PaymentAttempt, actor: str) -> None:
    """End a locked attempt that will take no money (its hosted page expired, a newer attempt
    replaced it), if its state allows; the order is the caller's to decide."""
    if can_move("attempt", AttemptStatus(attempt.status), AttemptStatus.CANCELED):
        move_attempt(session, attempt, AttemptStatus.CANCELED, actor)


def move_payment(session: Session, order: Order, target: PaymentStatus, actor: str,
                 reason: str | None = None) -> None:
    current = PaymentStatus(order.payment_status)
    if current == target or not can_move("payment", current, target):
        return
    if current in PAYMENT_CAPTURED:
        return  # refunds and disputes decide from here (ledger.follow_ledger)
    order.payment_status = transition("payment", current, target)
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action="payment_status_change", from_state=current, to_state=target,
                  actor=actor, reason=reason)


def _mark_paid(session: Session, order: Order, actor: str, *, stock_taken: bool) -> None:
    now = utcnow()
    order.paid_at = now
    previous = OrderStatus(order.status)
    if can_move("order", previous, OrderStatus.PAID):
        order.status = transition("order", previous, OrderStatus.PAID)
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action="order_state_change", from_state=previous,
                      to_state=order.status, actor=actor)
    shortages = [] if stock_taken else commit_stock(session, order=order, now=now)
    if shortages:
        _flag_out_of_stock(session, order, shortages, actor)
    if order.cart_id is not None:
        # One DELETE, not loading the cart and its items (with their products) to delete
        # them one by one.
        session.execute(delete(CartItem).where(CartItem.cart_id == order.cart_id))


def _flag_out_of_stock(session: Session, order: Order, shortages: list[str],
                       actor: str) -> None:
    """Paid after the stock was gone: staff are told, and the money goes back unless the
    owner turned automatic refunds off (AUTO_REFUND_OUT_OF_STOCK)."""
    auto_refund = current_app.config["AUTO_REFUND_OUT_OF_STOCK"]
    follow_up = ("automatic refund requested" if auto_refund
                 else "automatic refunds are off: refund or ship later")
    order.attention = f"{PAID_OUT_OF_STOCK}: {'; '.join(shortages)} ({follow_up})"
    log.warning("order paid without stock", extra={"order_id": order.id})
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action="paid_out_of_stock", from_state=None, to_state=None, actor=actor,
                  reason=order.attention)
    if auto_refund:
        emit(session, "refund_out_of_stock_order", order_id=order.id)
