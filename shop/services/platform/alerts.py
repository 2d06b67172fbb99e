"""Staff alerts: things a person must look at, one open alert per kind and object."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import PaymentAttempt, StaffAlert
from ...models.types import utcnow
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


def raise_alert(session: Session, *, store_id: int, kind: str, message: str,
                order_id: int | None = None, attempt_id: int | None = None) -> StaffAlert:
    """Open an alert in the caller's transaction, or return the open one already there."""
    existing = session.scalar(select(StaffAlert).where(
        StaffAlert.store_id == store_id, StaffAlert.kind == kind,
        StaffAlert.order_id.is_(None) if order_id is None else StaffAlert.order_id == order_id,
        StaffAlert.attempt_id.is_(None) if attempt_id is None
        else StaffAlert.attempt_id == attempt_id,
        StaffAlert.resolved_at.is_(None)))
    if existing is not None:
        return existing
    alert = StaffAlert(store_id=store_id, kind=kind, message=message, order_id=order_id,
                       attempt_id=attempt_id)
    session.add(alert)
    session.flush()
    log.warning("staff alert", extra={"kind": kind, "store_id": store_id,
                                      "order_id": order_id, "attempt_id": attempt_id})
    return alert


def resolve_alert(*, alert_id: int) -> None:
    with write_transaction() as session:
        alert = session.get(StaffAlert, alert_id)
        if alert is not None and alert.resolved_at is None:
            alert.resolved_at = utcnow()


def open_alerts(*, store_ids: Collection[int]) -> list[StaffAlert]:
    return list(db.session.scalars(select(StaffAlert).where(
        StaffAlert.store_id.in_(list(store_ids)), StaffAlert.resolved_at.is_(None))
        .order_by(StaffAlert.id)))


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
                                f"({attempt.amount} {attempt.currency}) lapses at "
                                f"{attempt.capture_before:%Y-%m-%d %H:%M} UTC: capture or "
                                "void it.")
    return len(attempts)
