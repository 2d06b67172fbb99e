"""Expiring orders whose stock holds lapsed, in set-based batches (the every-minute job).

A lapsed hold already stops counting when it lapses (inventory.held_quantities); this tidies
up. Orders come in ascending id batches, each batch one transaction:

- an unpaid order with no PaymentIntent is expired in SQL: one guarded UPDATE of the orders
  (only rows the order state machine lets expire: pending, not paid, nothing taken), one
  UPDATE of their holds, the audit rows and one outbox row for the e-mails;
- an order with a PaymentIntent must ask Stripe first (the shopper may have paid a moment
  ago: then it is settled as paid, not expired), so it is handed to the ``close_lapsed_orders``
  job through the outbox, in the same transaction. No call to Stripe happens here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session, aliased

from ...domain.states import PAYMENT_CLOSABLE, PAYMENT_UNPAID, OrderStatus, transition
from ...models import AuditEvent, HoldStatus, InventoryHold, Order, PaymentAttempt
from ..notifications.outbox import emit
from ..platform.tx import write_transaction

ACTOR = "system:hold-expiry"
REASON = "its stock holds expired before it was paid"
BATCH = 1000


@dataclass
class ExpiryReport:
    expired: int = 0  # closed here, in SQL
    holds_released: int = 0
    handed_on: int = 0  # orders with a PaymentIntent, passed to close_lapsed_orders
    batches: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"expired": self.expired, "holds_released": self.holds_released,
                "handed_on": self.handed_on, "batches": self.batches}


def _has_intent(order_id_column):
    return exists().where(PaymentAttempt.order_id == order_id_column,
                          PaymentAttempt.provider_reference.is_not(None))


def lapsed_order_ids(session: Session, now: datetime, *, after: int, limit: int) -> list[int]:
    """Pending, unpaid orders past ``after`` whose active holds have all lapsed."""
    fresh = aliased(InventoryHold)
    still_held = exists().where(fresh.order_id == InventoryHold.order_id,
                                fresh.status == HoldStatus.ACTIVE, fresh.expires_at > now)
    query = (select(InventoryHold.order_id).distinct()
             .join(Order, Order.id == InventoryHold.order_id)
             .where(InventoryHold.status == HoldStatus.ACTIVE, InventoryHold.expires_at <= now,
                    InventoryHold.order_id > after, Order.status == OrderStatus.PENDING,
                    Order.paid_at.is_(None), Order.payment_status.in_(PAYMENT_CLOSABLE),
                    ~still_held)
             .order_by(InventoryHold.order_id).limit(limit))
    return list(session.scalars(query))


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
    result = session.execute(
        update(InventoryHold)
        .where(InventoryHold.order_id.in_(order_ids), InventoryHold.status == HoldStatus.ACTIVE)
        .values(status=HoldStatus.RELEASED).execution_options(synchronize_session=False))
    return result.rowcount


def _audit(session: Session, expired: list[tuple[int, int]], now: datetime) -> None:
    session.execute(insert(AuditEvent), [
        {"store_id": store_id, "entity_type": "order", "entity_id": order_id,
         "action": "order_state_change", "from_state": OrderStatus.PENDING.value,
         "to_state": OrderStatus.EXPIRED.value, "actor": ACTOR, "reason": REASON,
         "created_at": now}
        for order_id, store_id in expired])


def expire_batch(now: datetime, *, after: int, limit: int, report: ExpiryReport) -> int | None:
    """One batch in one transaction; returns the last order id looked at (None: no more)."""
    with write_transaction() as session:
        ids = lapsed_order_ids(session, now, after=after, limit=limit)
        if not ids:
            return None
        with_intent = set(session.scalars(
            select(PaymentAttempt.order_id).distinct().where(
                PaymentAttempt.order_id.in_(ids), PaymentAttempt.provider_reference.is_not(None))))
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


def expire_lapsed(*, now: datetime, batch: int = BATCH) -> ExpiryReport:
    """Every batch of lapsed orders as of ``now``, each batch committed on its own."""
    report = ExpiryReport()
    after: int | None = 0
    while after is not None:
        after = expire_batch(now, after=after, limit=batch, report=report)
    return report
