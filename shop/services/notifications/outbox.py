"""The transactional outbox: jobs asked for in the same transaction as the change they report.

``emit`` writes a row; once the transaction commits the rows are dispatched: enqueued on RQ
when REDIS_URL is set, else run in-process. A row that could not be dispatched (Redis away,
an in-process job that raised) stays pending and ``dispatch_pending`` (a periodic job)
tries it again with backoff, so a committed change never loses its job. Claiming a row is a
conditional UPDATE, so two dispatchers never hand the same row on twice.

A row is born claimed by the transaction that writes it (its lease already running), so the
hand-on right after the commit needs no claim of its own: one write transaction fewer on
every paying webhook. If the process dies before handing it on, the periodic dispatcher
takes the row when the lease runs out. In a web request with Redis, that hand-on waits
until the response has been sent (``after_response``): a webhook's 2xx does not wait for it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, inspect, select, update
from sqlalchemy.orm import Session

from ...after_response import defer_until_sent
from ...extensions import db
from ...metrics import count_job_failure
from ...models import OutboxMessage
from ...models.types import utcnow
from ..platform.tx import after_commit, rows_matched, tx_local, write_alone, write_transaction

log = logging.getLogger(__name__)

# A claimed row is not picked up by another dispatcher for this long (a crashed dispatcher's
# row comes back after it).
LEASE = timedelta(minutes=2)
MAX_BACKOFF = timedelta(hours=1)


def emit(session: Session, job: str, **kwargs: object) -> OutboxMessage:
    """Ask for ``job(**kwargs)`` once the current write transaction commits."""
    from ...jobs.registry import job_path

    job_path(job)  # refuse a name no worker can run, before anything is committed
    args = json.dumps(kwargs, sort_keys=True)
    row = OutboxMessage(job=job, args=args, available_at=utcnow() + LEASE, attempts=1)
    session.add(row)  # inserted with the transaction's other rows: no flush of its own
    local = tx_local(session)
    if "outbox_rows" not in local:
        born: list[tuple[OutboxMessage, str, str]] = []
        local["outbox_rows"] = born
        after_commit(session, lambda: _hand_on_born_claimed(born))
    local["outbox_rows"].append((row, job, args))
    return row


def _committed_id(row: OutboxMessage) -> int:
    identity = inspect(row).identity
    assert identity is not None, "a committed row has its primary key"
    return identity[0]


def _hand_on_born_claimed(born: list[tuple[OutboxMessage, str, str]]) -> None:
    # The identity key, not ``row.id``: the commit expired the row, and reading an
    # attribute would load it again.
    claimed = [(_committed_id(row), job, json.loads(args)) for row, job, args in born]

    def deliver() -> None:
        for row_id, job, kwargs in claimed:
            _deliver(row_id, job, kwargs, attempts=1)

    # Enqueuing on RQ (a Redis round trip) and marking the rows dispatched (a transaction)
    # change nothing the answer says: in a request they wait until it has been sent. A job
    # run in-process (no Redis) still runs now, before the answer, as it always did.
    if not (current_app.config.get("REDIS_URL") and defer_until_sent(deliver)):
        deliver()


def dispatch(ids: list[int], *, now: datetime | None = None) -> int:
    """Hand these rows on now; returns how many went. Failures stay pending for later."""
    return sum(1 for row_id in ids if _dispatch_one(row_id, now or utcnow()))


def dispatch_pending(*, limit: int = 200, now: datetime | None = None) -> int:
    """Hand on every row that is due (the periodic safety net); returns how many went."""
    now = now or utcnow()
    ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.dispatched_at.is_(None), OutboxMessage.available_at <= now)
        .order_by(OutboxMessage.id).limit(limit)).all()
    db.session.rollback()
    return dispatch(list(ids), now=now)


def purge_dispatched(*, older_than: timedelta, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - older_than
    with write_transaction() as session:
        purged = rows_matched(session, delete(OutboxMessage).where(
            OutboxMessage.dispatched_at.is_not(None), OutboxMessage.dispatched_at < cutoff))
    return purged


def _dispatch_one(row_id: int, now: datetime) -> bool:
    claimed = _claim(row_id, now)
    if claimed is None:
        return False
    job, kwargs, attempts = claimed
    return _deliver(row_id, job, kwargs, attempts=attempts)


def _deliver(row_id: int, job: str, kwargs: dict, *, attempts: int) -> bool:
    """Hand a claimed row on and mark it dispatched, or release it for a later try."""
    try:
        _hand_on(row_id, job, kwargs)
    except Exception as exc:
        # Kept, not swallowed: the row records the error and is tried again after a backoff.
        log.warning("outbox job not dispatched; will retry",
                    extra={"outbox_id": row_id, "job": job}, exc_info=True)
        count_job_failure(job)
        _release(row_id, attempts, exc)
        return False
    _finish(row_id)
    return True


def _hand_on(row_id: int, job: str, kwargs: dict) -> None:
    from ...jobs.registry import job_path, resolve

    url = current_app.config.get("REDIS_URL")
    if url:
        from ...jobs.queue import enqueue

        enqueue(url, job_path(job), kwargs, job_id=f"outbox-{row_id}")
    else:
        resolve(job)(**kwargs)


def _claim(row_id: int, now: datetime) -> tuple[str, dict, int] | None:
    with write_transaction() as session:
        # RETURNING: the claimed row's job comes back with the claim (no second SELECT).
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.dispatched_at.is_(None),
                   OutboxMessage.available_at <= now)
            .values(available_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .returning(OutboxMessage.job, OutboxMessage.args, OutboxMessage.attempts)
            .execution_options(synchronize_session=False)).one_or_none()
        if claimed is None:
            return None
        return claimed.job, json.loads(claimed.args), claimed.attempts


def _release(row_id: int, attempts: int, exc: Exception) -> None:
    backoff = min(timedelta(seconds=30 * 2 ** max(0, attempts - 1)), MAX_BACKOFF)
    with write_transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
            available_at=utcnow() + backoff, last_error=f"{type(exc).__name__}: {exc}"[:2000]))


def _finish(row_id: int) -> None:
    # One statement: committed alone, without BEGIN and COMMIT round trips (this runs after
    # every paying webhook).
    write_alone(update(OutboxMessage).where(OutboxMessage.id == row_id).values(
        dispatched_at=utcnow(), last_error=None))
