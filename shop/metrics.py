"""Prometheus metrics. Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory,
before the app is imported) and run with ``-c python:shop.gunicorn_conf`` so that every
worker's samples are summed at scrape time.

Counters are process metrics; the gauges that describe stored state (attempts by state,
holds) are read from the database when ``/metrics`` is scraped, so they are right however
many processes run and even if no job has run.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import case, event, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

STATE_CHANGES = Counter(
    "shop_state_changes_total",
    "Committed state changes of orders and payments (one per audit row)",
    ["entity", "action", "to_state"])
WEBHOOK_EVENTS = Counter(
    "shop_webhook_events_total", "Stripe webhook deliveries by event type and outcome",
    ["type", "outcome"])
WEBHOOK_SECONDS = Histogram(
    "shop_webhook_processing_seconds", "Time to verify and apply a Stripe webhook", ["type"])
REQUEST_SECONDS = Histogram(
    "shop_request_duration_seconds", "Time to answer a request, by endpoint",
    ["endpoint", "method"])
CHECKOUT_SECONDS = Histogram(
    "shop_checkout_duration_seconds", "Time to answer POST /checkout, by outcome",
    ["outcome"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30))
PAYMENT_TRIES = Counter(
    "shop_payment_tries_total",
    "Finished tries to pay: succeeded, declined (3-D Secure failures too), failed, abandoned",
    ["outcome"])
AUTHORIZATION_SECONDS = Histogram(
    "shop_authorization_latency_seconds",
    "Time from a payment attempt's creation (checkout) to its authorization",
    buckets=(1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600))
JOB_FAILURES = Counter("shop_job_failures_total",
                       "Background jobs that raised or could not be handed to Redis", ["job"])

_CHECKOUT_OUTCOMES = {200: "repriced", 303: "placed", 302: "placed", 400: "invalid",
                      409: "sold_out", 422: "refused", 429: "rate_limited"}


@contextmanager
def webhook_timer(event_type: str) -> Iterator[dict]:
    """Time a webhook; the caller sets ``outcome``; an exception counts as ``error``."""
    started, result = time.perf_counter(), {"outcome": "error"}
    try:
        yield result
    finally:
        WEBHOOK_EVENTS.labels(event_type, result["outcome"]).inc()
        WEBHOOK_SECONDS.labels(event_type).observe(time.perf_counter() - started)


def webhook_rejected() -> None:
    WEBHOOK_EVENTS.labels("unverified", "invalid_signature").inc()


def count_job_failure(job_name: str) -> None:
    JOB_FAILURES.labels(job_name).inc()


class DatabaseCollector:
    """Gauges of stored state, queried at scrape time (each a cheap indexed count)."""

    def __init__(self, session_factory: Callable[[], Session]):
        self.session = session_factory

    def collect(self):
        from .models import InventoryHold, OutboxMessage, PaymentAttempt
        from .models.types import utcnow
        from .services.inventory.holds import counting, lapsed

        session = self.session()
        yield from _alert_inputs(session)
        attempts = GaugeMetricFamily("shop_payment_attempts", "Payment attempts by state",
                                     labels=["state"])
        query = select(PaymentAttempt.status, func.count()).group_by(PaymentAttempt.status)
        for state, count in session.execute(query):
            attempts.add_metric([state], count)
        yield attempts
        holds = GaugeMetricFamily(
            "shop_inventory_holds",
            "Active holds: 'active' still count against stock, 'expired' await release",
            labels=["state"])
        now = utcnow()
        base = select(func.count()).select_from(InventoryHold)
        holds.add_metric(["active"], session.execute(base.where(counting(now))).scalar_one())
        holds.add_metric(["expired"], session.execute(base.where(lapsed(now))).scalar_one())
        yield holds
        yield GaugeMetricFamily(
            "shop_outbox_backlog", "Outbox rows not yet handed to Redis (or run in-process)",
            value=session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.dispatched_at.is_(None))))


def _alert_inputs(session: Session):
    """What docs/prometheus-alerts.yml needs beyond the counters, measured as the in-app
    threshold alerts measure it (services/platform): stored state, right in every process."""
    from flask import current_app

    from .domain.states import AttemptStatus
    from .models import InventoryHold, Order, PaymentAttempt, PaymentDispute, ReconciliationRun
    from .models.inventory import HoldStatus
    from .models.types import utcnow

    now = utcnow()
    stuck = now - timedelta(minutes=current_app.config["RECONCILE_STUCK_MINUTES"])
    yield GaugeMetricFamily(
        "shop_payment_attempts_authorizing_too_long",
        "Attempts authorizing for longer than RECONCILE_STUCK_MINUTES",
        value=session.scalar(select(func.count()).select_from(PaymentAttempt).where(
            PaymentAttempt.status == AttemptStatus.AUTHORIZING,
            PaymentAttempt.updated_at < stuck)))
    lapsed_unpaid = ((InventoryHold.status != HoldStatus.CONVERTED)
                     & (InventoryHold.expires_at <= now) & Order.paid_at.is_(None))
    placed, lapsed_count = session.execute(
        select(func.count(InventoryHold.id),
               func.coalesce(func.sum(case((lapsed_unpaid, 1), else_=0)), 0))
        .join(Order, Order.id == InventoryHold.order_id)
        .where(InventoryHold.created_at >= now - timedelta(days=1))).one()
    holds = GaugeMetricFamily(
        "shop_inventory_holds_last_day",
        "Holds placed in the last 24 hours: all of them, and those that lapsed unpaid",
        labels=["outcome"])
    holds.add_metric(["placed"], placed)
    holds.add_metric(["lapsed_unpaid"], int(lapsed_count))
    yield holds
    yield CounterMetricFamily(
        "shop_payment_disputes", "Stripe disputes recorded (one row per dispute, never deleted)",
        value=session.scalar(select(func.count()).select_from(PaymentDispute)))
    latest = (select(func.max(ReconciliationRun.id))
              .where(ReconciliationRun.finished_at.is_not(None))
              .group_by(ReconciliationRun.store_id).scalar_subquery())
    ratio = GaugeMetricFamily(
        "shop_reconciliation_discrepancy_ratio",
        "Share of the payments the store's last reconciliation examined whose record "
        "disagreed with Stripe and was put right", labels=["store_id"])
    # Flagged payments are not counted: Stripe could not tell us more than we knew either.
    for store_id, examined, fixed in session.execute(
            select(ReconciliationRun.store_id, ReconciliationRun.examined,
                   ReconciliationRun.fixed)
            .where(ReconciliationRun.id.in_(latest), ReconciliationRun.store_id.is_not(None))):
        ratio.add_metric([str(store_id)], fixed / examined if examined else 0.0)
    yield ratio


def exposition() -> tuple[bytes, str]:
    from .extensions import db

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process = CollectorRegistry()
        multiprocess.MultiProcessCollector(process)
    else:
        process = REGISTRY
    stored = CollectorRegistry(auto_describe=False)
    stored.register(DatabaseCollector(db.session))
    return generate_latest(process) + generate_latest(stored), CONTENT_TYPE_LATEST


def _track_audit_rows(session: Session, _flush_context) -> None:
    from .models import AuditEvent

    # Audit rows (entity, action, to-state) of the transaction: counted as state changes
    # when it commits, forgotten if it rolls back.
    rows = [(o.entity_type, o.action, o.to_state or "", o.from_state or "")
            for o in session.new if isinstance(o, AuditEvent)]
    if rows:
        session.info.setdefault("shop.audit_rows", []).extend(rows)
        latencies = _authorization_latencies(session)
        if latencies:
            session.info.setdefault("shop.auth_latency", []).extend(latencies)


def try_outcome(from_state: str, to_state: str) -> str | None:
    """How an attempt's move ends a try, if it does: what the success-rate alert counts.
    An unpaid intent we cancel (expiry, a new checkout) was abandoned; a void of an
    authorization ends no try (that one succeeded). Declines move no attempt state (the
    intent takes another card): settling reports them with ``count_decline``."""
    if to_state == "authorized":
        return "succeeded"
    if to_state == "failed":
        return "failed"
    if to_state == "canceled" and from_state in ("initiated", "authorizing"):
        return "abandoned"
    return None


def count_decline(session: Session) -> None:
    """A decline or failed 3-D Secure learnt in this transaction: counted if it commits."""
    session.info["shop.declines"] = session.info.get("shop.declines", 0) + 1


def _authorization_latencies(session: Session) -> list[float]:
    from .domain.states import AttemptStatus
    from .models import AuditEvent, PaymentAttempt
    from .models.types import utcnow

    # The attempt was just moved in this session, so it is in the identity map (no query).
    now, seconds = utcnow(), []
    for row in session.new:
        if (isinstance(row, AuditEvent) and row.entity_type == "payment_attempt"
                and row.to_state == AttemptStatus.AUTHORIZED):
            attempt = session.identity_map.get(identity_key(PaymentAttempt, row.entity_id))
            if attempt is not None and attempt.created_at is not None:
                seconds.append(max(0.0, (now - attempt.created_at).total_seconds()))
    return seconds


def _count_committed(session: Session) -> None:
    for entity, action, to_state, from_state in session.info.pop("shop.audit_rows", []):
        STATE_CHANGES.labels(entity, action, to_state).inc()
        if entity == "payment_attempt":
            outcome = try_outcome(from_state, to_state)
            if outcome:
                PAYMENT_TRIES.labels(outcome).inc()
    for seconds in session.info.pop("shop.auth_latency", []):
        AUTHORIZATION_SECONDS.observe(seconds)
    declines = session.info.pop("shop.declines", 0)
    if declines:
        PAYMENT_TRIES.labels("declined").inc(declines)


def _forget(session: Session, *_args) -> None:
    session.info.pop("shop.audit_rows", None)
    session.info.pop("shop.auth_latency", None)
    session.info.pop("shop.declines", None)


def init_metrics(app: Flask) -> None:
    if not event.contains(Session, "after_flush", _track_audit_rows):
        event.listen(Session, "after_flush", _track_audit_rows)
        event.listen(Session, "after_commit", _count_committed)
        event.listen(Session, "after_rollback", _forget)

    @app.after_request
    def observe_latency(response):
        started = g.get("request_started")
        if started is not None:
            elapsed = time.perf_counter() - started
            endpoint = request.endpoint or "unmatched"
            REQUEST_SECONDS.labels(endpoint, request.method).observe(elapsed)
            if endpoint == "checkout.submit":
                outcome = _CHECKOUT_OUTCOMES.get(response.status_code,
                                                 f"http_{response.status_code}")
                CHECKOUT_SECONDS.labels(outcome).observe(elapsed)
        return response
