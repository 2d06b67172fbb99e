"""Telling owners about an alert: the e-mail (once per opening) and the signed webhook POST.

Both are outbox jobs (``jobs/alerts.py``): with Redis, RQ runs them and retries a failure
with backoff and jitter (``jobs/queue.job_retry``); without it they run in-process and a
failure leaves the outbox row pending for ``redispatch_outbox``, which tries again with
backoff. So each raises when it did not deliver.

The webhook body is JSON; its signature is an HMAC-SHA256 over ``"<t>.<body>"`` with the
store's secret, sent as ``X-Shop-Signature: t=<unix time>,v1=<hex digest>`` (docs/operations.md
shows how to check it). The secret is derived from SECRET_KEY and a per-store nonce, so the
database never holds it; a new nonce is a new secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time

import requests
from flask import current_app, render_template
from sqlalchemy import select, update

from ...extensions import db
from ...links import external_url
from ...mail import send_mail
from ...models import AlertSettings, Role, StaffAlert, Store, StoreMembership, User
from ...models.types import utcnow
from .tx import rows_matched, write_transaction

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Shop-Signature"
WEBHOOK_TIMEOUT = 10  # seconds; a receiver slower than this is retried later


class WebhookNotDelivered(RuntimeError):
    """The receiver did not answer 2xx: the job fails and is tried again."""


def webhook_url(settings: AlertSettings | None) -> str | None:
    """The store's own URL, else ALERT_WEBHOOK_URL (the operator's default)."""
    own = settings.webhook_url if settings is not None else None
    return own or current_app.config.get("ALERT_WEBHOOK_URL") or None


def new_nonce() -> str:
    return secrets.token_hex(16)


def signing_secret(store_id: int, nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"alert-webhook:{store_id}:{nonce}".encode(), hashlib.sha256)
    return f"whsec_{digest.hexdigest()}"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    mac = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def alert_link() -> str:
    """The admin's alerts page on BASE_URL (never on a request's Host)."""
    return external_url("admin.alerts")


def owner_emails(store_id: int) -> list[str]:
    return list(db.session.scalars(
        select(User.email).join(StoreMembership, StoreMembership.user_id == User.id)
        .where(StoreMembership.store_id == store_id, StoreMembership.role == Role.OWNER,
               User.disabled.is_(False))
        .order_by(User.email)))


def send_alert_email(alert_id: int) -> bool:
    """E-mail the store's owners about a new alert; False if it was sent already (or the
    alert is gone, or the store has no owner)."""
    alert = db.session.get(StaffAlert, alert_id)
    if alert is None or alert.emailed_at is not None:
        return False
    recipients = owner_emails(alert.store_id)
    if not recipients:
        log.warning("alert not e-mailed: the store has no owner",
                    extra={"alert_id": alert_id, "store_id": alert.store_id})
        return False
    store = db.session.get(Store, alert.store_id)
    subject = f"[{store.name if store else 'Shop'}] Alert: {alert.kind.replace('_', ' ')}"
    text = render_template("mail/alert.txt", alert=alert, store=store, link=alert_link())
    with write_transaction() as session:
        # The claim and the sending in one transaction: a failed send rolls the claim back
        # and the job is retried; once committed, nobody sends this opening again.
        claimed = rows_matched(session, update(StaffAlert).where(
            StaffAlert.id == alert_id, StaffAlert.emailed_at.is_(None))
            .values(emailed_at=utcnow()).execution_options(synchronize_session=False))
        if not claimed:
            return False
        send_mail(to=", ".join(recipients), subject=subject, text=text)
    log.info("alert e-mailed", extra={"alert_id": alert_id, "kind": alert.kind})
    return True


def webhook_body(alert: StaffAlert, event: str) -> bytes:
    return json.dumps({
        "id": f"alert-{alert.id}-{event}", "type": event, "alert_id": alert.id,
        "store_id": alert.store_id, "kind": alert.kind, "message": alert.message,
        "figures": alert.figures or {}, "order_id": alert.order_id,
        "opened_at": alert.created_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
        "resolved_by": alert.resolved_by, "note": alert.resolved_note, "url": alert_link(),
    }, sort_keys=True, separators=(",", ":")).encode()


def post_alert_webhook(alert_id: int, event: str) -> bool:
    """POST the alert, signed, to the store's webhook; raises unless the receiver took it."""
    alert = db.session.get(StaffAlert, alert_id)
    if alert is None:
        return False
    settings = db.session.get(AlertSettings, alert.store_id)
    url = webhook_url(settings)
    if url is None or settings is None or not settings.webhook_secret_nonce:
        return False  # switched off since: nothing to deliver
    body = webhook_body(alert, event)
    secret = signing_secret(alert.store_id, settings.webhook_secret_nonce)
    headers = {"Content-Type": "application/json", "User-Agent": "shop-alerts/1",
               SIGNATURE_HEADER: signature(secret, int(time.time()), body)}
    db.session.rollback()  # no transaction stays open across the call
    try:
        response = requests.post(url, data=body, headers=headers, timeout=WEBHOOK_TIMEOUT,
                                 allow_redirects=False)
    except requests.RequestException as exc:
        raise WebhookNotDelivered(f"alert webhook unreachable: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookNotDelivered(f"alert webhook answered {response.status_code}")
    log.info("alert webhook delivered", extra={"alert_id": alert_id, "event": event})
    return True
