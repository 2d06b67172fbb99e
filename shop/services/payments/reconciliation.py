"""Reconciliation: bring what we recorded in line with what Stripe knows.

Five passes, each through the code the live path uses (the fifth, for the hosted-page
providers, in ``reconcile_redirects``):
1. attempts stuck in AUTHORIZING: fetch the PaymentIntent and settle it (``settle_payment``,
   the webhook's ``apply_intent``); what stays unresolved is flagged for staff;
2. PENDING transaction claims left behind (Stripe unreachable, a process died): the intent
   or the refund at Stripe decides how they ended;
3. PaymentIntents whose creation failed with a retryable error and whose retry is due,
   and hosted Checkout attempts with no PaymentIntent yet (their session at Stripe says);
4. events Stripe could not deliver (``delivery_success=false``, kept 30 days), applied
   through ``webhooks.handle_event`` exactly as if the endpoint had received them.

Runs are per store: each store covered gets its own ``ReconciliationRun`` with its own
figures, and a run asked for by a store's staff or API key touches only that store's
payments and events. Events that match no store are applied only by a run over every store
(the periodic job, the CLI), and counted in no store's run.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ...domain.ledger import TransactionKind, TransactionStatus
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import Order, PaymentAttempt, PaymentTransaction, ReconciliationRun, Store
from ...models.types import utcnow
from ...providers.stripe_gateway import GatewayError, Refund, gateway
from ..platform.alerts import RECONCILIATION_UNRESOLVED, raise_alert
from ..platform.audit import record_change
from ..platform.tx import get_existing, write_transaction
from ..refunds.refunds import apply_refund, claim_for, issue_refund
from ..webhooks.events import event_intent_id, handle_event
from .ledger import fail
from .methods import PAID_BY_HAND
from .queries import stuck_attempts
from .reconcile_redirects import late_payment_pass, redirect_pass, settle_provider_refund
from .session_settle import settle_session
from .settle import apply_intent, ensure_payment_intent, settle_payment

log = logging.getLogger(__name__)

EVENTS_KEPT = timedelta(days=30)
MANUAL_REFUND_UNRECORDED = "manual_refund_unrecorded"


@dataclass
class Tally:
    examined: int = 0
    fixed: int = 0
    flagged: int = 0
    events_replayed: int = 0


def run_reconciliation(*, trigger: str = "job", store_ids: Collection[int] | None = None,
                       now: datetime | None = None) -> list[ReconciliationRun]:
    """Run every pass for each store in ``store_ids`` (None: every store, and then the events
    of no store too) and record one run per store, in store id order.

    An unexpected error is recorded on the run of the store it happened in, then raised;
    stores after it are left for the next run.
    """
    now = now or utcnow()
    stuck_for = timedelta(minutes=current_app.config["RECONCILE_STUCK_MINUTES"])
    events = UndeliveredEvents(now)
    scope = (sorted(store_ids) if store_ids is not None
             else list(db.session.scalars(select(Store.id).order_by(Store.id))))
    runs = [_run_store(store_id, trigger, now, stuck_for, events) for store_id in scope]
    if store_ids is None:
        replayed = _replay(events.of_store(None))
        log.info("reconciliation applied events of no store", extra={"events": replayed})
    return runs


def _run_store(store_id: int, trigger: str, now: datetime, stuck_for: timedelta,
               events: UndeliveredEvents) -> ReconciliationRun:
    actor = f"job:reconcile:{trigger}"
    with write_transaction() as session:
        previous_run_at = session.scalar(select(func.max(ReconciliationRun.started_at))
                                         .where(ReconciliationRun.store_id == store_id))
        run = ReconciliationRun(store_id=store_id, trigger=trigger, started_at=utcnow())
        session.add(run)
    run_id, tally, store_ids = run.id, Tally(), [store_id]
    try:
        _stuck_attempts(tally, store_ids, now, stuck_for, actor)
        _pending_claims(tally, store_ids, now - stuck_for, actor)
        _due_intent_creations(tally, store_ids, now)
        _unpaid_sessions(tally, store_ids, now - stuck_for, actor)
        # Before redirect_pass: what it gives up now is checked again at the runs to come.
        late_payment_pass(tally, store_ids, previous_run_at, now, actor)
        redirect_pass(tally, store_ids, now - stuck_for, actor, now)
        tally.events_replayed += _replay(events.of_store(store_id))
    except Exception as exc:
        _finish(run_id, tally, error=f"{type(exc).__name__}: {exc}")
        raise
    _finish(run_id, tally)
    return get_existing(db.session, ReconciliationRun, run_id)


def _finish(run_id: int, tally: Tally, error: str | None = None) -> None:
    with write_transaction() as session:
        run = get_existing(session, ReconciliationRun, run_id)
        run.finished_at = utcnow()
        run.examined, run.fixed, run.flagged = tally.examined, tally.fixed, tally.flagged
        run.events_replayed = tally.events_replayed
        run.error = error
    log.info("reconciliation finished", extra={"run_id": run_id, "store_id": run.store_id,
                                               "error": error, **tally.__dict__})


def _flag(attempt: PaymentAttempt, message: str) -> None:
    with write_transaction() as session:
        raise_alert(session, store_id=attempt.store_id, kind=RECONCILIATION_UNRESOLVED,
                    order_id=attempt.order_id, attempt_id=attempt.id, message=message)


def _stuck_attempts(tally: Tally, store_ids, now: datetime, stuck_for: timedelta,
                    actor: str) -> None:
    for attempt in stuck_attempts(store_ids=store_ids, now=now, stuck_for=stuck_for):
        tally.examined += 1
        attempt_id, intent_id = attempt.id, attempt.provider_reference
        assert intent_id is not None, "AUTHORIZING is what Stripe said of its intent"
        try:
            result = settle_payment(intent_id=intent_id, actor=actor)
        except GatewayError as exc:
            tally.flagged += 1
            _flag(attempt, f"Stripe could not be asked about {intent_id}: {exc}")
            continue
        if result is not None and result.attempt_status != AttemptStatus.AUTHORIZING:
            tally.fixed += 1
            continue
        tally.flagged += 1
        _flag(get_existing(db.session, PaymentAttempt, attempt_id),
              f"Payment {intent_id} is still being authorized at Stripe after "
              f"{int(stuck_for.total_seconds() // 60)} minutes.")


def _pending_claims(tally: Tally, store_ids, older_than: datetime, actor: str) -> None:
    query = (select(PaymentTransaction)
             .where(PaymentTransaction.status == TransactionStatus.PENDING,
                    PaymentTransaction.created_at < older_than)
             .order_by(PaymentTransaction.id))
    if store_ids is not None:
        query = query.where(PaymentTransaction.store_id.in_(list(store_ids)))
    for row in db.session.scalars(query).all():
        tally.examined += 1
        if row.kind == TransactionKind.REFUND and row.attempt.provider in PAID_BY_HAND:
            tally.flagged += 1
            _flag_manual_refund(row.id, actor)
            continue
        try:
            settled = (_settle_refund(row.id, actor, older_than)
                       if row.kind == TransactionKind.REFUND
                       else _settle_claim(row.id, actor))
        except GatewayError as exc:
            tally.flagged += 1
            _flag(get_existing(db.session, PaymentTransaction, row.id).attempt,
                  f"Pending {row.kind} {row.id} could not be checked at {row.attempt.provider}: "
                  f"{exc}")
            continue
        if settled:
            tally.fixed += 1


def _flag_manual_refund(transaction_id: int, actor: str) -> None:
    """A manual payout (cash, bank transfer) claimed but never recorded (a crash between the
    two): no provider knows of it, so only staff can say whether they paid the customer.
    The order is flagged for attention and an alert raised, once however often seen."""
    with write_transaction() as session:
        row = get_existing(session, PaymentTransaction, transaction_id)
        order = get_existing(session, Order, row.attempt.order_id)
        message = (f"Manual refund {row.id} of {row.amount} {row.attempt.currency} was asked "
                   f"for but its payout was never recorded: check whether the customer was "
                   f"paid back before refunding again.")
        if message not in (order.attention or ""):
            order.add_attention(message)
            record_change(session, store_id=order.store_id, entity_type="order",
                          entity_id=order.id, action=MANUAL_REFUND_UNRECORDED, from_state=None,
                          to_state=None, actor=actor, reason=message)
        raise_alert(session, store_id=order.store_id, kind=RECONCILIATION_UNRESOLVED,
                    message=message, order_id=order.id, attempt_id=row.attempt_id)


def _settle_claim(transaction_id: int, actor: str) -> bool:
    """A capture or void whose outcome we never recorded: Stripe's intent says."""
    row = get_existing(db.session, PaymentTransaction, transaction_id)
    intent = gateway().retrieve_payment_intent(_intent_of(row))
    with write_transaction() as session:
        apply_intent(session, intent, actor=actor)
        row = get_existing(session, PaymentTransaction, transaction_id)
        if row.status == TransactionStatus.PENDING:
            # Stripe shows no effect long after the call: it never happened. A retry is free.
            fail(row, code="abandoned", message=f"PaymentIntent is {intent.status}")
    return True


def _settle_refund(transaction_id: int, actor: str, older_than: datetime) -> bool:
    row = get_existing(db.session, PaymentTransaction, transaction_id)
    if row.attempt.provider != "stripe":
        return settle_provider_refund(row, actor, older_than)
    if row.provider_reference:
        refund = gateway().retrieve_refund(row.provider_reference)
    else:
        # Stripe forgets an idempotency key after 24 hours, and a claim can be older: sent
        # again then, the key would make a second refund. So look for the refund first (our
        # transaction_id metadata on the charge's refunds); only one Stripe never made is
        # asked for now (staff asked for it; it still counts as pending).
        refund = _refund_at_stripe(row) or issue_refund(claim_for(row))
    apply_refund(transaction_id=transaction_id, refund=refund, actor=actor)
    return (get_existing(db.session, PaymentTransaction, transaction_id).status
            != TransactionStatus.PENDING)


def _refund_at_stripe(row: PaymentTransaction) -> Refund | None:
    intent = gateway().retrieve_payment_intent(_intent_of(row))
    if intent.latest_charge_id is None:
        return None
    wanted = str(row.id)
    return next((refund for refund in gateway().list_refunds(charge_id=intent.latest_charge_id)
                 if refund.metadata.get("transaction_id") == wanted), None)


def _intent_of(row: PaymentTransaction) -> str:
    intent_id = row.attempt.provider_reference
    assert intent_id is not None, "a claim at Stripe is only made on an attempt with an intent"
    return intent_id


def _due_intent_creations(tally: Tally, store_ids, now: datetime) -> None:
    query = (select(PaymentAttempt)
             .where(PaymentAttempt.status == AttemptStatus.INITIATED,
                    PaymentAttempt.provider == "stripe",
                    PaymentAttempt.provider_reference.is_(None),
                    PaymentAttempt.next_retry_at <= now)
             .order_by(PaymentAttempt.id))
    if store_ids is not None:
        query = query.where(PaymentAttempt.store_id.in_(list(store_ids)))
    for attempt in db.session.scalars(query).all():
        tally.examined += 1
        try:
            created = ensure_payment_intent(order_id=attempt.order_id)
        except GatewayError:
            continue  # counted on the attempt, with its next retry time
        if created.id == attempt.id and created.provider_reference:
            tally.fixed += 1


def _unpaid_sessions(tally: Tally, store_ids, older_than: datetime, actor: str) -> None:
    """Hosted Checkout attempts with no PaymentIntent yet: a lost ``checkout.session.*``
    event would leave them so; the session at Stripe says whether the shopper paid."""
    query = (select(PaymentAttempt.id, PaymentAttempt.session_id)
             .where(PaymentAttempt.status == AttemptStatus.INITIATED,
                    PaymentAttempt.provider == "stripe",  # Paystack's access codes too
                    PaymentAttempt.session_id.is_not(None),
                    PaymentAttempt.provider_reference.is_(None),
                    PaymentAttempt.created_at < older_than)
             .order_by(PaymentAttempt.id))
    if store_ids is not None:
        query = query.where(PaymentAttempt.store_id.in_(list(store_ids)))
    for attempt_id, session_id in db.session.execute(query).all():
        tally.examined += 1
        assert session_id is not None, "selected for its session"
        try:
            result = settle_session(session_id=session_id, actor=actor)
        except GatewayError as exc:
            tally.flagged += 1
            _flag(get_existing(db.session, PaymentAttempt, attempt_id),
                  f"Stripe could not be asked about Checkout Session {session_id}: {exc}")
            continue
        if result is not None and result.attempt_status != AttemptStatus.INITIATED:
            tally.fixed += 1


class UndeliveredEvents:
    """Stripe's undelivered events, asked for once per call (the first store that needs
    them), and handed out by the store whose PaymentIntent each is about."""

    def __init__(self, now: datetime):
        self._since = now - EVENTS_KEPT
        self._by_store: dict[int | None, list[dict]] | None = None

    def of_store(self, store_id: int | None) -> list[dict]:
        """Oldest first; ``None``: the events no store's PaymentIntent is named in."""
        if self._by_store is None:
            self._by_store = self._sort(
                gateway().list_events(delivery_success=False, created_since=self._since))
        return self._by_store.get(store_id, [])

    @staticmethod
    def _sort(events: list[dict]) -> dict[int | None, list[dict]]:
        intents = {event_intent_id(e) for e in events} - {None}
        owners = dict(db.session.execute(
            select(PaymentAttempt.provider_reference, PaymentAttempt.store_id)
            .where(PaymentAttempt.provider_reference.in_(intents))).all()) if intents else {}
        by_store: dict[int | None, list[dict]] = {}
        for event in sorted(events, key=lambda e: (e.get("created") or 0)):
            by_store.setdefault(owners.get(event_intent_id(event)), []).append(event)
        return by_store


def _replay(events: list[dict]) -> int:
    """Apply each event exactly as if Stripe had delivered it (the same dedup row and
    handlers); returns how many were new."""
    return sum(handle_event(event, payload=json.dumps(event)) != "duplicate"
               for event in events)
