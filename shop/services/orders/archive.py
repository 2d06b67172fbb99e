"""Archiving closed orders: out of the default admin list, never deleted.

An order is archived when it is delivered, canceled or refunded and neither placed nor
changed for the store's ``archive_after_days``. Archiving sets ``orders.archived_at`` and
nothing else: the statuses stay as they were, so search, filters, the CSV export and the
shopper's history show the order as before.

Batches: each is one transaction that locks up to ``batch`` eligible rows (PostgreSQL skips
rows another transaction holds: a refund in flight keeps its order out until the next run),
sets ``archived_at`` only where it is still NULL, and writes one audit row for the batch.
One row per batch rather than per order: a million orders would otherwise add a million
audit rows that say nothing the order does not, and the batch's row carries the exact
time each of its orders holds in ``archived_at``, so "which orders did this run archive"
is one indexed query. Running twice archives nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ...domain.states import OrderStatus, PaymentStatus
from ...extensions import db
from ...models import AuditEvent, Order, Store
from ...models.types import utcnow
from ..platform.settings import effective_settings
from ..platform.tx import lock_rows, write_transaction

ACTOR = "job:archive_orders"
BATCH = 1000
ARCHIVABLE_STATUSES = (OrderStatus.DELIVERED, OrderStatus.CANCELED)


@dataclass
class ArchiveRun:
    stores: int = 0
    batches: int = 0
    archived: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"stores": self.stores, "batches": self.batches, "archived": self.archived}


def eligible(store_id: int, cutoff: datetime) -> list:
    """Conditions for an order of ``store_id`` that may be archived at ``cutoff``."""
    return [Order.store_id == store_id, Order.archived_at.is_(None),
            Order.created_at < cutoff, Order.updated_at < cutoff,
            or_(Order.status.in_(ARCHIVABLE_STATUSES),
                Order.payment_status == PaymentStatus.REFUNDED)]


def archive_orders(*, now: datetime | None = None, batch: int = BATCH) -> ArchiveRun:
    """Archive every store's eligible orders, ``batch`` at a time, each store by its setting."""
    now = now or utcnow()
    run = ArchiveRun()
    store_ids = list(db.session.scalars(select(Store.id).order_by(Store.id)))
    db.session.rollback()
    for store_id in store_ids:
        days = effective_settings(store_id).archive_after_days
        db.session.rollback()
        run.stores += 1
        while archived := archive_batch(store_id=store_id, cutoff=now - timedelta(days=days),
                                        batch=batch, days=days):
            run.batches += 1
            run.archived += archived
            if archived < batch:
                break
    return run


def archive_batch(*, store_id: int, cutoff: datetime, batch: int, days: int) -> int:
    """Archive up to ``batch`` of the store's eligible orders, oldest first; how many."""
    with write_transaction() as session:
        query = (select(Order.id).where(*eligible(store_id, cutoff))
                 .order_by(Order.created_at, Order.id).limit(batch))
        ids = list(session.scalars(lock_rows(query, of=Order, skip_locked=True)))
        if not ids:
            return 0
        stamp = utcnow()
        # updated_at kept: archiving changes nothing the shopper or staff would call a change.
        archived = session.execute(
            update(Order).where(Order.id.in_(ids), Order.archived_at.is_(None))
            .values(archived_at=stamp, updated_at=Order.updated_at)
            .execution_options(synchronize_session=False)).rowcount
        # Created at the batch's archived_at: the audit row names exactly its orders.
        session.add(AuditEvent(
            store_id=store_id, entity_type="store", entity_id=store_id,
            action="orders_archived", actor=ACTOR, created_at=stamp,
            reason=f"{archived} orders archived (ids {min(ids)}–{max(ids)}): delivered, "
                   f"canceled or refunded, untouched for {days} days"))
    return archived
