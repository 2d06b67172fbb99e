"""A captured order's payment status follows its ledger and its disputes, from one rule.

Refund and dispute updates (webhooks, reconciliation) call ``follow_ledger`` after changing
transaction or dispute rows, inside their transaction, with the order row locked.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.disputes import DisputeStatus, settled_payment_status
from ...domain.ledger import summarize
from ...domain.states import PAYMENT_CAPTURED, PaymentStatus, transition
from ...models import Order, PaymentAttempt, PaymentDispute, PaymentTransaction
from ..platform.audit import record_change


def follow_ledger(session: Session, order: Order, *, actor: str,
                  reason: str | None = None) -> PaymentStatus:
    """Move the order's payment status to what its transactions and disputes say."""
    current = PaymentStatus(order.payment_status)
    rows = session.scalars(select(PaymentTransaction).join(PaymentAttempt)
                           .where(PaymentAttempt.order_id == order.id))
    disputes = session.scalars(select(PaymentDispute.status)
                               .where(PaymentDispute.order_id == order.id))
    target = settled_payment_status(summarize(rows), [DisputeStatus(s) for s in disputes])
    # Before capture the payment's own state machine decides.
    if current not in PAYMENT_CAPTURED or target is None or target == current:
        return current
    order.payment_status = transition("payment", current, target)
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action="payment_status_change", from_state=current, to_state=target,
                  actor=actor, reason=reason)
    return target
