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
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

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
    rows = [(o.entity_type, o.action, o.to_state or "")
            for o in session.new if isinstance(o, AuditEvent)]
    if rows:
        session.info.setdefault("shop.audit_rows", []).extend(rows)


def _count_committed(session: Session) -> None:
    for entity, action, to_state in session.info.pop("shop.audit_rows", []):
        STATE_CHANGES.labels(entity, action, to_state).inc()


def _forget(session: Session, *_args) -> None:
    session.info.pop("shop.audit_rows", None)


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
