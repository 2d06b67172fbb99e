"""Staff alerts: things a person must look at, one open alert per kind and object.

Every alert opens through ``raise_alert``, whoever raises it (a dispute, a failed refund,
Stripe refusing requests, a threshold of ``thresholds.py``), so every alert behaves the same:
opened once, e-mailed to the store's owners once per opening and POSTed to the store's
alert webhook if it has one (``alert_notices.py``, both through the outbox), listed on
/admin/alerts, and resolved with a note and an audit row (or by itself, for a threshold).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import Conflict, NotFound
from ...domain.money import format_money
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import AlertSettings, PaymentAttempt, StaffAlert
from ...models.types import utcnow
from ..notifications.outbox import emit
from .alert_notices import webhook_url
from .audit import record_change
from .tx import write_transaction

log = logging.getLogger(__name__)

AUTHORIZATION_EXPIRING = "authorization_expiring"
RECONCILIATION_UNRESOLVED = "reconciliation_unresolved"
STRIPE_REFUSED = "stripe_refused"  # Stripe refused a request outright: no shopper can pay
API_VERSION_MISMATCH = "api_version_mismatch"  # events arrive at another API version
# A PaymentIntent could not be created in MAX_TRIES tries: reconciliation stops retrying it.
PAYMENT_CREATION_FAILED = "payment_creation_failed"
# Stripe reported an amount or currency other than the one we asked for: nothing was applied.
AMOUNT_MISMATCH = "amount_mismatch"
EXPIRY_WARNING = timedelta(hours=24)
SYSTEM = "system"  # resolved_by of an alert that resolved itself
NOTE_MAX = 2000


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertAlreadyResolved(Conflict):
    code = "alert_already_resolved"


def raise_alert(session: Session, *, store_id: int, kind: str, message: str,
                order_id: int | None = None, attempt_id: int | None = None,
                figures: dict | None = None, now: datetime | None = None) -> StaffAlert:
    """Open an alert in the caller's transaction, or return the open one already there.

    A new alert asks (through the outbox, so only if the transaction commits) for the owners'
    e-mail and, when the store has an alert webhook, for its signed POST.
    """
    existing = session.scalar(select(StaffAlert).where(
        StaffAlert.store_id == store_id, StaffAlert.kind == kind,
        StaffAlert.order_id.is_(None) if order_id is None else StaffAlert.order_id == order_id,
        StaffAlert.attempt_id.is_(None) if attempt_id is None
        else StaffAlert.attempt_id == attempt_id,
        StaffAlert.resolved_at.is_(None)))
    if existing is not None:
        return existing
    alert = StaffAlert(store_id=store_id, kind=kind, message=message, order_id=order_id,
                       attempt_id=attempt_id, figures=figures, created_at=now or utcnow(),
                       last_seen_at=now or utcnow())
    session.add(alert)
    session.flush()
    emit(session, "send_alert_email", alert_id=alert.id)
    _emit_webhook(session, alert, "alert.opened")
    log.warning("staff alert", extra={"kind": kind, "store_id": store_id,
                                      "order_id": order_id, "attempt_id": attempt_id})
    return alert


def _emit_webhook(session: Session, alert: StaffAlert, event: str) -> None:
    settings = session.get(AlertSettings, alert.store_id)
    if settings is not None and settings.webhook_secret_nonce and webhook_url(settings):
        emit(session, "post_alert_webhook", alert_id=alert.id, event=event)


def close_alert(session: Session, alert: StaffAlert, *, actor: str, note: str,
                now: datetime | None = None) -> None:
    """Resolve ``alert`` in the caller's transaction: audited, and told to the webhook."""
    alert.resolved_at = now or utcnow()
    alert.resolved_by = actor
    alert.resolved_note = note
    record_change(session, store_id=alert.store_id, entity_type="staff_alert",
                  entity_id=alert.id, action="alert_resolved", from_state="open",
                  to_state="resolved", actor=actor, reason=f"{alert.kind}: {note}"[:NOTE_MAX])
    _emit_webhook(session, alert, "alert.resolved")


def resolve_alert(*, alert_id: int, actor: str = "cli", note: str = "resolved from the CLI",
                  store_id: int | None = None) -> StaffAlert:
    """Staff mark an alert dealt with. ``store_id``: the caller's store (another store's
    alert is not found); an alert resolved already is refused."""
    with write_transaction() as session:
        alert = session.get(StaffAlert, alert_id, with_for_update=True)
        if alert is None or (store_id is not None and alert.store_id != store_id):
            raise AlertNotFound("We could not find that alert in this store.")
        if alert.resolved_at is not None:
            raise AlertAlreadyResolved("This alert was resolved already.")
        close_alert(session, alert, actor=actor, note=note)
    return alert


def alert_in_store(*, store_id: int, alert_id: int) -> StaffAlert:
    alert = db.session.get(StaffAlert, alert_id)
    if alert is None or alert.store_id != store_id:
        raise AlertNotFound("We could not find that alert in this store.")
    return alert


def open_alerts(*, store_ids: Collection[int]) -> list[StaffAlert]:
    return list(db.session.scalars(select(StaffAlert).where(
        StaffAlert.store_id.in_(list(store_ids)), StaffAlert.resolved_at.is_(None))
        .order_by(StaffAlert.id)))


def count_open(*, store_id: int) -> int:
    """The admin navigation's badge: one COUNT along ``ix_staff_alerts_store_open``."""
    return db.session.scalar(select(func.count(StaffAlert.id)).where(
        StaffAlert.store_id == store_id, StaffAlert.resolved_at.is_(None))) or 0


@dataclass(frozen=True)
class AlertPage:
    open: list[StaffAlert]
    resolved: list[StaffAlert]
    kinds: list[str]  # every kind this store has seen, for the filter


def list_alerts(*, store_id: int, kind: str = "", resolved_limit: int = 50) -> AlertPage:
    """The store's open alerts (oldest first) and its latest resolved ones."""
    base = select(StaffAlert).where(StaffAlert.store_id == store_id)
    if kind:
        base = base.where(StaffAlert.kind == kind)
    opened = db.session.scalars(base.where(StaffAlert.resolved_at.is_(None))
                                .order_by(StaffAlert.id)).all()
    resolved = db.session.scalars(base.where(StaffAlert.resolved_at.is_not(None))
                                  .order_by(StaffAlert.resolved_at.desc(), StaffAlert.id.desc())
                                  .limit(resolved_limit)).all()
    kinds = db.session.scalars(select(StaffAlert.kind).where(StaffAlert.store_id == store_id)
                               .distinct().order_by(StaffAlert.kind)).all()
    return AlertPage(list(opened), list(resolved), list(kinds))


def expiring_authorizations_query(*, now: datetime, within: timedelta = EXPIRY_WARNING):
    """AUTHORIZED attempts whose authorization lapses before ``now + within``."""
    return (select(PaymentAttempt)
            .where(PaymentAttempt.status == AttemptStatus.AUTHORIZED,
                   PaymentAttempt.capture_before.is_not(None),
                   PaymentAttempt.capture_before <= now + within)
            .order_by(PaymentAttempt.capture_before, PaymentAttempt.id))


def alert_expiring_authorizations(*, now: datetime | None = None,
                                  within: timedelta = EXPIRY_WARNING) -> int:
    """Open an alert for each authorization about to lapse; returns how many are expiring."""
    now = now or utcnow()
    with write_transaction() as session:
        attempts = session.scalars(expiring_authorizations_query(now=now, within=within)).all()
        for attempt in attempts:
            raise_alert(session, store_id=attempt.store_id, kind=AUTHORIZATION_EXPIRING,
                        order_id=attempt.order_id, attempt_id=attempt.id,
                        message=f"Authorization of order {attempt.order_id:06d} "
                                f"({format_money(attempt.amount, attempt.currency)}) lapses "
                                f"at {attempt.capture_before:%Y-%m-%d %H:%M} UTC: capture "
                                "or void it.",
                        figures={"amount": attempt.amount, "currency": attempt.currency,
                                 "capture_before": attempt.capture_before.isoformat()})
    return len(attempts)
