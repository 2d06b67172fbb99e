"""Closing orders nobody paid for: holds that lapsed (expired) and old unpaid orders (canceled).

Correctness never waits for these: a lapsed hold already stops counting when it lapses.
They tidy up: cancel the PaymentIntent at Stripe so the shopper can no longer pay for
stock that may be gone, close the order, release its holds and tell the shopper.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from ...domain.states import PAYMENT_CLOSABLE, OrderStatus
from ...extensions import db
from ...models import Order, PaymentAttempt, Store
from ...models.types import utcnow
from ...stripe_gateway import GatewayError, Intent, gateway
from ..orders.closing import can_close, close_order
from ..payments.settle import apply_intent, attempt_for_order
from ..platform.settings import effective_settings
from ..platform.tx import lock_rows, write_transaction
from . import lapsed as lapsed_holds

log = logging.getLogger(__name__)


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


def stale_unpaid_orders(older_than: datetime, limit: int = 100, *,
                        store_id: int | None = None) -> list[int]:
    query = (select(Order.id)
             .where(Order.status == OrderStatus.PENDING, Order.created_at <= older_than,
                    Order.payment_status.in_(PAYMENT_CLOSABLE))
             .order_by(Order.id).limit(limit))
    if store_id is not None:
        query = query.where(Order.store_id == store_id)
    return list(db.session.scalars(query))


def expire_lapsed_orders(*, now: datetime | None = None,
                         batch: int = lapsed_holds.BATCH) -> lapsed_holds.ExpiryReport:
    """Expire every order whose holds lapsed (the every-minute job): in SQL batches, or
    through ``close_lapsed_orders`` for orders with a PaymentIntent (Stripe is asked first)."""
    report = lapsed_holds.expire_lapsed(now=now or utcnow(), batch=batch)
    log.info("expired lapsed orders", extra=report.as_dict())
    return report


def close_lapsed_orders(*, order_ids: list[int]) -> CloseReport:
    """Cancel each order's PaymentIntent, then expire the order (the hand-on job). An order
    paid meanwhile is settled instead; one Stripe could not be asked about stays for the
    next run of the periodic job."""
    return _close_all(order_ids, OrderStatus.EXPIRED, lapsed_holds.ACTOR, lapsed_holds.REASON)


def cancel_stale_unpaid_orders(*, now: datetime | None = None, limit: int = 100,
                               ttl: timedelta | None = None) -> CloseReport:
    """Cancel orders still unpaid after their store's unpaid-order TTL (owners set it in
    /admin/settings; UNPAID_ORDER_TTL_HOURS is the default). ``ttl`` overrides it for all."""
    now = now or utcnow()
    report = CloseReport()
    for store_id in db.session.scalars(select(Store.id).order_by(Store.id)).all():
        store_ttl = ttl or effective_settings(store_id).unpaid_order_ttl
        ids = stale_unpaid_orders(now - store_ttl, limit, store_id=store_id)
        report.add(_close_all(ids, OrderStatus.CANCELED, "system:auto-cancel",
                              f"unpaid {store_ttl.total_seconds() / 3600:g} hours after it "
                              "was placed"))
    return report


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
    attempt = attempt_for_order(order_id)
    intent = _cancel_intent(attempt) if attempt and attempt.provider_reference else None
    with write_transaction() as session:
        order = session.scalar(lock_rows(select(Order).where(Order.id == order_id)))
        session.refresh(order)
        if intent is not None:
            apply_intent(session, intent, actor=actor, closed_as=target)
            if intent.status != "canceled":
                return "kept"
        if not can_close(order):
            return "closed" if order.status == target else "kept"
        close_order(session, order, target=target, actor=actor, reason=reason)
    return "closed"


def _cancel_intent(attempt: PaymentAttempt) -> Intent:
    """The intent after our cancel; if Stripe refused (paid, processing) the intent as it is."""
    try:
        # Lapsed holds and unpaid orders: the shopper walked away.
        return gateway().cancel_payment_intent(attempt.provider_reference, reason="abandoned")
    except GatewayError as exc:
        log.info("PaymentIntent not canceled; settling it as it is",
                 extra={"payment_intent": attempt.provider_reference, "code": exc.code})
    return gateway().retrieve_payment_intent(attempt.provider_reference)
