"""Closing an unpaid order: expired (its holds lapsed) or canceled (no payment came)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...domain.states import PAYMENT_CLOSABLE, OrderStatus, PaymentStatus, transition
from ...models import Order
from ...models.types import utcnow
from ..inventory.holds import release_holds
from ..notifications.outbox import emit
from ..platform.audit import record_change

_EMAIL_JOB = {OrderStatus.EXPIRED: "send_expiry_email",
              OrderStatus.CANCELED: "send_cancellation_email"}


def can_close(order: Order) -> bool:
    return (order.status == OrderStatus.PENDING and order.paid_at is None
            and PaymentStatus(order.payment_status) in PAYMENT_CLOSABLE)


def close_order(session: Session, order: Order, *, target: OrderStatus, actor: str,
                reason: str) -> None:
    """Move a locked, unpaid, pending order to ``target``, free its holds, tell the shopper."""
    previous = OrderStatus(order.status)
    order.status = transition("order", previous, target)
    if target == OrderStatus.CANCELED:
        order.canceled_at = utcnow()
    release_holds(session, order.id)
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action="order_state_change", from_state=previous, to_state=order.status,
                  actor=actor, reason=reason)
    # A person closing it (a staff void) is not "not paid in time": the e-mail says so.
    by_staff = target == OrderStatus.CANCELED and actor.startswith("staff:")
    emit(session, _EMAIL_JOB[target], order_id=order.id, **({"by_staff": True} if by_staff
                                                               else {}))
