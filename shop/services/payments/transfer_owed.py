"""Bank-transfer money the shop holds for goods it will not send: owed back to the shopper.

Two ways to get there. A part-paid transfer whose hold ran out is canceled by the
unpaid-order job (``cancel_part_paid_transfer``, from ``inventory.expiry``): its holds are
released, the shopper is told the part received comes back. A transfer staff record on an
order already canceled or expired (``transfers.record_transfer``) is kept in the ledger
but does not revive the order: its stock may be sold. Either way the order stays canceled,
its payment status follows the ledger (``paid``: the dashboard lists it under "Canceled,
refund owed"), and the amount is flagged on the order and raised as a staff alert. Staff
then pay it back by hand and record the payout, with its reference, on the refund page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.money import format_money
from ...domain.states import PAYMENT_CAPTURED, OrderStatus, PaymentStatus
from ...extensions import db
from ...models import Order
from ..platform.alerts import raise_alert
from ..platform.audit import record_change
from ..platform.tx import lock_rows, write_transaction
from .completion import move_payment
from .ledger import follow_ledger

BANK_TRANSFER = "bank_transfer"
REFUND_OWED = "transfer_refund_owed"  # audit action and alert kind
TIMED_OUT = "its bank transfer was not received in full before its hold ran out"


def owe_back(session: Session, order: Order, *, action: str, message: str,
             actor: str) -> None:
    """Flag money to pay back on the locked order: its attention line, an audit row, and a
    staff alert (one open alert per order)."""
    order.add_attention(message)
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action=action, from_state=None, to_state=None, actor=actor, reason=message)
    raise_alert(session, store_id=order.store_id, kind=REFUND_OWED, order_id=order.id,
                message=f"Order {order.number}: {message}. Pay it back and record the "
                        "refund with the payout's reference.")


def keep_as_owed(session: Session, order: Order, *, actor: str, reason: str) -> None:
    """The locked, called-off order's payment status once its transfers are in the ledger:
    captured money is ``paid`` (refunds move it on from there), never ``pending`` on an
    order nobody will pay the rest of."""
    session.flush()  # the new CAPTURE rows, for the ledger to count
    if PaymentStatus(order.payment_status) in PAYMENT_CAPTURED:
        follow_ledger(session, order, actor=actor, reason=reason)
        return
    move_payment(session, order, PaymentStatus.PAID, actor, reason=reason)


def part_paid_transfers(older_than: datetime, limit: int, *, store_id: int) -> list[int]:
    """Bank-transfer orders placed before ``older_than`` still waiting for the rest."""
    return list(db.session.scalars(
        select(Order.id).where(Order.store_id == store_id, Order.status == OrderStatus.PENDING,
                               Order.payment_method == BANK_TRANSFER,
                               Order.payment_status == PaymentStatus.PENDING,
                               Order.paid_at.is_(None), Order.created_at <= older_than)
        .order_by(Order.id).limit(limit)))


def cancel_part_paid_transfer(*, order_id: int, actor: str) -> str:
    """Cancel a part-paid transfer order whose hold ran out; ``closed``, or ``kept`` if it
    is no longer waiting (the rest was recorded first: both take the order's lock)."""
    from ..inventory.expiry import close_order  # expiry imports the payments package
    from .transfers import received_total

    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        if order is None:
            return "kept"
        session.refresh(order)
        if (order.status != OrderStatus.PENDING or order.paid_at is not None
                or order.payment_method != BANK_TRANSFER
                or order.payment_status != PaymentStatus.PENDING):
            return "closed" if order.status == OrderStatus.CANCELED else "kept"
        received = received_total(session, order.id)
        close_order(session, order, target=OrderStatus.CANCELED, actor=actor,
                    reason=TIMED_OUT, received=received)
        keep_as_owed(session, order, actor=actor, reason=f"canceled: {TIMED_OUT}")
        owe_back(session, order, action=REFUND_OWED, actor=actor,
                 message=f"Canceled with {format_money(received, order.currency)} of "
                         f"{format_money(order.total, order.currency)} received by bank "
                         f"transfer: refund {format_money(received, order.currency)} to "
                         "the shopper")
    return "closed"
