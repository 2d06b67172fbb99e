"""Bank transfers: staff record each transfer received; the order is paid once they add up.

Every transfer is a CAPTURE row (money the shop has), with provider ``bank_transfer`` on
its attempt. Less than the total leaves the payment ``pending`` with the rest owed; the
transfer that completes it settles the order through ``completion.settle_received`` (paid,
stock taken, receipt); more than the total also flags the order for a refund of the
difference; a transfer for an order canceled or expired meanwhile is recorded but owed
back (transfer_owed.py). The balance comes from domain/payment_methods/transfer_balance.py
over the ledger's rows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select

from ...domain.errors import DomainError
from ...domain.ledger import TransactionKind, TransactionStatus
from ...domain.money import MAX_AMOUNT, format_money
from ...domain.payment_methods.transfer_balance import Balance, Transfer, balance
from ...domain.receipts import BANK_TRANSFER, other_method
from ...domain.states import (
    ORDER_CALLED_OFF,
    PAYMENT_CAPTURED,
    PAYMENT_UNPAID,
    AttemptStatus,
    OrderStatus,
    PaymentStatus,
    transition,
)
from ...extensions import db
from ...models import Order, PaymentAttempt, PaymentTransaction, SentEmail
from ...models.types import utcnow
from ..platform.audit import record_change
from ..platform.tx import write_transaction
from .completion import settle_received
from .methods import method_settings
from .offline import BANK_TRANSFER as METHOD
from .offline import PaymentNotPending, lock_offline_order
from .transfer_owed import REFUND_OWED, keep_as_owed, owe_back

TRANSFER_RECEIVED = "transfer_received"  # audit action
OVERPAID = "transfer_overpaid"  # audit action; the order's attention says how much
REMINDER = "transfer_reminder"  # the e-mail's kind (sent once per order)
REMIND_AFTER = timedelta(days=1)


class InvalidTransfer(DomainError):
    """The transfer as typed cannot be recorded (the form shows why)."""

    code = "invalid_transfer"
    status = 422


@dataclass(frozen=True)
class TransferOutcome:
    balance: Balance
    paid: bool  # this transfer completed the payment
    called_off: bool = False  # the order was canceled or expired: recorded, to refund


def received_so_far(rows: list[PaymentTransaction]) -> list[Transfer]:
    return [Transfer(row.amount, row.currency) for row in rows
            if row.kind == TransactionKind.CAPTURE and row.status == TransactionStatus.SUCCEEDED]


def _order_rows(session, order_id: int) -> list[PaymentTransaction]:
    return list(session.scalars(select(PaymentTransaction).join(PaymentAttempt)
                                .where(PaymentAttempt.order_id == order_id)))


def received_total(session, order_id: int) -> int:
    """All the transfers received for the order, in minor units."""
    return sum(t.amount for t in received_so_far(_order_rows(session, order_id)))


def order_balance(order: Order) -> Balance:
    """What the order has received and still owes (for its pages)."""
    return balance(order.total, order.currency, received_so_far(_order_rows(db.session,
                                                                            order.id)))


def check_transfer(*, amount: int, received_on: date, placed: datetime,
                   today: date) -> None:
    if not 0 < amount <= MAX_AMOUNT:
        raise InvalidTransfer("Enter the amount received, more than 0.")
    if received_on > today:
        raise InvalidTransfer("The date received cannot be in the future.")
    if received_on < placed.date() - timedelta(days=1):
        raise InvalidTransfer("The date received is before the order was placed.")


def record_transfer(*, order_id: int, store_id: int, actor: str, amount: int,
                    received_on: date, reference: str) -> TransferOutcome:
    """Record a transfer of ``amount`` minor units received on ``received_on``.

    On a canceled or expired order the money is recorded and flagged to pay back, and the
    order stays as it is (``called_off``; transfer_owed.py). Raises ``InvalidTransfer``
    (bad amount or date), ``PaymentNotPending`` (the order is paid already, or not a
    bank-transfer order waiting for money) or ``OrderNotFound``.
    """
    reference = reference.strip()[:100]
    with write_transaction() as session:
        order, attempt = lock_offline_order(session, order_id=order_id, store_id=store_id,
                                            method=METHOD)
        payment = PaymentStatus(order.payment_status)
        called_off = OrderStatus(order.status) in ORDER_CALLED_OFF
        if payment not in (LATE_PAYMENT_OK if called_off else WAITING):
            raise PaymentNotPending(f"This order's payment is {payment.value.replace('_', ' ')}:"
                                    " it is not waiting for a transfer.")
        check_transfer(amount=amount, received_on=received_on, placed=order.created_at,
                       today=utcnow().date())
        after = balance(order.total, order.currency,
                        [*received_so_far(_order_rows(session, order.id)),
                         Transfer(amount, order.currency)])
        said = (f"{format_money(amount, order.currency)} received by bank transfer on "
                f"{received_on.isoformat()}" + (f", reference {reference}" if reference else ""))
        if called_off:
            _record_on_called_off(session, order, attempt, amount=amount, said=said,
                                  actor=actor)
            return TransferOutcome(after, paid=False, called_off=True)
        attempt = _open_attempt(session, order, attempt, amount, actor)
        settle_received(session, order, attempt, amount=amount,
                        reference=_reference(session, order), actor=actor,
                        method=other_method(BANK_TRANSFER), reason=said,
                        complete=after.paid_in_full)
        if not after.paid_in_full and payment != PaymentStatus.PENDING:
            order.payment_status = transition("payment", payment, PaymentStatus.PENDING)
            record_change(session, store_id=store_id, entity_type="order", entity_id=order.id,
                          action="payment_status_change", from_state=payment,
                          to_state=order.payment_status, actor=actor,
                          reason="part of the bank transfer received")
        record_change(session, store_id=store_id, entity_type="order", entity_id=order.id,
                      action=TRANSFER_RECEIVED, from_state=None, to_state=None, actor=actor,
                      reason=f"{said}; {_owed_words(after)}")
        if after.needs_refund:
            _flag_overpaid(session, order, after, actor)
    return TransferOutcome(after, after.paid_in_full)


# Money may still arrive for a canceled or expired order (sent late, or the rest of a part
# payment): recorded, never refused, but kept off the order, which stays called off.
WAITING = PAYMENT_UNPAID | {PaymentStatus.PENDING}
LATE_PAYMENT_OK = WAITING | (PAYMENT_CAPTURED - {PaymentStatus.DISPUTED})


def _record_on_called_off(session, order: Order, attempt: PaymentAttempt, *, amount: int,
                          said: str, actor: str) -> None:
    """A transfer for an order that was canceled or expired: the CAPTURE is recorded as for
    any transfer, but the order is not paid by it (its stock may be gone, the shopper was
    told it was canceled); the whole amount is flagged to pay back."""
    attempt = _open_attempt(session, order, attempt, amount, actor)
    settle_received(session, order, attempt, amount=amount,
                    reference=_reference(session, order), actor=actor,
                    method=other_method(BANK_TRANSFER), reason=said, complete=False)
    keep_as_owed(session, order, actor=actor,
                 reason=f"bank transfer received after the order was {order.status}")
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action=TRANSFER_RECEIVED, from_state=None, to_state=None, actor=actor,
                  reason=f"{said}; the order is {order.status}: not paid by it, to refund")
    owe_back(session, order, action=REFUND_OWED, actor=actor,
             message=f"Bank transfer of {format_money(amount, order.currency)} received "
                     f"after the order was {order.status}: refund "
                     f"{format_money(amount, order.currency)} to the shopper")


def _open_attempt(session, order: Order, attempt: PaymentAttempt, amount: int,
                  actor: str) -> PaymentAttempt:
    """The attempt this transfer is captured on: each transfer is one payment with its own
    CAPTURE row (the ledger has one live CAPTURE per attempt), so once the order's attempt
    has captured a part, the next transfer gets a new attempt."""
    if attempt.status not in (AttemptStatus.CAPTURED, AttemptStatus.CANCELED,
                              AttemptStatus.FAILED):
        return attempt
    fresh = PaymentAttempt(store_id=order.store_id, order_id=order.id, provider=METHOD,
                           status=AttemptStatus.INITIATED, amount=amount,
                           currency=order.currency,
                           idempotency_key=f"transfer-{secrets.token_hex(16)}",
                           capture_method="automatic")
    session.add(fresh)
    session.flush()
    record_change(session, store_id=order.store_id, entity_type="payment_attempt",
                  entity_id=fresh.id, action="payment_state_change", from_state=None,
                  to_state=fresh.status, actor=actor, reason="another bank transfer")
    return fresh


def _reference(session, order: Order) -> str:
    """The attempt's reference: the order's transfer reference, numbered after the first."""
    base = order.payment_reference or f"bank-{order.number}"
    count = session.scalar(select(func.count(PaymentAttempt.id)).where(
        PaymentAttempt.order_id == order.id, PaymentAttempt.provider_reference.is_not(None)))
    return base if not count else f"{base}-{count + 1}"


def _owed_words(after: Balance) -> str:
    if after.overpaid:
        return f"overpaid by {format_money(after.overpaid, after.currency)}"
    if after.owed:
        return f"{format_money(after.owed, after.currency)} still owed"
    return "paid in full"


def _flag_overpaid(session, order: Order, after: Balance, actor: str) -> None:
    owe_back(session, order, action=OVERPAID, actor=actor,
             message=f"Overpaid by bank transfer: {format_money(after.overpaid, after.currency)} "
                     "to refund to the shopper")


# The reminder: one e-mail a day after the order, while it still waits for the money.

def orders_to_remind(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Bank-transfer orders placed more than a day ago, still pending and unpaid (or part
    paid), whose hold has not run out, and not reminded yet."""
    now = now or utcnow()
    reminded = exists().where(SentEmail.order_id == Order.id, SentEmail.kind == REMINDER)
    rows = db.session.execute(
        select(Order.id, Order.store_id, Order.created_at)
        .where(Order.payment_method == METHOD, Order.status == OrderStatus.PENDING,
               Order.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.PENDING]),
               Order.created_at <= now - REMIND_AFTER, ~reminded)
        .order_by(Order.id).limit(limit)).all()
    days: dict[int, int] = {}
    due = []
    for order_id, store_id, created_at in rows:
        if store_id not in days:
            days[store_id] = method_settings(store_id).bank_transfer_hold_days
        if created_at + timedelta(days=days[store_id]) > now:
            due.append(order_id)
    return due


def is_open(order: Order) -> bool:
    """Still waiting for the transfer (for the pages and the reminder)."""
    return order.status not in ORDER_CALLED_OFF and order.paid_at is None
