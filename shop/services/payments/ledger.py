"""The ledger's bookkeeping: transaction rows written as attempts move, and their figures.

``record_intent`` is what the settle function (``payments.apply_intent``) calls after it has
moved the attempt: walking through AUTHORIZED writes the AUTH row, reaching CAPTURED the
CAPTURE row, a cancel after authorization the VOID row, each once however often the
intent is applied (the caller holds the attempt's row lock, and a partial unique index
backs it up). A PENDING row written by a staff capture or void is completed rather than
duplicated.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.disputes import DisputeStatus, settled_payment_status
from ...domain.ledger import LedgerSummary, TransactionKind, TransactionStatus, summarize
from ...domain.retry import is_retryable, retries_exhausted, retry_delay
from ...domain.states import PAYMENT_CAPTURED, AttemptStatus, PaymentStatus, transition
from ...extensions import db
from ...models import Order, PaymentAttempt, PaymentDispute, PaymentTransaction
from ...models.types import utcnow
from ...providers.stripe_gateway import Intent
from ..platform.alerts import PAYMENT_CREATION_FAILED, STRIPE_REFUSED, raise_alert
from ..platform.audit import record_change
from ..platform.tx import lock_rows, write_transaction
from .history import note_refund

log = logging.getLogger(__name__)

# Stripe holds an uncaptured card authorization for 7 days unless the charge says otherwise.
CARD_AUTHORIZATION_DAYS = 7
CAPTURE_METHODS = ("automatic", "manual")

K, S = TransactionKind, TransactionStatus


def configured_capture_method() -> str:
    return current_app.config.get("CAPTURE_METHOD", "automatic")


def lock_attempt(session: Session, attempt_id: int) -> tuple[Order, PaymentAttempt] | None:
    """Lock the attempt's order, then the attempt: the same order as the settle function."""
    order_id = session.scalar(select(PaymentAttempt.order_id)
                              .where(PaymentAttempt.id == attempt_id))
    if order_id is None:
        return None
    order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
    attempt = session.scalar(lock_rows(select(PaymentAttempt)
                                       .where(PaymentAttempt.id == attempt_id)))
    session.refresh(order)
    session.refresh(attempt)
    return order, attempt


def transactions(session: Session, attempt_id: int) -> list[PaymentTransaction]:
    query = (select(PaymentTransaction).where(PaymentTransaction.attempt_id == attempt_id)
             .order_by(PaymentTransaction.id))
    return list(session.scalars(query))


def summary_for(session: Session, attempt_id: int) -> LedgerSummary:
    return summarize(transactions(session, attempt_id))


def order_summary(*, order_id: int) -> LedgerSummary:
    """Money figures of every attempt of an order together (for the admin's order page)."""
    query = (select(PaymentTransaction).join(PaymentAttempt)
             .where(PaymentAttempt.order_id == order_id))
    return summarize(db.session.scalars(query))


def live(rows: list[PaymentTransaction], kind: TransactionKind) -> PaymentTransaction | None:
    return next((r for r in rows if r.kind == kind and r.status != S.FAILED), None)


def add_transaction(session: Session, attempt: PaymentAttempt, *, kind: TransactionKind,
                    amount: int, actor: str, status: TransactionStatus = S.PENDING,
                    parent_id: int | None = None, reason: str | None = None,
                    provider_reference: str | None = None,
                    idempotency_key: str | None = None, flush: bool = True) -> PaymentTransaction:
    """A new ledger row, flushed so that its id can key a Stripe call; ``flush=False`` when
    nobody needs the id now (the settle function's rows go in with the transaction's next
    statement, in one INSERT)."""
    row = PaymentTransaction(
        store_id=attempt.store_id, attempt_id=attempt.id, parent_id=parent_id, kind=kind,
        status=status, amount=amount, currency=attempt.currency, actor=actor, reason=reason,
        provider_reference=provider_reference, idempotency_key=idempotency_key,
        created_at=utcnow())
    session.add(row)
    if kind == TransactionKind.REFUND:
        # The callers hold the order's row lock (lock_attempt): its shopper is current.
        note_refund(session, row, attempt, user_id=attempt.order.user_id)
    if flush:
        session.flush()
    return row


def provider_key(row: PaymentTransaction) -> str:
    """The row's idempotency key at Stripe: its id, plus randomness so that a rebuilt database
    reusing ids can never replay another payment's call (Stripe keeps keys 24 hours)."""
    if not row.idempotency_key:
        row.idempotency_key = f"{row.kind}-{row.id}-{secrets.token_hex(8)}"
    return row.idempotency_key


def succeed(row: PaymentTransaction, *, amount: int | None = None,
            provider_reference: str | None = None) -> None:
    row.status = S.SUCCEEDED
    if amount is not None:
        row.amount = amount
    if provider_reference and not row.provider_reference:
        row.provider_reference = provider_reference
    row.updated_at = utcnow()


def fail(row: PaymentTransaction, *, code: str, message: str) -> None:
    row.status = S.FAILED
    row.failure_code = code[:100]
    row.failure_message = message
    row.updated_at = utcnow()


def record_intent(session: Session, attempt: PaymentAttempt, intent: Intent, *,
                  actor: str) -> None:
    """Write the AUTH, CAPTURE and VOID rows that the attempt's new state implies."""
    status = AttemptStatus(attempt.status)
    if status != AttemptStatus.INITIATED:
        attempt.next_retry_at = None
    if intent.status == "requires_capture":
        _store_capture_before(attempt, intent)
    # Not flushing first: the attempt's pending moves and their audit rows change nothing this
    # reads, and go in with the rows below (one INSERT per table instead of two).
    with session.no_autoflush:
        rows = transactions(session, attempt.id)
    charge_id = intent.latest_charge_id
    if status in (AttemptStatus.AUTHORIZED, AttemptStatus.CAPTURED) and not live(rows, K.AUTH):
        add_transaction(session, attempt, kind=K.AUTH, amount=intent.amount, actor=actor,
                        status=S.SUCCEEDED, provider_reference=charge_id,
                        idempotency_key=f"auth-{attempt.id}", flush=False)
    if status == AttemptStatus.CAPTURED:
        captured = intent.amount_received or intent.amount
        capture = live(rows, K.CAPTURE)
        if capture is None:
            add_transaction(session, attempt, kind=K.CAPTURE, amount=captured, actor=actor,
                            status=S.SUCCEEDED, provider_reference=charge_id, flush=False)
        elif capture.status == S.PENDING:
            succeed(capture, amount=captured, provider_reference=charge_id)
    if status == AttemptStatus.CANCELED:
        _record_void(session, attempt, rows, actor)


def _record_void(session: Session, attempt: PaymentAttempt, rows: list[PaymentTransaction],
                 actor: str) -> None:
    void, auth = live(rows, K.VOID), live(rows, K.AUTH)
    if void is not None and void.status == S.PENDING:
        succeed(void, amount=auth.amount if auth else 0)
    elif void is None and auth is not None:
        # Released at Stripe without us asking (dashboard, or the authorization lapsed).
        add_transaction(session, attempt, kind=K.VOID, amount=auth.amount, actor=actor,
                        status=S.SUCCEEDED, flush=False)


def _store_capture_before(attempt: PaymentAttempt, intent: Intent) -> None:
    charge = intent.latest_charge
    expiry = charge.capture_before if charge else None
    if expiry is None:
        since = (charge.created if charge else None) or utcnow()
        expiry = since + timedelta(days=CARD_AUTHORIZATION_DAYS)
    if attempt.capture_before != expiry:
        attempt.capture_before = expiry


def schedule_retry(attempt: PaymentAttempt, *, code: str | None,
                   now: datetime | None = None) -> None:
    """After a counted failure: when to try again, or never (a decline is the card's answer;
    and after MAX_TRIES failures a person has to look)."""
    if is_retryable(code) and not retries_exhausted(attempt.attempt_count):
        attempt.next_retry_at = (now or utcnow()) + retry_delay(max(1, attempt.attempt_count))
    else:
        attempt.next_retry_at = None


def record_intent_creation_failure(*, attempt_id: int, error: Exception) -> None:
    """Stripe could not create the attempt's PaymentIntent: count it and maybe plan a retry.

    A permanent refusal (a parameter this API version lacks, a revoked key) is no outage:
    retrying cannot help, so staff get one ``stripe_refused`` alert with Stripe's words.
    """
    code = getattr(error, "code", None) or type(error).__name__
    with write_transaction() as session:
        locked = lock_attempt(session, attempt_id)
        if locked is None:
            return
        _order, attempt = locked
        # A failed try in the attempt's history (and the success rate's count).
        record_change(session, store_id=attempt.store_id, entity_type="payment_attempt",
                      entity_id=attempt.id, action="payment_not_created", from_state=None,
                      to_state=None, actor="system", reason=f"{code}: {error}"[:2000])
        attempt.attempt_count += 1
        attempt.last_error_code = str(code)[:100]
        attempt.last_error_message = str(error)
        schedule_retry(attempt, code=code)
        if is_retryable(code) and retries_exhausted(attempt.attempt_count):
            raise_alert(session, store_id=attempt.store_id, kind=PAYMENT_CREATION_FAILED,
                        order_id=attempt.order_id,
                        message=f"Order {attempt.order_id:06d}: the payment could not be "
                                f"created at Stripe after {attempt.attempt_count} tries "
                                f"({code}). Reconciliation no longer retries it; the "
                                "shopper's payment page still tries when opened. Check "
                                "Stripe's status and the shop's network.")
        if getattr(error, "permanent", False):
            raise_alert(session, store_id=attempt.store_id, kind=STRIPE_REFUSED,
                        message=f"Stripe refused to create a payment ({code}): {error}. "
                                "No shopper can pay until this is fixed; check the Stripe "
                                "keys, STRIPE_API_VERSION and STRIPE_PAYMENT_METHOD_TYPES.")
    log.warning("PaymentIntent creation failed", extra={"attempt_id": attempt_id,
                                                        "code": code})


# A captured order's payment status follows its ledger and its disputes, from one rule:
# refund and dispute updates (webhooks, reconciliation) call this after changing
# transaction or dispute rows, inside their transaction, with the order row locked.
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
