"""The figures on the admin dashboard, each one query scoped to the store.

Days and weeks are UTC days and ISO weeks (Monday first). Revenue is gross: the totals of the
orders paid that day, before refunds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ...domain.states import (
    ORDER_TO_SHIP,
    PAYMENT_HELD,
    AttemptStatus,
    OrderStatus,
    PaymentStatus,
)
from ...extensions import db
from ...models import InventoryHold, Order, PaymentAttempt
from ..inventory.holds import counting
from ..payments.queries import count_stuck
from ..webhooks.listing import count_failed

CHART_DAYS = 14


class utc_day(FunctionElement):  # noqa: N801 (reads like the SQL function it is)
    """``YYYY-MM-DD`` of a UTC timestamp column, on SQLite (naive UTC) and PostgreSQL."""

    type = String()
    inherit_cache = True


@compiles(utc_day)
def _utc_day_default(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(utc_day, "postgresql")
def _utc_day_pg(element, compiler, **kw):
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@dataclass(frozen=True)
class Dashboard:
    currency: str
    today_orders: int
    today_revenue: int
    week_orders: int
    week_revenue: int
    success_rate: float | None  # % of finished payment tries that succeeded, 7 days
    # The same per provider (payment_attempts.provider), those with attempts in the 7 days.
    success_by_provider: list[tuple[str, float | None]]
    abandonment: float | None  # % of orders of the last 7 days never paid
    active_holds: int
    failed_webhooks: int
    stuck_payments: int
    disputed: int
    out_of_stock: int
    refunds_owed: int
    revenue_by_day: list[tuple[date, int]]


def build_dashboard(*, store_id: int, currency: str, now: datetime,
                    include_unassigned_events: bool) -> Dashboard:
    today = datetime.combine(now.date(), time(), UTC)
    week = today - timedelta(days=today.weekday())
    counts = _order_counts(store_id, today, week)
    outcomes = outcomes_by_provider(store_id, since=now - timedelta(days=7))
    return Dashboard(
        currency=currency, **counts,
        success_rate=_percent(*_total(outcomes.values())),
        success_by_provider=[(provider, _percent(*pair))
                             for provider, pair in sorted(outcomes.items())],
        abandonment=_abandonment(store_id, now),
        active_holds=_active_holds(store_id, now),
        failed_webhooks=count_failed(store_id=store_id,
                                     include_unassigned=include_unassigned_events),
        stuck_payments=count_stuck(store_id=store_id, now=now),
        **_attention(store_id),
        revenue_by_day=_revenue_by_day(store_id, today),
    )


def _sum_if(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _order_counts(store_id: int, today: datetime, week: datetime) -> dict[str, int]:
    row = db.session.execute(select(
        _sum_if(Order.created_at >= today, 1), _sum_if(Order.created_at >= week, 1),
        _sum_if(Order.paid_at >= today, Order.total), _sum_if(Order.paid_at >= week, Order.total),
    ).where(Order.store_id == store_id, (Order.created_at >= week) | (Order.paid_at >= week))
    ).one()
    return {"today_orders": int(row[0]), "week_orders": int(row[1]),
            "today_revenue": int(row[2]), "week_revenue": int(row[3])}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def payment_outcomes(store_id: int, *, since: datetime) -> tuple[int, int]:
    """(payments that succeeded, finished tries) among the attempts made since ``since``,
    whatever their provider."""
    return _total(outcomes_by_provider(store_id, since=since).values())


def _total(pairs: Iterable[tuple[int, int]]) -> tuple[int, int]:
    listed = list(pairs)
    return sum(p[0] for p in listed), sum(p[1] for p in listed)


def outcomes_by_provider(store_id: int, *, since: datetime) -> dict[str, tuple[int, int]]:
    """Provider → (payments that succeeded, finished tries) among its attempts made since
    ``since``; one grouped query.

    One PaymentIntent takes every card an order tries, so an attempt's status alone hides
    its declines: "captured" after two declines was counted a 100 % success. Each counted
    failure (a decline, a failed 3-D Secure, Stripe refusing to create the intent) is a
    finished try (``attempt_count``), and so is an attempt closed without any (abandoned:
    the shopper left, the hold ran out). An attempt still in progress is not finished yet.
    """
    authorized_once = PaymentAttempt.capture_before.is_not(None)
    good = PaymentAttempt.status.in_([AttemptStatus.CAPTURED, AttemptStatus.AUTHORIZED]) | (
        # An authorization voided later was still a payment that went through.
        (PaymentAttempt.status == AttemptStatus.CANCELED) & authorized_once)
    abandoned = (PaymentAttempt.status.in_([AttemptStatus.FAILED, AttemptStatus.CANCELED])
                 & ~authorized_once & (PaymentAttempt.attempt_count == 0))
    rows = db.session.execute(select(
        PaymentAttempt.provider, _sum_if(good, 1),
        func.coalesce(func.sum(PaymentAttempt.attempt_count), 0), _sum_if(abandoned, 1),
    ).where(PaymentAttempt.store_id == store_id, PaymentAttempt.created_at >= since)
        .group_by(PaymentAttempt.provider)).all()
    return {provider: (int(good_), int(good_) + int(failed) + int(left))
            for provider, good_, failed, left in rows}


def _abandonment(store_id: int, now: datetime) -> float | None:
    # Orders younger than an hour may still be paid: they do not count yet.
    row = db.session.execute(select(_sum_if(Order.paid_at.is_(None), 1), func.count(Order.id))
                             .where(Order.store_id == store_id,
                                    Order.created_at >= now - timedelta(days=7),
                                    Order.created_at < now - timedelta(hours=1))).one()
    return _percent(int(row[0]), int(row[1]))


def _active_holds(store_id: int, now: datetime) -> int:
    return db.session.scalar(
        select(func.count(InventoryHold.id)).join(Order, Order.id == InventoryHold.order_id)
        .where(Order.store_id == store_id, counting(now))) or 0


def _count_orders(store_id: int, *conditions) -> int:
    return db.session.scalar(select(func.count(Order.id)).where(
        Order.store_id == store_id, *conditions)) or 0


def _attention(store_id: int) -> dict[str, int]:
    # Three small counts, each along one of the (store, status…) indexes.
    return {
        "disputed": _count_orders(store_id, Order.payment_status == PaymentStatus.DISPUTED),
        "out_of_stock": _count_orders(
            store_id, Order.status.in_(ORDER_TO_SHIP),
            Order.attention.is_not(None)),
        # A canceled order whose money we still hold owes a refund.
        "refunds_owed": _count_orders(store_id, Order.status == OrderStatus.CANCELED,
                                      Order.payment_status.in_(PAYMENT_HELD)),
    }


def _revenue_by_day(store_id: int, today: datetime) -> list[tuple[date, int]]:
    start = today - timedelta(days=CHART_DAYS - 1)
    day = utc_day(Order.paid_at)
    totals: dict[str, int] = dict(db.session.execute(
        select(day, func.sum(Order.total))
        .where(Order.store_id == store_id, Order.paid_at >= start).group_by(day)).all())
    days = [(start + timedelta(days=i)).date() for i in range(CHART_DAYS)]
    return [(d, int(totals.get(d.isoformat(), 0))) for d in days]
