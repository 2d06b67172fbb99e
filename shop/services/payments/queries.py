"""Reading payments for staff and the API, always within the caller's stores: the API's
list and detail, and the admin's attempts table (status and provider filters, search,
newest first)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import selectinload

from ...domain.ledger import NotFound
from ...domain.numbers import id_or_none
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import AuditEvent, Order, PaymentAttempt, ReconciliationRun
from ..accounts.users import normalize_email
from ..platform.alerts import EXPIRY_WARNING
from .settle import PAYMENT_DECLINED


@dataclass(frozen=True)
class PaymentFilters:
    order_id: int | None = None
    status: AttemptStatus | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    search: str | None = None
    expiring_before: datetime | None = None


@dataclass(frozen=True)
class Page:
    items: list[PaymentAttempt]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(query, store_ids: Collection[int], filters: PaymentFilters):
    query = query.where(PaymentAttempt.store_id.in_(list(store_ids)))
    if filters.order_id is not None:
        query = query.where(PaymentAttempt.order_id == filters.order_id)
    if filters.status is not None:
        query = query.where(PaymentAttempt.status == filters.status)
    if filters.created_from is not None:
        query = query.where(PaymentAttempt.created_at >= filters.created_from)
    if filters.created_to is not None:
        query = query.where(PaymentAttempt.created_at < filters.created_to)
    if filters.expiring_before is not None:
        query = query.where(PaymentAttempt.status == AttemptStatus.AUTHORIZED,
                            PaymentAttempt.capture_before <= filters.expiring_before)
    if filters.search:
        term = filters.search.strip().lower()
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        query = query.join(Order, Order.id == PaymentAttempt.order_id).where(or_(
            func.lower(PaymentAttempt.provider_reference).like(like, escape="\\"),
            func.lower(Order.email).like(like, escape="\\"),
            cast(Order.id, String) == term.lstrip("0"),
        ))
    return query


def list_payments(*, store_ids: Collection[int], filters: PaymentFilters, page: int = 1,
                  per_page: int = 20) -> Page:
    """One page of attempts, newest first, with their transactions; ``total`` counts all."""
    total = db.session.scalar(_filtered(select(func.count(PaymentAttempt.id)), store_ids,
                                        filters))
    query = (_filtered(select(PaymentAttempt), store_ids, filters)
             .options(selectinload(PaymentAttempt.transactions))
             .order_by(PaymentAttempt.created_at.desc(), PaymentAttempt.id.desc())
             .limit(per_page).offset((page - 1) * per_page))
    return Page(list(db.session.scalars(query)), total, page, per_page)


# Ids are 32-bit integers in the schema; PostgreSQL refuses to compare with a larger one.
MAX_ID = 2**31 - 1


def get_payment(*, attempt_id: int, store_ids: Collection[int]) -> PaymentAttempt:
    if not 0 < attempt_id <= MAX_ID:
        raise NotFound("No such payment.")
    attempt = db.session.get(PaymentAttempt, attempt_id)
    if attempt is None or attempt.store_id not in store_ids:
        raise NotFound("No such payment.")
    return attempt


def expiring_cutoff(now: datetime) -> datetime:
    return now + EXPIRY_WARNING


def stuck_attempts(*, store_ids: Collection[int] | None, now: datetime,
                   stuck_for: timedelta) -> list[PaymentAttempt]:
    """Attempts AUTHORIZING for longer than ``stuck_for`` (no news from Stripe since)."""
    query = (select(PaymentAttempt)
             .where(PaymentAttempt.status == AttemptStatus.AUTHORIZING,
                    PaymentAttempt.updated_at < now - stuck_for)
             .order_by(PaymentAttempt.id))
    if store_ids is not None:
        query = query.where(PaymentAttempt.store_id.in_(list(store_ids)))
    return list(db.session.scalars(query))


def last_reconciliation_run(*, store_ids: Collection[int]) -> ReconciliationRun | None:
    """The newest run of one of ``store_ids``: never another store's (its trigger names
    that store's staff)."""
    return db.session.scalar(select(ReconciliationRun)
                             .where(ReconciliationRun.store_id.in_(list(store_ids)))
                             .order_by(ReconciliationRun.id.desc()).limit(1))


def minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


def order_store(*, order_id: int, store_ids: Collection[int]) -> int:
    """The order's store if the caller may see it, else ``NotFound``."""
    store_id = db.session.scalar(select(Order.store_id).where(Order.id == order_id))
    if store_id is None or store_id not in store_ids:
        raise NotFound("No such order.")
    return store_id


def attempt_store(*, attempt_id: int, store_ids: Collection[int]) -> int:
    return get_payment(attempt_id=attempt_id, store_ids=store_ids).store_id


# --- the payment attempts table for staff: status filter, search, newest first ---------

# An attempt left authorizing this long (3-D Secure abandoned, a webhook lost) needs a look.
STUCK_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class AttemptRow:
    attempt: PaymentAttempt
    email: str
    stuck: bool
    method: str = "stripe"  # the order's payment method (orders.payment_method)


@dataclass(frozen=True)
class AttemptPage:
    rows: list[AttemptRow]
    older: int | None  # id cursor


def stuck_condition(now: datetime):
    return (PaymentAttempt.status == AttemptStatus.AUTHORIZING) & (
        PaymentAttempt.updated_at < now - STUCK_AFTER)


def list_attempts(*, store_id: int, now: datetime, status: str = "", search: str = "",
                  stuck_only: bool = False, before_id: int | None = None,
                  per_page: int = 50, provider: str = "") -> AttemptPage:
    stmt = (select(PaymentAttempt, Order.email, Order.payment_method)
            .join(Order, Order.id == PaymentAttempt.order_id)
            .where(PaymentAttempt.store_id == store_id))
    if status:
        stmt = stmt.where(PaymentAttempt.status == status)
    if provider:
        stmt = stmt.where(PaymentAttempt.provider == provider)
    if stuck_only:
        stmt = stmt.where(stuck_condition(now))
    if search:
        text = search.strip()
        number = id_or_none(text)
        if number is not None:
            stmt = stmt.where(PaymentAttempt.order_id == number)
        elif text.startswith("pi_"):
            stmt = stmt.where(PaymentAttempt.provider_reference == text)
        else:
            stmt = stmt.where(Order.email == normalize_email(text))
    if before_id:
        stmt = stmt.where(PaymentAttempt.id < before_id)
    rows = db.session.execute(stmt.order_by(PaymentAttempt.id.desc()).limit(per_page + 1)).all()
    page = [AttemptRow(a, email, a.status == AttemptStatus.AUTHORIZING
                       and a.updated_at < now - STUCK_AFTER, method)
            for a, email, method in rows[:per_page]]
    older = page[-1].attempt.id if len(rows) > per_page else None
    return AttemptPage(page, older)


def count_stuck(*, store_id: int, now: datetime) -> int:
    return db.session.scalar(select(func.count(PaymentAttempt.id)).where(
        PaymentAttempt.store_id == store_id, stuck_condition(now))) or 0


@dataclass(frozen=True)
class HistoryStep:
    """One thing that happened to an attempt, for the admin's history table."""

    at: datetime
    what: str  # a status it moved to, "declined", or "not created"
    detail: str | None
    actor: str


def history_steps(events: Iterable[AuditEvent], attempt_id: int) -> list[HistoryStep]:
    """The attempt's history from its audit rows (already loaded, in time order): every
    decline and move in turn, so "captured" never sits beside an old decline as if current."""
    steps = []
    for event in events:
        if event.entity_type != "payment_attempt" or event.entity_id != attempt_id:
            continue
        if event.action == PAYMENT_DECLINED:
            steps.append(HistoryStep(event.created_at, "declined", event.reason, event.actor))
        elif event.action == "payment_not_created":
            steps.append(HistoryStep(event.created_at, "not created", event.reason,
                                     event.actor))
        elif event.to_state:
            steps.append(HistoryStep(event.created_at, event.to_state, event.reason,
                                     event.actor))
    return steps


def attempt_history(attempt_id: int) -> list[HistoryStep]:
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.entity_type == "payment_attempt", AuditEvent.entity_id == attempt_id)
        .order_by(AuditEvent.created_at, AuditEvent.id))
    return history_steps(events, attempt_id)
