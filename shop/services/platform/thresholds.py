"""Threshold alerts: measure each store, open what breaches, resolve what has been clear.

``evaluate_alerts`` is the periodic job's use case (every 5 minutes, ``jobs/periodic.py``).
Per store it measures over each rule's window (``domain/alert_rules.py`` decides): payment
success over the last hour, webhook processing failures over the last hour, holds placed in
the last day that lapsed unpaid, and attempts authorizing for longer than reconciliation's
threshold. A breach opens one alert per kind and store (``alerts.raise_alert``: e-mail and
webhook once per opening) or marks the open one as still seen; an open alert whose condition
has been clear for a whole window since it was last seen resolves itself, audited as
``system``. The thresholds are the config's unless the store's owners changed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, func, or_, select

from ...domain import alert_rules as rules
from ...domain.alert_rules import Finding, Ratio, Thresholds
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import (
    AlertSettings,
    InventoryHold,
    Order,
    PaymentAttempt,
    StaffAlert,
    Store,
    StripeEvent,
)
from ...models.inventory import HoldStatus
from ...models.types import utcnow
from .alert_notices import new_nonce, signing_secret
from .alerts import SYSTEM, close_alert, raise_alert
from .audit import record_change
from .dashboard import payment_outcomes
from .tx import lock_rows, write_transaction

THRESHOLD_FIELDS = ("success_rate_min", "min_sample", "webhook_failure_max", "hold_lapse_max")


def default_thresholds() -> Thresholds:
    config = current_app.config
    return Thresholds(success_rate_min=config["ALERT_SUCCESS_RATE_MIN"],
                      min_sample=config["ALERT_MIN_SAMPLE"],
                      webhook_failure_max=config["ALERT_WEBHOOK_FAILURE_MAX"],
                      hold_lapse_max=config["ALERT_HOLD_LAPSE_MAX"])


def store_thresholds(store_id: int) -> Thresholds:
    base = default_thresholds()
    row = db.session.get(AlertSettings, store_id)
    if row is None:
        return base
    return Thresholds(**{name: getattr(row, name) if getattr(row, name) is not None
                         else getattr(base, name) for name in THRESHOLD_FIELDS})


def stuck_after() -> timedelta:
    return timedelta(minutes=current_app.config["RECONCILE_STUCK_MINUTES"])


def measure(store_id: int, now: datetime) -> list[Finding]:
    """What each rule says of this store now (reads only)."""
    t = store_thresholds(store_id)
    succeeded, tries = payment_outcomes(store_id, since=now - rules.HOUR)
    return [rules.success_rate(Ratio(succeeded, tries), t),
            rules.webhook_failures(_webhook_failures(store_id, now - rules.HOUR), t),
            rules.hold_lapses(_hold_lapses(store_id, now), t),
            rules.stuck_authorizing(_stuck_attempts(store_id, now), stuck_after())]


def _webhook_failures(store_id: int, since: datetime) -> Ratio:
    # A processing failure counts even if a retry later applied the event (tries > 1).
    failed = or_(StripeEvent.outcome == "failed", StripeEvent.tries > 1)
    row = db.session.execute(
        select(func.count(StripeEvent.id),
               func.coalesce(func.sum(case((failed, 1), else_=0)), 0))
        .join(PaymentAttempt, PaymentAttempt.provider_reference == StripeEvent.payment_intent_id)
        .where(PaymentAttempt.store_id == store_id, StripeEvent.received_at >= since)).one()
    return Ratio(int(row[1]), int(row[0]))


def _hold_lapses(store_id: int, now: datetime) -> Ratio:
    """Holds placed in the last day, and those of them that ran out with the order unpaid."""
    lapsed = ((InventoryHold.status != HoldStatus.CONVERTED) & (InventoryHold.expires_at <= now)
              & Order.paid_at.is_(None))
    row = db.session.execute(
        select(func.count(InventoryHold.id),
               func.coalesce(func.sum(case((lapsed, 1), else_=0)), 0))
        .join(Order, Order.id == InventoryHold.order_id)
        .where(Order.store_id == store_id, InventoryHold.created_at >= now - rules.DAY)).one()
    return Ratio(int(row[1]), int(row[0]))


def _stuck_attempts(store_id: int, now: datetime) -> list[int]:
    return list(db.session.scalars(
        select(PaymentAttempt.id).where(PaymentAttempt.store_id == store_id,
                                        PaymentAttempt.status == AttemptStatus.AUTHORIZING,
                                        PaymentAttempt.updated_at < now - stuck_after())
        .order_by(PaymentAttempt.id).limit(50)))


@dataclass
class Evaluation:
    stores: int = 0
    opened: int = 0
    resolved: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"stores": self.stores, "opened": self.opened, "resolved": self.resolved}


def evaluate_alerts(*, now: datetime | None = None) -> Evaluation:
    """Every store once: one read of its figures, then one transaction for its alerts."""
    now = now or utcnow()
    result = Evaluation()
    for store_id in db.session.scalars(select(Store.id).order_by(Store.id)).all():
        findings = measure(store_id, now)
        db.session.rollback()  # the reads' transaction ends before the write begins
        with write_transaction() as session:
            # The store row locked: two evaluations at once open an alert once.
            session.execute(lock_rows(select(Store).where(Store.id == store_id)))
            for finding in findings:
                _apply(session, store_id, finding, now, result)
        result.stores += 1
    return result


def _apply(session, store_id: int, finding: Finding, now: datetime, result: Evaluation) -> None:
    alert = session.scalar(select(StaffAlert).where(
        StaffAlert.store_id == store_id, StaffAlert.kind == finding.kind,
        StaffAlert.order_id.is_(None), StaffAlert.attempt_id.is_(None),
        StaffAlert.resolved_at.is_(None)))
    if finding.breached:
        if alert is None:
            raise_alert(session, store_id=store_id, kind=finding.kind, message=finding.message,
                        figures=finding.figures, now=now)
            result.opened += 1
        else:
            alert.last_seen_at = now
        return
    if alert is not None and now - (alert.last_seen_at or alert.created_at) >= finding.window:
        close_alert(session, alert, actor=SYSTEM, now=now,
                    note=f"clear for {_words(finding.window)}: {_figures(finding.figures)}")
        result.resolved += 1


def _words(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    if minutes % 1440 == 0:
        return f"{minutes // 1440} day" + ("s" if minutes // 1440 != 1 else "")
    if minutes % 60 == 0:
        return f"{minutes // 60} hour" + ("s" if minutes // 60 != 1 else "")
    return f"{minutes} minutes"


def _figures(figures: dict) -> str:
    return ", ".join(f"{name} {value}" for name, value in sorted(figures.items())
                     if name not in ("attempt_ids", "window"))


@dataclass(frozen=True)
class AlertSettingsView:
    thresholds: Thresholds
    webhook_url: str | None  # the store's own
    default_webhook_url: str | None  # ALERT_WEBHOOK_URL
    has_secret: bool


def alert_settings(store_id: int) -> AlertSettingsView:
    row = db.session.get(AlertSettings, store_id)
    return AlertSettingsView(store_thresholds(store_id), row.webhook_url if row else None,
                             current_app.config.get("ALERT_WEBHOOK_URL"),
                             bool(row and row.webhook_secret_nonce))


def update_alert_settings(*, store_id: int, thresholds: Thresholds, webhook_url: str | None,
                          new_secret: bool, actor: str) -> tuple[list[str], str | None]:
    """Save the owner's thresholds and webhook; returns the changes in words and, when a new
    signing secret was made (asked for, or the first webhook URL), that secret: shown once."""
    base = default_thresholds()
    with write_transaction() as session:
        before = alert_settings(store_id)
        row = session.get(AlertSettings, store_id) or AlertSettings(store_id=store_id)
        session.add(row)
        changes = [f"alert {name.replace('_', ' ')}: {getattr(before.thresholds, name)} → "
                   f"{getattr(thresholds, name)}" for name in THRESHOLD_FIELDS
                   if getattr(before.thresholds, name) != getattr(thresholds, name)]
        for name in THRESHOLD_FIELDS:
            value = getattr(thresholds, name)
            setattr(row, name, None if value == getattr(base, name) else value)
        if (webhook_url or None) != before.webhook_url:
            changes.append(f"alert webhook: {before.webhook_url or 'none'} → "
                           f"{webhook_url or 'none'}")
            row.webhook_url = webhook_url or None
        secret = None
        wants_webhook = bool(row.webhook_url or before.default_webhook_url)
        if new_secret or (wants_webhook and not row.webhook_secret_nonce):
            row.webhook_secret_nonce = new_nonce()
            secret = signing_secret(store_id, row.webhook_secret_nonce)
            changes.append("alert webhook signing secret: new")  # never the secret itself
        if changes:
            record_change(session, store_id=store_id, entity_type="store", entity_id=store_id,
                          action="alert_settings_changed", from_state=None, to_state=None,
                          actor=actor, reason="; ".join(changes)[:2000])
    return changes, secret
