"""Disputes (chargebacks) as Stripe reports them: recorded once, alerted, closed once.

While a dispute is open the order's payment status is ``disputed`` and a staff alert
(kind ``dispute``) says what to answer and by when. Won: the alert is resolved and the
payment status goes back to what the ledger says (paid or partially refunded). Lost: the
status stays ``disputed`` (our marker that the card holder's bank took the money back) and
the alert stays open, its message saying so, until staff resolve it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.disputes import (
    APPEALS,
    CLOSED,
    DisputeStatus,
    dispute_move,
    dispute_status,
    holds_money,
)
from ...domain.money import format_money
from ...models import Order, PaymentDispute, StaffAlert
from ...models.types import utcnow
from ...providers.stripe_gateway import Dispute
from ..payments.ledger import follow_ledger, lock_attempt
from ..platform.alerts import raise_alert
from ..platform.audit import record_change
from .updates import attempt_of

DISPUTE = "dispute"


def sync_dispute(session: Session, dispute: Dispute, *, actor: str) -> bool:
    """Bring our record of ``dispute`` in line with Stripe's; False if the payment is not ours."""
    attempt_id = attempt_of(session, dispute)
    if attempt_id is None:
        return False
    locked = lock_attempt(session, attempt_id)
    assert locked is not None, "attempt_of found it in this transaction; none is ever deleted"
    order, attempt = locked
    seen = dispute_status(dispute.status)
    row = session.scalar(select(PaymentDispute)
                         .where(PaymentDispute.provider_reference == dispute.id))
    if row is None:
        row = PaymentDispute(store_id=order.store_id, order_id=order.id, attempt_id=attempt.id,
                             provider_reference=dispute.id, charge_id=dispute.charge_id,
                             amount=dispute.amount, currency=dispute.currency,
                             reason=dispute.reason[:60], status=seen,
                             evidence_due_by=dispute.evidence_due_by)
        session.add(row)
        session.flush()
        row.alert_id = raise_alert(session, store_id=order.store_id, kind=DISPUTE,
                                   order_id=order.id, attempt_id=attempt.id,
                                   message=_opened(order, row)).id
        _audit(session, row, None, seen, actor)
    else:
        target = dispute_move(DisputeStatus(row.status), seen)
        if target is not None:
            _audit(session, row, row.status, target, actor)
            row.status = target
            if target in APPEALS:
                row.closed_at = None  # a lost dispute, appealed: open again
    if row.status in CLOSED and row.closed_at is None:
        row.closed_at = utcnow()
        _close_alert(session, order, row)
    follow_ledger(session, order, actor=actor, reason=f"dispute {dispute.id} {row.status}")
    return True


def _audit(session: Session, row: PaymentDispute, before: str | None, after: str,
           actor: str) -> None:
    record_change(session, store_id=row.store_id, entity_type="payment_dispute",
                  entity_id=row.id, action="dispute_update", from_state=before,
                  to_state=after, actor=actor,
                  reason=f"Stripe dispute {row.provider_reference} ({row.reason})")


def _amount(row: PaymentDispute) -> str:
    return format_money(row.amount, row.currency)


def _opened(order: Order, row: PaymentDispute) -> str:
    due = (f" by {row.evidence_due_by:%Y-%m-%d %H:%M} UTC" if row.evidence_due_by else "")
    return (f"Order {order.number}: the card holder disputes {_amount(row)} "
            f"({row.reason.replace('_', ' ')}). Answer dispute {row.provider_reference} in "
            f"Stripe{due}.")


def _close_alert(session: Session, order: Order, row: PaymentDispute) -> None:
    alert = session.get(StaffAlert, row.alert_id) if row.alert_id else None
    if alert is None:
        return
    if holds_money(DisputeStatus(row.status)):
        alert.message = (f"Order {order.number}: dispute {row.provider_reference} was lost; "
                         f"the card holder's bank took {_amount(row)} back. Resolve this alert "
                         "once the order is dealt with.")
    else:
        alert.message = (f"Order {order.number}: dispute {row.provider_reference} was "
                         f"{row.status.replace('_', ' ')}; the payment stands.")
        alert.resolved_at = utcnow()
        alert.resolved_by = "system"
        alert.resolved_note = f"dispute {row.status.replace('_', ' ')} at Stripe"
