"""What a refund that just succeeded changes besides its own row.

Three paths learn that a refund succeeded: the answer to the refund call, its webhook, and
reconciliation. Whichever moves the REFUND row out of PENDING (under the attempt's row lock)
calls ``refund_succeeded`` exactly once, so the order's payment status, the restock and the
shopper's e-mail and the credit note happen once whatever the order of arrival.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...domain.states import PaymentStatus
from ...models import Order, PaymentTransaction
from ..notifications.outbox import emit
from ..payments.ledger import follow_ledger
from ..platform.audit import record_change
from ..receipts.issue import issue_credit_note
from .lines import restock_refund


def refund_succeeded(session: Session, *, order: Order, row: PaymentTransaction,
                     actor: str) -> None:
    reason = f"refund {row.provider_reference} of {row.amount} {row.currency}"
    before = PaymentStatus(order.payment_status)
    after = follow_ledger(session, order, actor=actor, reason=reason)
    if after == before:
        # Partial after partial (or under a dispute): the status stays, the refund is
        # still audited on the order.
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action="payment_status_change", from_state=before,
                      to_state=after, actor=actor, reason=reason)
    # The stock comes back on behalf of whoever asked for the refund, even when a webhook
    # or reconciliation is what learns it succeeded.
    restock_refund(session, order=order, transaction=row, actor=row.actor)
    issue_credit_note(session, order, row)
    emit(session, "send_refund_email", order_id=order.id, refund_ref=row.provider_reference,
         amount=row.amount)
