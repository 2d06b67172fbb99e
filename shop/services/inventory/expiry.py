"""Releasing what nobody paid for: orders whose stock holds lapsed (they become expired) and
orders left unpaid too long (canceled). Every step of it lives in this module.

Correctness never waits for it: a hold stops counting against stock when it lapses
(``holds.counting``). This tidies up: it closes the order, releases its holds, cancels its
PaymentIntent so that nobody can pay for stock that may be gone, and tells the shopper.

Two paths:

1. **In SQL, in batches, no call to Stripe** (``expire_lapsed_orders``). Every minute, from
   the periodic job ``expire_holds`` (shop/jobs/periodic.py, scheduled by
   ``rq cron shop.jobs.cron``, or run by ``flask shop run-periodic`` without Redis).
   Pending, unpaid orders whose holds all lapsed come in ascending id batches, each batch
   one transaction: an order with no PaymentIntent is expired by one guarded UPDATE (only
   rows the order state machine lets expire), its holds released, audited, and one outbox
   row sends the batch's e-mails (``send_expiry_emails``); an order with a PaymentIntent
   must ask Stripe first (the shopper may have paid a moment ago), so it is handed to path
   2 through the outbox (job ``close_lapsed_orders``) in the same transaction.
2. **Stripe first, one order at a time** (``close_unpaid_order``): cancel the PaymentIntent,
   settle whatever Stripe answers (a payment that won the race is recorded as paid, not
   closed), then ``close_order``. From the job ``close_lapsed_orders`` (shop/jobs/orders.py,
   asked for by path 1; orders become expired) and from the periodic job
   ``cancel_unpaid_orders`` (every 15 minutes: ``cancel_stale_unpaid_orders``, orders still
   unpaid after their store's unpaid-order TTL become canceled; a bank transfer only part
   received by the end of its hold is canceled there too, its part owed back:
   payments/transfer_owed.py).

``close_order`` is the one way an unpaid order closes: the settle function
(``payments.settle.apply_intent``) calls it too when Stripe reports the intent canceled.
Releasing one order's holds (``holds.release_holds``) is shared with staff cancel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from ...domain.states import (
    PAYMENT_CLOSABLE,
    PAYMENT_UNPAID,
    OrderStatus,
    PaymentStatus,
    transition,
)
from ...extensions import db
from ...models import AuditEvent, HoldStatus, InventoryHold, Order, PaymentAttempt, Store
from ...models.types import utcnow
from ...providers.stripe_gateway import GatewayError, Intent, gateway
from ..notifications.outbox import emit

# settle calls close_order and this module calls settle: each imports the other as a
# module (names looked up at call time), so either may be imported first.
from ..payments import settle
from ..payments.methods import PAID_BY_HAND, REDIRECT_PROVIDERS, method_settings
from ..platform.audit import record_change
from ..platform.settings import effective_settings
from ..platform.tx import lock_rows, rows_matched, write_transaction
from .holds import counting, lapsed, release_holds

log = logging.getLogger(__name__)

ACTOR = "system:hold-expiry"
AUTO_CANCEL = "system:auto-cancel"
REASON = "its stock holds expired before it was paid"
BATCH = 1000
BANK_TRANSFER = "bank_transfer"  # payments.offline's name (it imports settle: not here)

_EMAIL_JOB = {OrderStatus.EXPIRED: "send_expiry_email",
              OrderStatus.CANCELED: "send_cancellation_email"}


# Closing one unpaid order (both paths, and settling a canceled intent).

def can_close(order: Order) -> bool:
    return (order.status == OrderStatus.PENDING and order.paid_at is None
            and PaymentStatus(order.payment_status) in PAYMENT_CLOSABLE)


def close_order(session: Session, order: Order, *, target: OrderStatus, actor: str,
                reason: str, received: int = 0) -> None:
    """Move a locked, unpaid, pending order to ``target``, free its holds, tell the shopper
    (``received``: the part of a bank transfer that came, which the e-mail says comes back)."""
    previous = OrderStatus(order.status)
    order.status = transition("order", previous, target)
    if target == OrderStatus.CANCELED:
        order.canceled_at = utcnow()
    release_holds(session, order.id)
    record_change(session, store_id=order.store_id, entity_type="order", entity_id=order.id,
                  action="order_state_change", from_state=previous, to_state=order.status,
                  actor=actor, reason=reason)
    _cancel_manual_attempts(session, order.id, actor)
    # A person closing it (a staff void) is not "not paid in time": the e-mail says so.
    by_staff = target == OrderStatus.CANCELED and actor.startswith("staff:")
    extra: dict[str, bool | int] = {"by_staff": True} if by_staff else {}
    if received:
        extra["received"] = received
    emit(session, _EMAIL_JOB[target], order_id=order.id, **extra)


def _cancel_manual_attempts(session: Session, order_id: int, actor: str) -> None:
    """A transfer (or cash) attempt has no provider to end it: it would stay ``initiated``
    on a closed order, so it is canceled here, with the order, through its state machine."""
    from ..payments.completion import cancel_attempt  # completion -> receipts: kept lazy

    attempts = session.scalars(lock_rows(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order_id,
        PaymentAttempt.provider.in_(PAID_BY_HAND)).order_by(PaymentAttempt.id))).all()
    for attempt in attempts:
        cancel_attempt(session, attempt, actor)


# Path 1: lapsed holds, in SQL batches.

@dataclass
class ExpiryReport:
    expired: int = 0  # closed here, in SQL
    holds_released: int = 0
    handed_on: int = 0  # orders with a PaymentIntent, passed to close_lapsed_orders
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"expired": self.expired, "holds_released": self.holds_released,
                "handed_on": self.handed_on, "batches": self.batches}


def expire_lapsed_orders(*, now: datetime | None = None, batch: int = BATCH) -> ExpiryReport:
    """Expire every order whose holds lapsed as of ``now`` (the every-minute job), each batch
    committed on its own; orders with a PaymentIntent go to ``close_lapsed_orders``."""
    now = now or utcnow()
    report = ExpiryReport()
    after: int | None = 0
    while after is not None:
        after = expire_batch(now, after=after, limit=batch, report=report)
    log.info("expired lapsed orders", extra=report.as_dict())
    return report


def expire_batch(now: datetime, *, after: int, limit: int, report: ExpiryReport) -> int | None:
    """One batch in one transaction; returns the last order id looked at (None: no more)."""
    with write_transaction() as session:
        ids = lapsed_order_ids(session, now, after=after, limit=limit)
        if not ids:
            return None
        with_intent = set(session.scalars(
            select(PaymentAttempt.order_id).distinct().where(
                PaymentAttempt.order_id.in_(ids), _at_stripe())))
        expired = _expire_in_sql(session, [i for i in ids if i not in with_intent], now)
        expired_ids = [order_id for order_id, _ in expired]
        if expired_ids:
            report.holds_released += _release(session, expired_ids)
            _audit(session, expired, now)
            emit(session, "send_expiry_emails", order_ids=expired_ids)
        if with_intent:
            emit(session, "close_lapsed_orders", order_ids=sorted(with_intent))
        report.expired += len(expired_ids)
        report.handed_on += len(with_intent)
        report.batches += 1
        return ids[-1]


def lapsed_order_ids(session: Session, now: datetime, *, after: int, limit: int) -> list[int]:
    """Pending, unpaid orders past ``after`` whose active holds have all lapsed."""
    fresh = InventoryHold.__table__.alias("fresh")
    still_held = exists().where(fresh.c.order_id == InventoryHold.order_id, counting(now, fresh))
    query = (select(InventoryHold.order_id).distinct()
             .join(Order, Order.id == InventoryHold.order_id)
             .where(lapsed(now), InventoryHold.order_id > after,
                    Order.status == OrderStatus.PENDING, Order.paid_at.is_(None),
                    Order.payment_status.in_(PAYMENT_CLOSABLE), ~still_held,
                    # Its hold is the transfer's days: the unpaid-order job cancels it.
                    Order.payment_method != BANK_TRANSFER)
             .order_by(InventoryHold.order_id).limit(limit))
    return list(session.scalars(query))


def _at_stripe():
    """An attempt Stripe knows of: a PaymentIntent, or a hosted Checkout Session that may
    still be paid (it is expired at Stripe before its order closes)."""
    return (PaymentAttempt.provider_reference.is_not(None)
            | PaymentAttempt.session_id.is_not(None))


def _has_intent(order_id_column):
    return exists().where(PaymentAttempt.order_id == order_id_column, _at_stripe())


def _expire_in_sql(session: Session, ids: list[int], now: datetime) -> list[tuple[int, int]]:
    """Expire the orders of ``ids`` that still may be, returning (id, store_id) of each."""
    transition("order", OrderStatus.PENDING, OrderStatus.EXPIRED)  # the rule, checked once
    # The WHERE repeats every condition inside the UPDATE: a payment or a PaymentIntent that
    # arrived since the candidates were read leaves its order alone. Only unpaid orders are
    # closed in SQL: nothing can be in flight at Stripe (PROCESSING asks Stripe first).
    rows = session.execute(
        update(Order)
        .where(Order.id.in_(ids), Order.status == OrderStatus.PENDING, Order.paid_at.is_(None),
               Order.payment_status.in_(PAYMENT_UNPAID), ~_has_intent(Order.id))
        .values(status=OrderStatus.EXPIRED, updated_at=now)
        .returning(Order.id, Order.store_id)
        .execution_options(synchronize_session=False)).all()
    return sorted((row.id, row.store_id) for row in rows)


def _release(session: Session, order_ids: list[int]) -> int:
    return rows_matched(session, (
        update(InventoryHold)
        .where(InventoryHold.order_id.in_(order_ids), InventoryHold.status == HoldStatus.ACTIVE)
        .values(status=HoldStatus.RELEASED).execution_options(synchronize_session=False)))


def _audit(session: Session, expired: list[tuple[int, int]], now: datetime) -> None:
    session.execute(insert(AuditEvent), [
        {"store_id": store_id, "entity_type": "order", "entity_id": order_id,
         "action": "order_state_change", "from_state": OrderStatus.PENDING.value,
         "to_state": OrderStatus.EXPIRED.value, "actor": ACTOR, "reason": REASON,
         "created_at": now}
        for order_id, store_id in expired])


# Path 2: Stripe first, one order at a time.

@dataclass
class CloseReport:
    closed: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # paid or still paying meanwhile
    deferred: list[int] = field(default_factory=list)  # Stripe unreachable: next run

    def add(self, other: CloseReport) -> None:
        self.closed += other.closed
        self.kept += other.kept
        self.deferred += other.deferred

    def as_dict(self) -> dict[str, int]:
        return {"closed": len(self.closed), "kept": len(self.kept),
                "deferred": len(self.deferred)}


def close_lapsed_orders(*, order_ids: list[int]) -> CloseReport:
    """Cancel each order's PaymentIntent, then expire the order (the hand-on job). An order
    paid meanwhile is settled instead; one Stripe could not be asked about stays for the
    next run of the periodic job."""
    return _close_all(order_ids, OrderStatus.EXPIRED, ACTOR, REASON)


def cancel_stale_unpaid_orders(*, now: datetime | None = None, limit: int = 100,
                               ttl: timedelta | None = None) -> CloseReport:
    """Cancel orders still unpaid after their store's unpaid-order TTL (owners set it in
    /admin/settings; UNPAID_ORDER_TTL_HOURS is the default). ``ttl`` overrides it for all."""
    now = now or utcnow()
    report = CloseReport()
    for store_id in db.session.scalars(select(Store.id).order_by(Store.id)).all():
        store_ttl = ttl or effective_settings(store_id).unpaid_order_ttl
        transfer_ttl = max(store_ttl, timedelta(
            days=method_settings(store_id).bank_transfer_hold_days))
        ids = stale_unpaid_orders(now - store_ttl, limit, store_id=store_id,
                                  transfers_older_than=now - transfer_ttl)
        report.add(_close_all(ids, OrderStatus.CANCELED, AUTO_CANCEL,
                              "unpaid when its time to pay ran out"))
        report.add(_close_part_paid(now - transfer_ttl, limit, store_id))
    return report


def _close_part_paid(older_than: datetime, limit: int, store_id: int) -> CloseReport:
    """Part-paid bank transfers whose hold ran out: canceled too, the part received owed
    back (payments/transfer_owed.py); their payment is ``pending``, not closable above."""
    from ..payments.transfer_owed import cancel_part_paid_transfer, part_paid_transfers

    report = CloseReport()
    for order_id in part_paid_transfers(older_than, limit, store_id=store_id):
        getattr(report, cancel_part_paid_transfer(order_id=order_id, actor=AUTO_CANCEL)
                ).append(order_id)
    return report


def stale_unpaid_orders(older_than: datetime, limit: int = 100, *,
                        store_id: int | None = None,
                        transfers_older_than: datetime | None = None) -> list[int]:
    """Unpaid orders placed before ``older_than``; a bank-transfer order only once its
    longer hold is over too (``transfers_older_than``, default the same)."""
    transfers_older_than = transfers_older_than or older_than
    query = (select(Order.id)
             .where(Order.status == OrderStatus.PENDING,
                    or_(and_(Order.payment_method != BANK_TRANSFER,
                             Order.created_at <= older_than),
                        and_(Order.payment_method == BANK_TRANSFER,
                             Order.created_at <= transfers_older_than)),
                    Order.payment_status.in_(PAYMENT_CLOSABLE))
             .order_by(Order.id).limit(limit))
    if store_id is not None:
        query = query.where(Order.store_id == store_id)
    return list(db.session.scalars(query))


def _close_all(ids: list[int], target: OrderStatus, actor: str, reason: str) -> CloseReport:
    db.session.rollback()
    report = CloseReport()
    for order_id in ids:
        try:
            outcome = close_unpaid_order(order_id=order_id, target=target, actor=actor,
                                         reason=reason)
        except GatewayError:
            log.warning("Stripe unreachable; the order stays open until the next run",
                        extra={"order_id": order_id}, exc_info=True)
            outcome = "deferred"
        getattr(report, outcome).append(order_id)
    log.info("closed unpaid orders", extra={"target": str(target), **report.as_dict()})
    return report


def close_unpaid_order(*, order_id: int, target: OrderStatus, actor: str, reason: str) -> str:
    """Cancel the order's PaymentIntent if Stripe still allows it, then close the order.

    Returns ``closed`` or ``kept`` (the intent was paid or is still completing: the payment
    is settled instead). Raises ``GatewayError`` if Stripe cannot be asked.
    """
    attempt = settle.attempt_for_order(order_id)
    # Paystack and Flutterwave keep an access code in session_id too: the provider decides.
    if (attempt is not None and attempt.provider in REDIRECT_PROVIDERS
            and attempt.provider_reference):
        return _close_redirect(order_id, attempt.provider, attempt.provider_reference,
                               target=target, actor=actor, reason=reason)
    if attempt is not None and attempt.provider == "stripe" and attempt.session_id:
        from ..payments.session_settle import close_session_order  # imports this module

        return close_session_order(attempt=attempt, target=target, actor=actor)
    intent = (_cancel_intent(attempt.provider_reference)
              if attempt and attempt.provider_reference else None)
    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        session.refresh(order)
        if intent is not None:
            settle.apply_intent(session, intent, actor=actor, closed_as=target)
            if intent.status != "canceled":
                return "kept"
        if not can_close(order):
            return "closed" if order.status == target else "kept"
        close_order(session, order, target=target, actor=actor, reason=reason)
    return "closed"


def _close_redirect(order_id: int, provider: str, reference: str, *, target: OrderStatus,
                    actor: str, reason: str) -> str:
    """A hosted-page payment (Paystack, Flutterwave): verify the reference first (a payment
    that won the race is kept), else the attempt is given up and the order closed."""
    from ..payments.redirect import apply_provider_payment, fetch_truth

    payment = fetch_truth(provider, reference)  # GatewayError: deferred to the next run
    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        session.refresh(order)
        apply_provider_payment(session, provider, payment, actor=actor, closed_as=target,
                               give_up=True)
        if not can_close(order):
            return "closed" if order.status == target else "kept"
        close_order(session, order, target=target, actor=actor, reason=reason)
    return "closed"


def _cancel_intent(intent_id: str) -> Intent:
    """The intent after our cancel; if Stripe refused (paid, processing) the intent as it is."""
    try:
        # Lapsed holds and unpaid orders: the shopper walked away.
        return gateway().cancel_payment_intent(intent_id, reason="abandoned")
    except GatewayError as exc:
        log.info("PaymentIntent not canceled; settling it as it is",
                 extra={"payment_intent": intent_id, "code": exc.code})
    return gateway().retrieve_payment_intent(intent_id)
