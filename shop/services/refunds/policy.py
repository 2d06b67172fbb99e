"""The refund limit and window applied inside the refund's claim transaction.

``refund_payment`` calls ``enforce_refund_policy`` under the attempt's row lock, after the
amount is known and before the claim row is written, so every caller (admin pages, the JSON
API, jobs) gets the same answer and a refused refund changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.ledger import NotFound, TransactionKind, TransactionStatus
from ...domain.money import format_money
from ...domain.refund_policy import PolicyCheck, Refunder, RefundRole, check_refund_policy
from ...models import Order, PaymentAttempt, PaymentTransaction, Role, StoreMembership
from ...models.types import utcnow
from ..platform.audit import record_change
from ..platform.settings import effective_settings


def refunder_role(session: Session, by: Refunder | None, store_id: int) -> RefundRole:
    """The caller's role for a refund in ``store_id``; no ``by`` is the shop itself."""
    if by is None:
        return RefundRole.SYSTEM
    if by.role is not None:
        return by.role
    role = session.scalar(select(StoreMembership.role).where(
        StoreMembership.user_id == by.user_id, StoreMembership.store_id == store_id))
    if role is None:
        raise NotFound("No such payment.")
    return RefundRole.OWNER if role == Role.OWNER else RefundRole.STAFF


def refunded_on_order(session: Session, order_id: int) -> int:
    """Refunds of the order that did not fail (pending ones count), over all its attempts."""
    amounts = session.scalars(
        select(PaymentTransaction.amount).join(PaymentAttempt)
        .where(PaymentAttempt.order_id == order_id,
               PaymentTransaction.kind == TransactionKind.REFUND,
               PaymentTransaction.status != TransactionStatus.FAILED))
    return sum(amounts)


def check_policy(session: Session, *, order: Order, attempt: PaymentAttempt, amount: int,
                 paid_at: datetime | None, by: Refunder | None, override_reason: str | None,
                 now: datetime | None = None) -> PolicyCheck:
    """The store's rules applied to this refund; raises as ``check_refund_policy`` does."""
    role = refunder_role(session, by, attempt.store_id)
    settings = effective_settings(attempt.store_id)
    return check_refund_policy(
        role=role, amount=amount, refunded_before=refunded_on_order(session, order.id),
        limit=settings.staff_refund_limit, paid_at=paid_at, now=now or utcnow(),
        window_days=settings.refund_window_days, currency=attempt.currency,
        override_reason=override_reason)


def enforce_refund_policy(session: Session, *, order: Order, attempt: PaymentAttempt,
                          amount: int, paid_at: datetime | None, by: Refunder | None,
                          override_reason: str | None, actor: str,
                          now: datetime | None = None) -> None:
    """Raise ``RefundAboveLimit`` or ``OutsideRefundWindow``; audit an owner's override."""
    check = check_policy(session, order=order, attempt=attempt, amount=amount,
                         paid_at=paid_at, by=by, override_reason=override_reason, now=now)
    if check.override:
        settings = effective_settings(attempt.store_id)
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action="refund_window_override", from_state=None,
                      to_state=None, actor=actor,
                      reason=f"{format_money(amount, attempt.currency)} refunded after the "
                             f"{settings.refund_window_days}-day window: {check.override}")
