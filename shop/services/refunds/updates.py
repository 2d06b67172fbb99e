"""What Stripe says of a refund, written into the ledger (the webhook side of refunds).

A refund the shop started is found by its Stripe id, or, when the call's answer was lost,
by the ``transaction_id`` metadata the shop sent with it; its REFUND row moves forward
(pending → succeeded or failed, succeeded → failed when the bank returns it later). A refund
made elsewhere (Stripe's dashboard) becomes a new REFUND row linked to the capture. A failed
refund alerts staff; a succeeded one is mailed to the shopper (once, through the outbox),
whoever made it. Either way the order's payment status then follows the ledger.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.ledger import TransactionKind, TransactionStatus
from ...models import Order, PaymentAttempt, PaymentTransaction
from ...providers.stripe_gateway import Refund
from ..payments.ledger import (
    add_transaction,
    fail,
    follow_ledger,
    live,
    lock_attempt,
    succeed,
    transactions,
)
from ..platform.alerts import raise_alert
from ..platform.audit import record_change
from .effects import refund_succeeded

log = logging.getLogger(__name__)

REFUND_FAILED = "refund_failed"
K, S = TransactionKind, TransactionStatus

# Stripe's refund statuses as ledger statuses; ``canceled`` gave nothing back either.
LEDGER_STATUS = {"pending": S.PENDING, "requires_action": S.PENDING,
                 "succeeded": S.SUCCEEDED, "failed": S.FAILED, "canceled": S.FAILED}


def attempt_of(session: Session, refund_or_dispute) -> int | None:
    intent_id = refund_or_dispute.payment_intent_id
    if not intent_id:
        return None
    return session.scalar(select(PaymentAttempt.id)
                          .where(PaymentAttempt.provider_reference == intent_id))


def sync_refund(session: Session, refund: Refund, *, actor: str) -> bool:
    """Bring the ledger in line with ``refund``; False if its payment is not ours."""
    attempt_id = attempt_of(session, refund)
    if attempt_id is None:
        return False
    locked = lock_attempt(session, attempt_id)
    assert locked is not None, "attempt_of found it in this transaction; none is ever deleted"
    order, attempt = locked
    rows = transactions(session, attempt.id)
    seen = LEDGER_STATUS.get(refund.status, S.PENDING)
    row = _match(rows, refund)
    before = row.status if row is not None else None
    if row is None:
        row = _record_outside(session, attempt, rows, refund, seen, actor)
    else:
        _move(row, refund, seen)
    if row.status != before:
        record_change(session, store_id=row.store_id, entity_type="payment_transaction",
                      entity_id=row.id, action="refund_update", from_state=before,
                      to_state=row.status, actor=actor,
                      reason=f"Stripe refund {refund.id} is {refund.status}")
        if row.status == S.FAILED:
            _alert_failed(session, order, row, refund)
        elif row.status == S.SUCCEEDED:
            # Whoever made it (staff, the auto-refund job, the dashboard): status, restock
            # and the shopper's e-mail, once, as when the refund call's answer says so.
            refund_succeeded(session, order=order, row=row, actor=actor)
    follow_ledger(session, order, actor=actor, reason=f"refund {refund.id} {refund.status}")
    return True


def _match(rows: list[PaymentTransaction], refund: Refund) -> PaymentTransaction | None:
    refunds = [r for r in rows if r.kind == K.REFUND]
    for row in refunds:
        if row.provider_reference == refund.id:
            return row
    claimed = refund.metadata.get("transaction_id", "")
    if claimed.isdigit():
        for row in refunds:
            if row.id == int(claimed) and row.provider_reference is None:
                return row
    return None


def _move(row: PaymentTransaction, refund: Refund, seen: TransactionStatus) -> None:
    """Forward only: pending → succeeded/failed, succeeded → failed; failed is final."""
    if row.provider_reference is None:
        row.provider_reference = refund.id
    if row.status == S.FAILED or seen == row.status:
        return
    if seen == S.SUCCEEDED and row.status == S.PENDING:
        succeed(row, amount=refund.amount)
    elif seen == S.FAILED:
        fail(row, code=f"refund_{refund.status}",
             message=refund.failure_reason or f"Stripe reports the refund {refund.status}")


def _record_outside(session: Session, attempt: PaymentAttempt, rows: list[PaymentTransaction],
                    refund: Refund, seen: TransactionStatus, actor: str) -> PaymentTransaction:
    """A refund the shop did not make (Stripe's dashboard): recorded against the capture."""
    capture = live(rows, K.CAPTURE)
    row = add_transaction(session, attempt, kind=K.REFUND, amount=refund.amount, actor=actor,
                          status=seen, parent_id=capture.id if capture else None,
                          provider_reference=refund.id,
                          reason=f"made outside the shop ({refund.reason or 'no reason given'})")
    if seen == S.FAILED:
        fail(row, code=f"refund_{refund.status}",
             message=refund.failure_reason or f"Stripe reports the refund {refund.status}")
    log.info("refund made outside the shop recorded",
             extra={"refund": refund.id, "attempt_id": attempt.id})
    return row


def _alert_failed(session: Session, order: Order, row: PaymentTransaction,
                  refund: Refund) -> None:
    reason = (refund.failure_reason or "no reason given").replace("_", " ")
    raise_alert(session, store_id=order.store_id, kind=REFUND_FAILED, order_id=order.id,
                attempt_id=row.attempt_id,
                message=f"Refund {refund.id} of {row.amount} {row.currency} on order "
                        f"{order.number} failed at the bank ({reason}): the shopper has not "
                        "got this money back. Contact them and refund another way.")
