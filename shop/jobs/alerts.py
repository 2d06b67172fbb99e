"""Alert jobs the outbox asks for when an alert opens or resolves: each may run twice."""

from __future__ import annotations

from ..services.platform import alert_notices
from .runtime import app_job


@app_job
def send_alert_email(alert_id: int) -> bool:
    """The owners' e-mail, once per opening (the alert row records that it went)."""
    return alert_notices.send_alert_email(alert_id)


@app_job
def post_alert_webhook(alert_id: int, event: str) -> bool:
    """The signed POST; raises when the receiver did not take it, so it is tried again."""
    return alert_notices.post_alert_webhook(alert_id, event)
