"""Idempotency keys of API requests, kept 24 hours (as Stripe keeps its own).

``claim_key`` is called before the work: it inserts an in-progress record (the unique
(store, key) pair makes a concurrent duplicate fail), or finds the first request's record
and returns its response to replay. ``complete_key`` stores the response; ``release_key``
drops the claim when the work failed unexpectedly, so that the client may try again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ...domain.errors import DomainError
from ...models import IdempotencyRecord
from ...models.types import utcnow
from .tx import get_existing, rows_matched, write_transaction

KEEP_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKeyInUse(DomainError):
    """A request with this key is still being processed."""

    code = "idempotency_key_in_use"
    status = 409


class IdempotencyKeyReused(DomainError):
    """The key was first used with a different request."""

    code = "idempotency_key_reused"


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict


def fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def claim_key(*, store_id: int, key: str, fingerprint: str,
              now: datetime | None = None) -> int | Replay:
    """The new record's id, or the first response to replay; raises on misuse of the key."""
    now = now or utcnow()
    try:
        with write_transaction() as session:
            record = session.scalar(select(IdempotencyRecord).where(
                IdempotencyRecord.store_id == store_id, IdempotencyRecord.key == key))
            if record is not None and record.created_at <= now - KEEP_FOR:
                session.delete(record)  # expired: the key is free again
                session.flush()
                record = None
            if record is None:
                record = IdempotencyRecord(store_id=store_id, key=key,
                                           fingerprint=fingerprint, state="in_progress",
                                           created_at=now)
                session.add(record)
                session.flush()
                return record.id
            return _existing(record, fingerprint)
    except IntegrityError as exc:
        # PostgreSQL: a concurrent first request inserted the key and committed meanwhile.
        raise IdempotencyKeyInUse("A request with this Idempotency-Key is in progress.") \
            from exc


def _existing(record: IdempotencyRecord, fingerprint: str) -> Replay:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was used with a different request.")
    if record.state != "done":
        raise IdempotencyKeyInUse("A request with this Idempotency-Key is in progress.")
    assert record.response_status is not None and record.response_body is not None, \
        "complete_key stores the response with the state done"
    return Replay(record.response_status, json.loads(record.response_body))


def complete_key(*, record_id: int, status: int, body: dict) -> None:
    with write_transaction() as session:
        record = get_existing(session, IdempotencyRecord, record_id)
        record.state = "done"
        record.response_status = status
        record.response_body = json.dumps(body)


def release_key(*, record_id: int) -> None:
    with write_transaction() as session:
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


def purge_idempotency_records(*, older_than: datetime) -> int:
    """Delete records created before ``older_than``; returns how many went."""
    with write_transaction() as session:
        purged = rows_matched(session, delete(IdempotencyRecord)
                              .where(IdempotencyRecord.created_at < older_than))
    return purged
