"""Stripe events as staff see them: a store sees the events about its own PaymentIntents.
Events that match no store (unknown intents, other event types) belong to no store: only
platform admins see them (``include_unassigned``), never a store's owners as such."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, tuple_

from ...extensions import db
from ...models import EventStatus, PaymentAttempt, StripeEvent

# Outcomes that mean "we could not apply this event": the dashboard counts these. Tied to
# the status the webhook code writes (``services.webhooks._record_failure``), not a copy.
FAILED_OUTCOMES = (EventStatus.FAILED.value,)


@dataclass(frozen=True)
class EventRow:
    event: StripeEvent
    order_id: int | None


@dataclass(frozen=True)
class EventPage:
    rows: list[EventRow]
    older: str | None


def _visible(store_id: int, include_unassigned: bool):
    attempt = PaymentAttempt.__table__.alias("attempt")
    joined = StripeEvent.__table__.outerjoin(
        attempt, attempt.c.provider_reference == StripeEvent.payment_intent_id)
    condition = attempt.c.store_id == store_id
    if include_unassigned:
        condition = or_(condition, attempt.c.id.is_(None))
    return joined, attempt, condition


def list_events(*, store_id: int, include_unassigned: bool, outcome: str = "",
                event_type: str = "", before: str | None = None,
                per_page: int = 50) -> EventPage:
    joined, attempt, condition = _visible(store_id, include_unassigned)
    stmt = select(StripeEvent, attempt.c.order_id).select_from(joined).where(condition)
    if outcome:
        stmt = stmt.where(StripeEvent.outcome == outcome)
    if event_type:
        stmt = stmt.where(StripeEvent.type == event_type)
    cursor = _decode(before)
    if cursor:
        bound = tuple_(bindparam("c_at", cursor[0], type_=StripeEvent.received_at.type),
                       bindparam("c_id", cursor[1], type_=StripeEvent.id.type))
        stmt = stmt.where(tuple_(StripeEvent.received_at, StripeEvent.id) < bound)
    rows = db.session.execute(stmt.order_by(StripeEvent.received_at.desc(),
                                            StripeEvent.id.desc()).limit(per_page + 1)).all()
    page = [EventRow(event, order_id) for event, order_id in rows[:per_page]]
    older = None
    if len(rows) > per_page:
        last = page[-1].event
        older = f"{last.received_at.isoformat()}~{last.id}"
    return EventPage(page, older)


def _decode(cursor: str | None):
    if not cursor or "~" not in cursor:
        return None
    raw, _, event_id = cursor.partition("~")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return (when, event_id) if when.tzinfo else None


def event_choices() -> tuple[list[str], list[str]]:
    """The outcomes and event types seen so far, for the filter menus."""
    outcomes = sorted({*db.session.scalars(select(StripeEvent.outcome).distinct()),
                       *FAILED_OUTCOMES})
    types = sorted(db.session.scalars(select(StripeEvent.type).distinct()))
    return outcomes, types


def count_failed(*, store_id: int, include_unassigned: bool,
                 since: datetime | None = None) -> int:
    """Events still failed (received after ``since``, if given): each waits for a retry or
    a replay, however old it is, and failed events are never purged."""
    joined, _, condition = _visible(store_id, include_unassigned)
    conditions = [condition, StripeEvent.outcome.in_(FAILED_OUTCOMES)]
    if since is not None:
        conditions.append(StripeEvent.received_at >= since)
    return db.session.scalar(
        select(func.count()).select_from(joined).where(and_(*conditions))) or 0


def visible_event(*, store_id: int, include_unassigned: bool,
                  event_id: str) -> EventRow | None:
    """One event as ``list_events`` would show it to this store, or None."""
    joined, attempt, condition = _visible(store_id, include_unassigned)
    row = db.session.execute(select(StripeEvent, attempt.c.order_id).select_from(joined)
                             .where(condition, StripeEvent.id == event_id)).first()
    return EventRow(*row) if row else None
