"""Staff capture and void an authorization: claim, call Stripe, apply the outcome.

No lock is held across the call to Stripe. Instead the first transaction locks the attempt,
checks the state machine and that no other capture or void is pending, and inserts a
PENDING transaction row: that row is the claim, so a second request (even at the same
instant) finds it and gets a 409 before Stripe is called. Stripe is then called with an
idempotency key derived from the row, and a second transaction applies the outcome
through the settle function, or marks the row failed. An unknown outcome (Stripe
unreachable) leaves the row pending for reconciliation to resolve from Stripe's state.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ...domain.errors import IllegalTransition
from ...domain.ledger import (
    NotFound,
    OperationInProgress,
    ProviderRefused,
    ProviderUnavailable,
    TransactionKind,
    TransactionStatus,
    check_capture_amount,
    summarize,
)
from ...domain.states import AttemptStatus, transition, void_transition
from ...extensions import db
from ...models import Order, PaymentAttempt, PaymentTransaction
from ...providers.stripe_gateway import GatewayError, Intent, gateway
from ..platform.audit import record_change
from ..platform.tx import get_existing, write_transaction
from .ledger import add_transaction, fail, live, lock_attempt, provider_key, transactions
from .methods import PAID_BY_HAND
from .settle import apply_intent

log = logging.getLogger(__name__)

K = TransactionKind


@dataclass(frozen=True)
class Claim:
    transaction_id: int
    attempt_id: int
    intent_id: str
    amount: int
    idempotency_key: str


def locked_in_scope(session: Session, attempt_id: int,
                    store_ids: Collection[int] | None) -> tuple[Order, PaymentAttempt]:
    locked = lock_attempt(session, attempt_id)
    if locked is None or (store_ids is not None and locked[1].store_id not in store_ids):
        raise NotFound("No such payment.")
    return locked


def capture_payment(*, attempt_id: int, amount: int | None = None, actor: str,
                    store_ids: Collection[int] | None = None) -> PaymentTransaction:
    """Capture an AUTHORIZED attempt, in full or ``amount`` of it; returns the CAPTURE row.

    Raises ``IllegalTransition`` (not authorized), ``OperationInProgress``, ``InvalidAmount``,
    ``NotFound``, ``ProviderRefused`` or ``ProviderUnavailable``.
    """
    with write_transaction() as session:
        _order, attempt = locked_in_scope(session, attempt_id, store_ids)
        transition("attempt", AttemptStatus(attempt.status), AttemptStatus.CAPTURED)
        rows = transactions(session, attempt.id)
        _refuse_if_pending(rows)
        auth = live(rows, K.AUTH)
        authorized = auth.amount if auth else attempt.amount
        amount = authorized if amount is None else amount
        check_capture_amount(amount, authorized)
        assert attempt.provider_reference is not None, "Stripe authorized it: it has an intent"
        row = add_transaction(session, attempt, kind=K.CAPTURE, amount=amount, actor=actor,
                              parent_id=auth.id if auth else None)
        claim = Claim(row.id, attempt.id, attempt.provider_reference, amount,
                      provider_key(row))
    try:
        intent = gateway().capture_payment_intent(
            claim.intent_id, amount=claim.amount, idempotency_key=claim.idempotency_key)
    except GatewayError as exc:
        return _after_failure(claim, exc, actor)
    _apply(claim, intent, actor)
    return _reload(claim.transaction_id)


def void_payment(*, attempt_id: int, actor: str, reason: str | None = None,
                 store_ids: Collection[int] | None = None) -> PaymentTransaction | None:
    """Release an INITIATED or AUTHORIZED attempt (CANCELED); returns the VOID row, if any.

    An attempt whose PaymentIntent was never created is closed without calling Stripe.
    Raises ``IllegalTransition`` in any other state (AUTHORIZING included: see
    ``states.VOIDABLE``) before Stripe is called.
    """
    with write_transaction() as session:
        order, attempt = locked_in_scope(session, attempt_id, store_ids)
        previous = attempt.status
        if attempt.provider in PAID_BY_HAND:
            raise IllegalTransition("attempt", previous, AttemptStatus.CANCELED)
        target = void_transition(AttemptStatus(previous))
        rows = transactions(session, attempt.id)
        _refuse_if_pending(rows)
        if attempt.provider_reference is None:
            attempt.status = target
            record_change(session, store_id=attempt.store_id, entity_type="payment_attempt",
                          entity_id=attempt.id, action="payment_state_change",
                          from_state=previous, to_state=attempt.status, actor=actor,
                          reason=reason)
            return None
        auth = live(rows, K.AUTH)
        row = add_transaction(session, attempt, kind=K.VOID, amount=auth.amount if auth else 0,
                              actor=actor, reason=reason, parent_id=auth.id if auth else None)
        claim = Claim(row.id, attempt.id, attempt.provider_reference, row.amount,
                      provider_key(row))
    try:
        intent = gateway().cancel_payment_intent(
            claim.intent_id, reason="requested_by_customer",
            idempotency_key=claim.idempotency_key)
    except GatewayError as exc:
        return _after_failure(claim, exc, actor)
    _apply(claim, intent, actor)
    return _reload(claim.transaction_id)


def _refuse_if_pending(rows: list[PaymentTransaction]) -> None:
    summary = summarize(rows)
    if summary.pending_capture or summary.pending_void:
        raise OperationInProgress("Another capture or void of this payment is in progress.")


def _apply(claim: Claim, intent: Intent, actor: str) -> None:
    with write_transaction() as session:
        apply_intent(session, intent, actor=actor)
        row = get_existing(session, PaymentTransaction, claim.transaction_id)
        if row.status == TransactionStatus.PENDING:
            # Stripe answered but the intent does not show the effect (it never should).
            fail(row, code="not_applied", message=f"PaymentIntent is {intent.status}")
            log.error("provider call returned without effect",
                      extra={"transaction_id": row.id, "intent_status": intent.status})


def _after_failure(claim: Claim, exc: GatewayError, actor: str) -> PaymentTransaction:
    """Record what Stripe's refusal means, then raise it as a domain error.

    A refusal (4xx) did nothing: the claim fails and the intent's real state is applied. A
    transport failure may have succeeded: the intent decides, and if Stripe cannot be asked
    either, the claim stays pending for reconciliation.
    """
    try:
        intent = gateway().retrieve_payment_intent(claim.intent_id)
    except GatewayError:
        intent = None
    definitive = not exc.retryable
    with write_transaction() as session:
        row = get_existing(session, PaymentTransaction, claim.transaction_id)
        if definitive or intent is not None and not _took_effect(row, intent):
            fail(row, code=exc.code, message=str(exc))
        if intent is not None:
            apply_intent(session, intent, actor=actor)
    log.warning("provider call failed", extra={"transaction_id": claim.transaction_id,
                                               "code": exc.code, "definitive": definitive})
    row = _reload(claim.transaction_id)
    if row.status == TransactionStatus.SUCCEEDED:
        return row  # it had worked after all
    if definitive:
        raise ProviderRefused(str(exc), exc.code) from exc
    if row.status == TransactionStatus.FAILED:
        raise ProviderUnavailable("Stripe could not be reached and did nothing; try again.") \
            from exc
    raise ProviderUnavailable("Stripe could not be reached; the outcome will be reconciled.") \
        from exc


def _took_effect(row: PaymentTransaction, intent: Intent) -> bool:
    if row.kind == K.CAPTURE:
        return intent.status == "succeeded"
    return intent.status == "canceled"


def _reload(transaction_id: int) -> PaymentTransaction:
    return get_existing(db.session, PaymentTransaction, transaction_id)
