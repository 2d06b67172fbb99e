"""Payments: create the PaymentIntent for an order, and settle what Stripe says happened.

``apply_intent`` is the one settle function. The shopper's return from Stripe and the webhook
both fetch the PaymentIntent (the truth; an event is only a hint) and call it inside their
transaction. It locks the order then the attempt (always in that order), applies forward
moves only, and so is a no-op for whichever caller comes second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ...domain.ledger import TransactionKind, TransactionStatus
from ...domain.settlement import amount_mismatch, payment_status_for, plan_attempt_moves
from ...domain.states import (
    AttemptStatus,
    OrderStatus,
)
from ...extensions import db
from ...metrics import count_decline
from ...models import Order, PaymentAttempt, PaymentTransaction
from ...models.types import utcnow
from ...providers.base import PaymentRequest, ProviderError
from ...providers.stripe_gateway import GatewayError, Intent, gateway
from ...providers.stripe_objects import Charge
from ..inventory import expiry  # a module: expiry imports this one (see there)
from ..inventory.holds import extend_holds, shorten_holds
from ..platform.alerts import AMOUNT_MISMATCH, raise_alert
from ..platform.audit import record_change
from ..platform.settings import effective_settings, hold_retry
from ..platform.tx import after_commit, get_existing, lock_rows, write_alone, write_transaction
from .card_testing import record_failed_payment
from .completion import (
    complete_payment,
    move_attempt,
    move_payment,
)
from .errors import as_gateway_error
from .ledger import (
    record_intent,
    record_intent_creation_failure,
    schedule_retry,
)
from .methods import provider_named

log = logging.getLogger(__name__)


@dataclass
class Settlement:
    order_id: int
    attempt_status: str
    payment_status: str
    failed_now: bool = False


def attempt_for_order(order_id: int) -> PaymentAttempt | None:
    query = (select(PaymentAttempt).where(PaymentAttempt.order_id == order_id)
             .order_by(PaymentAttempt.id.desc()).limit(1))
    return db.session.scalar(query)


class OrderIds(Protocol):
    """What an intent request reads of its order: an ``Order``, or the checkout's new one."""

    @property
    def id(self) -> int: ...
    @property
    def store_id(self) -> int: ...
    @property
    def email(self) -> str: ...


@dataclass(frozen=True)
class IntentRequest:
    """What Stripe is asked for when an attempt's PaymentIntent is created: read with the
    attempt and its order, so that the checkout, which has just written them, does not read
    them again after its commit."""

    attempt_id: int
    amount: int
    currency: str
    idempotency_key: str
    capture_method: str
    receipt_email: str
    metadata: dict[str, str]

    @classmethod
    def of(cls, order: OrderIds, attempt: PaymentAttempt) -> IntentRequest:
        return cls(attempt_id=attempt.id, amount=attempt.amount, currency=attempt.currency,
                   idempotency_key=attempt.idempotency_key,
                   capture_method=attempt.capture_method, receipt_email=order.email,
                   # Ids only: the order's token opens its status page, so it stays here.
                   metadata={"order_id": str(order.id), "order_number": f"{order.id:06d}",
                             "store_id": str(order.store_id),
                             "attempt_id": str(attempt.id)})

    def payment_request(self) -> PaymentRequest:
        """The request in the protocol's words; the Payment Element's page gives Stripe the
        return URL when it confirms, so the intent is created without one."""
        return PaymentRequest(reference=self.idempotency_key, amount=self.amount,
                              currency=self.currency, email=self.receipt_email, return_url="",
                              metadata=self.metadata, idempotency_key=self.idempotency_key,
                              capture_manually=self.capture_method == "manual")


def ensure_payment_intent(*, order_id: int) -> PaymentAttempt:
    """Give the order's attempt its PaymentIntent, creating it at Stripe if needed.

    Safe to repeat and to race: the attempt's idempotency key makes Stripe return the same
    intent, and only the first writer stores it. Raises ``GatewayError`` if Stripe is away.
    """
    attempt = attempt_for_order(order_id)
    if attempt is None:
        raise LookupError(f"order {order_id} has no payment attempt")
    if attempt.provider_reference:
        return attempt
    create_payment_intent(IntentRequest.of(get_existing(db.session, Order, order_id), attempt))
    return attempt  # expired since: read again, fresh, if the caller uses it


def create_payment_intent(request: IntentRequest) -> str:
    """Create the attempt's PaymentIntent at Stripe and store its id on the attempt; returns
    the id. Safe to repeat and to race, like ``ensure_payment_intent``."""
    try:
        intent_id = _start_at_stripe(request)
    except GatewayError as exc:
        record_intent_creation_failure(attempt_id=request.attempt_id, error=exc)
        raise
    attempt_id = request.attempt_id
    # Only the first writer stores the intent: one conditional UPDATE, a use case of its own
    # (the row locked while it runs) rather than SELECT … FOR UPDATE and then UPDATE.
    stored = write_alone(
        update(PaymentAttempt)
        .where(PaymentAttempt.id == attempt_id, PaymentAttempt.provider_reference.is_(None))
        .values(provider_reference=intent_id, next_retry_at=None))
    if stored != 1 and db.session.scalar(select(PaymentAttempt.provider_reference).where(
            PaymentAttempt.id == attempt_id)) != intent_id:
        raise GatewayError("Stripe returned a different PaymentIntent for the same key")
    return intent_id


def _start_at_stripe(request: IntentRequest) -> str:
    """The PaymentIntent's id, through the Stripe provider (``shop/providers/stripe.py``)."""
    with provider_named("stripe") as stripe:
        try:
            step = stripe.start_payment(request.payment_request())
        except ProviderError as exc:
            raise as_gateway_error(exc) from exc
    assert step.provider_reference, "Stripe answers a created intent with its id"
    return step.provider_reference


def _lock_order_and_attempt(session: Session, intent_id: str):
    return lock_order_and_attempt(session, PaymentAttempt.provider_reference == intent_id)


def lock_order_and_attempt(session: Session, which):
    """The order and the attempt ``which`` picks, locked by one statement, the order first
    (the OF list's order, the same order as every other writer); (None, None) if none.
    populate_existing: rows already in the session are overwritten with what the lock read,
    so the moves that follow start from the locked state (no separate refresh SELECT)."""
    query = (select(Order, PaymentAttempt)
             .join(PaymentAttempt, PaymentAttempt.order_id == Order.id)
             .where(which))
    row = session.execute(lock_rows(query, of=[Order, PaymentAttempt])
                          .execution_options(populate_existing=True)).one_or_none()
    return (None, None) if row is None else tuple(row)


PAYMENT_DECLINED = "payment_declined"  # audit action: a decline or failed 3-D Secure

# An authorization stays good at the card network for about a week; its stock stays held.
AUTHORIZED_HOLD = timedelta(days=7)


@dataclass(frozen=True)
class Failure:
    """A declined or failed payment as the settle function counts it (once per ``ref``)."""

    code: str
    message: str
    ref: str
    decline_code: str | None = None


@dataclass(frozen=True)
class Truth:
    """What a provider says of one attempt (Stripe's intents, redirect providers' payments).

    ``ledger``: the figures the ledger rows record, in ``record_intent``'s words;
    ``canceled``: the provider gave up on the payment (closes a still-unpaid order)."""

    provider: str
    reference: str  # the receipt's payment reference
    moves: list[AttemptStatus]
    mismatch: str | None
    failure: Failure | None
    ledger: Intent
    canceled: bool
    charge: Charge | None = None
    charge_id: str | None = None


def apply_intent(session: Session, intent: Intent, *, actor: str,
                 closed_as: OrderStatus = OrderStatus.CANCELED) -> Settlement | None:
    """Bring our attempt and order in line with ``intent``; None if the intent is not ours.

    A canceled intent closes its still-unpaid order as ``closed_as``. Jobs and notices go
    through the outbox, in this transaction. An intent whose amount or currency is not what
    we asked for changes nothing but is flagged for staff, whoever reported it.
    """
    order, attempt = _lock_order_and_attempt(session, intent.id)
    if attempt is None:
        return None
    truth = Truth(
        provider="Stripe", reference=intent.id,
        moves=plan_attempt_moves(AttemptStatus(attempt.status), intent.status),
        mismatch=amount_mismatch(intent, amount=attempt.amount, currency=attempt.currency,
                                 capture_asked=_capture_asked(session, attempt, intent)),
        failure=_failure_of(intent), ledger=intent, canceled=intent.status == "canceled",
        charge=intent.latest_charge, charge_id=intent.latest_charge_id)
    return apply_truth(session, order, attempt, truth, actor=actor, closed_as=closed_as)


def apply_truth(session: Session, order: Order, attempt: PaymentAttempt, truth: Truth, *,
                actor: str, closed_as: OrderStatus = OrderStatus.CANCELED) -> Settlement:
    """The one settle path: apply ``truth`` to the locked ``order`` and ``attempt``; forward
    moves only, so whichever caller (return, webhook, reconciliation) comes second is a no-op."""
    result = Settlement(order.id, attempt.status, order.payment_status)
    if truth.mismatch is not None:
        _flag_amount_mismatch(session, order, attempt, truth.mismatch, actor, truth.provider)
        return result
    result.failed_now = _count_failure(session, attempt, truth.failure, actor)
    if result.failed_now:
        count_decline(session)
        failed_order_id = order.id
        # A rate-limit counter, not a job: best effort, after the failure is committed.
        after_commit(session, lambda: record_failed_payment(order_id=failed_order_id))
        # A decline keeps the stock for a retry, not for the rest of a full hold.
        shorten_holds(session, order_id=order.id, until=utcnow() + hold_retry())
    for step in truth.moves:
        move_attempt(session, attempt, step, actor)
    record_intent(session, attempt, truth.ledger, actor=actor)
    new_payment = payment_status_for(AttemptStatus(attempt.status), failed=result.failed_now)
    if new_payment is not None:
        move_payment(session, order, new_payment, actor)
    if attempt.status == AttemptStatus.CAPTURED and order.paid_at is None:
        complete_payment(session, order, reference=truth.reference, actor=actor,
                         charge=truth.charge, charge_id=truth.charge_id)
    elif attempt.status in (AttemptStatus.AUTHORIZING, AttemptStatus.AUTHORIZED):
        _extend_holds(session, order, attempt)
    elif (truth.canceled and expiry.can_close(order)
          and _is_current(session, order, attempt)):
        expiry.close_order(session, order, target=closed_as, actor=actor,
                           reason=f"the payment was canceled at {truth.provider}")
    result.attempt_status = attempt.status
    result.payment_status = order.payment_status
    return result


def _is_current(session: Session, order: Order, attempt: PaymentAttempt) -> bool:
    """Whether ``attempt`` is the order's latest: the canceled intent of an attempt a newer
    one replaced (the shopper switched to hosted Checkout, a new session after an expired
    one) ends that attempt only, not the order the newer one still pays for."""
    latest = session.scalar(select(func.max(PaymentAttempt.id))
                            .where(PaymentAttempt.order_id == order.id))
    return latest == attempt.id


def _capture_asked(session: Session, attempt: PaymentAttempt, intent: Intent) -> int | None:
    """What staff asked to capture of a manual authorization that Stripe now says succeeded
    (the live CAPTURE row); None when nobody asked, and then the whole amount is expected.
    The attempt's capture method counts, not the one the intent reports."""
    if attempt.capture_method != "manual" or intent.status != "succeeded":
        return None
    with session.no_autoflush:
        return session.scalar(select(PaymentTransaction.amount).where(
            PaymentTransaction.attempt_id == attempt.id,
            PaymentTransaction.kind == TransactionKind.CAPTURE,
            PaymentTransaction.status != TransactionStatus.FAILED))


def _flag_amount_mismatch(session: Session, order: Order, attempt: PaymentAttempt,
                          mismatch: str, actor: str, provider: str = "Stripe") -> None:
    """Nothing moves: staff are told, once however often the same figures are reported."""
    message = (f"Amount mismatch on payment {attempt.provider_reference}: {mismatch}. "
               f"Not applied; check the payment at {provider}.")
    log.error("payment amount mismatch", extra={"order_id": order.id,
                                                "attempt_id": attempt.id})
    if message not in (order.attention or ""):
        # Appended: an earlier flag (paid out of stock) keeps its place and its meaning.
        order.add_attention(message)
        record_change(session, store_id=order.store_id, entity_type="order",
                      entity_id=order.id, action=AMOUNT_MISMATCH, from_state=None,
                      to_state=None, actor=actor, reason=message)
    raise_alert(session, store_id=order.store_id, kind=AMOUNT_MISMATCH, message=message,
                order_id=order.id, attempt_id=attempt.id)


def _extend_holds(session: Session, order: Order, attempt: PaymentAttempt) -> None:
    """A payment in progress (3-D Secure, processing, authorized) keeps its stock held."""
    now = utcnow()
    if attempt.status == AttemptStatus.AUTHORIZED:
        until = now + AUTHORIZED_HOLD
    else:
        until = now + effective_settings(order.store_id).hold_ttl
    extend_holds(session, order_id=order.id, until=until, now=now)


def _failure_of(intent: Intent) -> Failure | None:
    error = intent.last_error
    if intent.status != "requires_payment_method" or error is None:
        return None
    return Failure(error.code, error.message, error.ref or f"{error.code}:{error.message}",
                   error.decline_code)


def _count_failure(session: Session, attempt: PaymentAttempt, failure: Failure | None,
                   actor: str) -> bool:
    """Count a failure once (the browser and the webhook may both report it)."""
    if failure is None or failure.ref == attempt.last_failure_ref:
        return False
    attempt.attempt_count += 1
    attempt.last_error_code = failure.decline_code or failure.code
    attempt.last_error_message = failure.message
    attempt.last_failure_ref = failure.ref
    schedule_retry(attempt, code=failure.code)
    # The attempt keeps only its last error: each failure's row is the payment's history
    # (declined, declined, then captured) on the admin's payment and order pages.
    record_change(session, store_id=attempt.store_id, entity_type="payment_attempt",
                  entity_id=attempt.id, action=PAYMENT_DECLINED, from_state=None,
                  to_state=None, actor=actor,
                  reason=f"{attempt.last_error_code}: {failure.message}"[:2000])
    return True


def settle_payment(*, intent_id: str, actor: str) -> Settlement | None:
    """Ask Stripe for the intent and apply it: the browser-return caller of ``apply_intent``."""
    intent = gateway().retrieve_payment_intent(intent_id)
    with write_transaction() as session:
        return apply_intent(session, intent, actor=actor)
