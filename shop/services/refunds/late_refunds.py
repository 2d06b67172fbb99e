"""The automatic refund of a hosted-page payment that landed after its attempt was given up and
that the order cannot keep (``payments/late_payments.py``: canceled by staff, or paid already).

The ``refund_late_payment`` job, asked for through the outbox in the transaction that recorded
the payment, gives back all that is left through ``refund_payment`` (the provider's refund API,
``provider_refunds``), exactly as the out-of-stock refund does for Stripe: the balance is
claimed under the attempt's lock and a pending refund counts against it, so running it twice,
or beside a webhook and reconciliation, refunds once. The refund e-mail goes when the refund
succeeds (``effects.refund_succeeded``).
"""

from __future__ import annotations

import logging

from ...domain.ledger import (
    NotRefundable,
    ProviderRefused,
    ProviderUnavailable,
    TransactionStatus,
)
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import Order, PaymentAttempt
from ..payments.ledger import summary_for
from ..platform.alerts import raise_alert
from ..platform.tx import get_existing, write_transaction
from .out_of_stock import AUTO_REFUND_FAILED
from .refunds import refund_payment

log = logging.getLogger(__name__)

ACTOR = "system:late-payment-refund"
REQUESTED = "automatic refund requested"


def refund_late_payment(*, attempt_id: int) -> str:
    """Refund a late payment in full; ``refunded``, ``pending`` (the provider has not said
    yet, or its answer was lost: the webhook or reconciliation finishes it),
    ``already_refunded``, ``refused`` (staff alerted) or ``not_needed``."""
    attempt = db.session.get(PaymentAttempt, attempt_id)
    if attempt is None or attempt.status != AttemptStatus.CAPTURED:
        return "not_needed"
    order = get_existing(db.session, Order, attempt.order_id)
    # Only a payment the settle path marked for refunding (its reference in that note).
    reference = attempt.provider_reference or ""
    if not reference or not any(reference in part and REQUESTED in part
                                for part in (order.attention or "").split("; ")):
        return "not_needed"
    if summary_for(db.session(), attempt.id).refundable == 0:
        return "already_refunded"
    try:
        row = refund_payment(attempt_id=attempt_id, reason="duplicate",
                             note="paid after its attempt was given up", actor=ACTOR)
    except NotRefundable:
        return "already_refunded"  # a concurrent run claimed the balance first
    except ProviderUnavailable:
        log.warning("late-payment refund pending: provider unreachable",
                    extra={"attempt_id": attempt_id})
        return "pending"
    except ProviderRefused as exc:
        _alert_refused(attempt_id, str(exc))
        return "refused"
    log.info("late payment refund asked", extra={"attempt_id": attempt_id,
                                                 "amount": row.amount, "status": row.status})
    return "refunded" if row.status == TransactionStatus.SUCCEEDED else "pending"


def _alert_refused(attempt_id: int, message: str) -> None:
    with write_transaction() as session:
        attempt = get_existing(session, PaymentAttempt, attempt_id)
        order = get_existing(session, Order, attempt.order_id)
        raise_alert(session, store_id=order.store_id, kind=AUTO_REFUND_FAILED,
                    order_id=order.id, attempt_id=attempt.id,
                    message=f"Order {order.number} was paid at {attempt.provider} after its "
                            f"payment was given up, and the automatic refund was refused "
                            f"({message}). Refund it by hand.")
    log.error("late-payment refund refused", extra={"attempt_id": attempt_id})
