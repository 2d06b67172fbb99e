"""Stripe webhooks: dedup by event id, dispatch by type, keep failures for retry and replay.

Each handler fetches what it needs from Stripe first (an event is a hint, the object at
Stripe is the truth; no lock is held across that call), then applies it in the same
transaction that records the event. Processing that raises is recorded as ``failed`` with
its error and answered with a 500, so Stripe retries; staff can replay it too.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, NotFound
from ...extensions import db
from ...models import EventStatus, StripeEvent
from ...models.types import utcnow
from ...providers.stripe_gateway import gateway
from ..platform.tx import lock_rows, rows_matched, write_transaction
from .handlers import HANDLERS
from .versions import note_event_version

log = logging.getLogger(__name__)

DUPLICATE = "duplicate"


class EventNotFound(NotFound):
    code = "event_not_found"


class EventNotReplayable(DomainError):
    code = "event_not_replayable"


def verify_event(payload: bytes, signature: str | None) -> dict:
    """The event a delivery carries, if its signature is genuine and fresh; else
    ``InvalidWebhook`` (answered 400, nothing recorded)."""
    return gateway().verify_webhook(payload, signature)


def handle_event(event: dict, *, payload: str) -> str:
    """Stripe's delivery of a verified event: its status, or ``duplicate`` if already done.

    Errors propagate (after being recorded) so that the endpoint answers 500.
    """
    return _process(event, payload, actor=f"webhook:{event['id']}",
                    redo=frozenset({EventStatus.FAILED}))


def replay_event(*, event_id: str, actor: str) -> str:
    """Staff: process a failed (or unmatched) event again from its stored payload."""
    row = db.session.get(StripeEvent, event_id)
    if row is None or row.payload is None:
        raise EventNotFound(f"No stored Stripe event {event_id!r}.")
    if row.status not in (EventStatus.FAILED, EventStatus.UNMATCHED):
        raise EventNotReplayable(f"Event {event_id} was {row.status}; only failed or "
                                 "unmatched events can be replayed.")
    payload = row.payload
    return _process(json.loads(payload), payload, actor=f"{actor} (replay of {event_id})",
                    redo=frozenset({EventStatus.FAILED, EventStatus.UNMATCHED}))


def _process(event: dict, payload: str, *, actor: str, redo: frozenset[EventStatus]) -> str:
    """Apply the event and record it, once. Whether it is new is read under its row's lock
    in the transaction that applies it; a concurrent first delivery (no row to lock yet)
    that commits first makes this one's INSERT fail on the event id's unique key, which is
    answered as a duplicate (its effects, applied under the same row locks, roll back)."""
    event_id = event["id"]
    handler = HANDLERS.get(event["type"])
    try:
        fetched = handler.fetch(event) if handler else None
        with write_transaction() as session:
            row = session.scalar(lock_rows(select(StripeEvent)
                                           .where(StripeEvent.id == event_id)))
            if row is not None and row.status not in redo:
                return DUPLICATE
            status = handler.apply(session, event, fetched, actor) if handler else \
                EventStatus.IGNORED
            note_event_version(session, event, event_intent_id(event))
            row = row or _new_row(session, event, payload)
            _tried(row, status, error=None)
            session.flush()
    except IntegrityError as exc:
        if _status_of(event_id) not in (None, EventStatus.FAILED):
            return DUPLICATE  # a concurrent delivery of the same event committed first
        _record_failure(event, payload, exc)
        raise
    except Exception as exc:
        _record_failure(event, payload, exc)
        raise
    log.info("stripe event", extra={"event_id": event_id, "type": event["type"],
                                    "status": str(status)})
    return str(status)


def event_intent_id(event: dict) -> str | None:
    """The PaymentIntent an event is about (itself, or the one its object names), if any."""
    obj = event["data"]["object"]
    if obj.get("object") == "payment_intent":
        return obj.get("id")
    ref = obj.get("payment_intent")
    return ref if isinstance(ref, str) else None


def _new_row(session: Session, event: dict, payload: str) -> StripeEvent:
    row = StripeEvent(id=event["id"], type=event["type"], payment_intent_id=event_intent_id(event),
                      payload=payload, tries=0)
    session.add(row)
    return row


def _tried(row: StripeEvent, status: EventStatus, *, error: str | None) -> None:
    row.status = status
    row.error = error
    row.tries = (row.tries or 0) + 1
    row.last_tried_at = utcnow()


def _status_of(event_id: str) -> str | None:
    db.session.rollback()
    return db.session.scalar(select(StripeEvent.outcome).where(StripeEvent.id == event_id))


def _record_failure(event: dict, payload: str, exc: Exception) -> None:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with write_transaction() as session:
            row = session.scalar(lock_rows(select(StripeEvent)
                                           .where(StripeEvent.id == event["id"])))
            if row is not None and row.status != EventStatus.FAILED:
                return  # another delivery succeeded meanwhile
            _tried(row or _new_row(session, event, payload), EventStatus.FAILED, error=error)
    except Exception:
        log.exception("could not record a failed Stripe event", extra={"event_id": event["id"]})
    log.error("stripe event failed", extra={"event_id": event["id"], "type": event["type"],
                                            "error": error})


def purge_webhook_events(*, older_than: timedelta, now: datetime | None = None) -> int:
    """Forget settled events received before ``older_than`` ago; failed ones stay for staff."""
    cutoff = (now or utcnow()) - older_than
    with write_transaction() as session:
        purged = rows_matched(session, delete(StripeEvent).where(
            StripeEvent.received_at < cutoff, StripeEvent.outcome != EventStatus.FAILED))
    return purged
