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

from sqlalchemy import bindparam, or_, select, tuple_, update

from ...domain.states import OrderStatus, PaymentStatus
from ...extensions import db
from ...models import AuditEvent, Order, Store
from ...models.types import utcnow
from ..platform.settings import effective_settings
from ..platform.tx import lock_rows, rows_matched, write_transaction

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
        after: tuple[datetime, int] | None = None
        while True:
            archived, after = archive_batch(store_id=store_id, after=after, batch=batch,
                                            cutoff=now - timedelta(days=days), days=days)
            if archived:
                run.batches += 1
                run.archived += archived
            if after is None:
                break
    return run


def archive_batch(*, store_id: int, cutoff: datetime, batch: int, days: int,
                  after: tuple[datetime, int] | None = None
                  ) -> tuple[int, tuple[datetime, int] | None]:
    """Archive up to ``batch`` of the store's eligible orders, oldest first, after the
    ``(created_at, id)`` the previous batch ended on; returns how many, and where the next
    batch starts (None: nothing is left). Walking on by key, not from the start again,
    keeps old orders that stay (paid, never delivered) from being read by every batch."""
    with write_transaction() as session:
        query = select(Order.id, Order.created_at).where(*eligible(store_id, cutoff))
        if after is not None:
            query = query.where(tuple_(Order.created_at, Order.id) > tuple_(
                bindparam("after_created", after[0], type_=Order.created_at.type),
                bindparam("after_id", after[1], type_=Order.id.type)))
        query = query.order_by(Order.created_at, Order.id).limit(batch)
        rows = session.execute(lock_rows(query, of=Order, skip_locked=True)).all()
        if not rows:
            return 0, None
        ids = [row.id for row in rows]
        last = (rows[-1].created_at, rows[-1].id)
        stamp = utcnow()
        # updated_at kept: archiving changes nothing the shopper or staff would call a change.
        archived = rows_matched(session, update(Order).where(
            Order.id.in_(ids), Order.archived_at.is_(None))
            .values(archived_at=stamp, updated_at=Order.updated_at)
            .execution_options(synchronize_session=False))
        # Created at the batch's archived_at: the audit row names exactly its orders.
        if archived:  # else a concurrent run took them all: nothing to record
            session.add(AuditEvent(
                store_id=store_id, entity_type="store", entity_id=store_id,
                action="orders_archived", actor=ACTOR, created_at=stamp,
                reason=f"{archived} orders archived (ids {min(ids)}–{max(ids)}): delivered, "
                       f"canceled or refunded, untouched for {days} days"))
    return archived, last if len(rows) == batch else None
