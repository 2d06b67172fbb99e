"""The payment attempts table for staff: status filter, search, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from ...domain.numbers import id_or_none
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import Order, PaymentAttempt
from ..accounts.users import normalize_email

# An attempt left authorizing this long (3-D Secure abandoned, a webhook lost) needs a look.
STUCK_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class AttemptRow:
    attempt: PaymentAttempt
    email: str
    stuck: bool


@dataclass(frozen=True)
class AttemptPage:
    rows: list[AttemptRow]
    older: int | None  # id cursor


def stuck_condition(now: datetime):
    return (PaymentAttempt.status == AttemptStatus.AUTHORIZING) & (
        PaymentAttempt.updated_at < now - STUCK_AFTER)


def list_attempts(*, store_id: int, now: datetime, status: str = "", search: str = "",
                  stuck_only: bool = False, before_id: int | None = None,
                  per_page: int = 50) -> AttemptPage:
    stmt = (select(PaymentAttempt, Order.email).join(Order, Order.id == PaymentAttempt.order_id)
            .where(PaymentAttempt.store_id == store_id))
    if status:
        stmt = stmt.where(PaymentAttempt.status == status)
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
                       and a.updated_at < now - STUCK_AFTER) for a, email in rows[:per_page]]
    older = page[-1].attempt.id if len(rows) > per_page else None
    return AttemptPage(page, older)


def count_stuck(*, store_id: int, now: datetime) -> int:
    return db.session.scalar(select(func.count(PaymentAttempt.id)).where(
        PaymentAttempt.store_id == store_id, stuck_condition(now))) or 0
