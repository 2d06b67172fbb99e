"""Orders paid after their stock was gone ("paid, out of stock"): the automatic refund.

Settling such a payment flags the order and, when AUTO_REFUND_OUT_OF_STOCK is on, asks for
the ``refund_out_of_stock_order`` job through the outbox. The job gives back all that was
captured through the ledger's ``refund_payment`` and asks for the refund e-mail. Running it
twice (or two at once) refunds once: ``refund_payment`` claims the balance under the
attempt's row lock, and a refund still pending counts against it, so a second run finds
nothing left. The e-mail is sent once per Stripe refund whoever asks for it.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select

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
from .refunds import MANUAL_PAYOUTS, OUT_OF_STOCK_ACTOR, refund_payment

log = logging.getLogger(__name__)

ACTOR = OUT_OF_STOCK_ACTOR
AUTO_REFUND_FAILED = "auto_refund_failed"


def refund_out_of_stock(*, order_id: int) -> str:
    """Refund a flagged order in full; returns what happened (safe to run twice).

    ``refunded``, ``pending`` (Stripe has not said yet, or could not be reached: the webhook
    or reconciliation finishes it with the same idempotency key), ``already_refunded``,
    ``refused`` (staff alerted), ``manual`` (paid in cash or by transfer: staff alerted to
    pay it back by hand), ``disabled`` or ``not_needed``.
    """
    order = db.session.get(Order, order_id)
    if order is None or not order.paid_out_of_stock:
        return "not_needed"
    if not current_app.config["AUTO_REFUND_OUT_OF_STOCK"]:
        return "disabled"  # turned off after the payment was flagged: staff decide
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order_id, PaymentAttempt.status == AttemptStatus.CAPTURED))
    if attempt is None:
        return "not_needed"
    if summary_for(db.session(), attempt.id).refundable == 0:
        return "already_refunded"
    if attempt.provider in MANUAL_PAYOUTS:
        # Cash or a transfer goes back by hand: only staff can pay it and give its reference.
        _alert_manual(order_id)
        return "manual"
    try:
        row = refund_payment(attempt_id=attempt.id, reason="requested_by_customer",
                             note="paid after its stock sold out", actor=ACTOR)
    except NotRefundable:
        return "already_refunded"  # a concurrent run claimed the balance first
    except ProviderUnavailable:
        log.warning("automatic refund pending: Stripe unreachable", extra={"order_id": order_id})
        return "pending"
    except ProviderRefused as exc:
        _alert_refused(order_id, str(exc))
        return "refused"
    if row.status != TransactionStatus.SUCCEEDED:
        return "pending"  # the refund webhook records the outcome and sends the e-mail
    # The refund service queued the shopper's e-mail with the refund (refund_effects).
    log.info("out-of-stock order refunded", extra={"order_id": order_id, "amount": row.amount})
    return "refunded"


def _alert_refused(order_id: int, message: str) -> None:
    with write_transaction() as session:
        order = get_existing(session, Order, order_id)
        raise_alert(session, store_id=order.store_id, kind=AUTO_REFUND_FAILED, order_id=order_id,
                    message=f"Order {order.number} was paid after its stock sold out, and "
                            f"Stripe refused the automatic refund ({message}). Refund it by hand.")
    log.error("automatic refund refused", extra={"order_id": order_id})


def _alert_manual(order_id: int) -> None:
    with write_transaction() as session:
        order = get_existing(session, Order, order_id)
        raise_alert(session, store_id=order.store_id, kind=AUTO_REFUND_FAILED, order_id=order_id,
                    message=f"Order {order.number} was paid by hand (cash or bank transfer) "
                            "after its stock sold out. Pay the customer back and record the "
                            "refund with the payout's reference.")
    log.warning("out-of-stock order paid by hand: staff to refund", extra={"order_id": order_id})
