"""Events rendered at another API version than the one the shop speaks.

Stripe renders a webhook event at its endpoint's API version (or the account's default). The
shop reads objects at ``STRIPE_API_VERSION``; an event at another version may be shaped
differently, so it is only a hint: every object it names is fetched at the pinned version
(``intent_events.intent_to_fetch``), and staff are told to fix the endpoint.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import PaymentAttempt
from ...providers.stripe_gateway import gateway
from ..platform.alerts import API_VERSION_MISMATCH, raise_alert

log = logging.getLogger(__name__)

_logged: set[str | None] = set()  # one log line per foreign version and process


def at_pinned_version(event: dict) -> bool:
    return event.get("api_version") == gateway().api_version


def note_event_version(session: Session, event: dict, intent_id: str | None) -> None:
    """Log (once per version) and alert the store whose payment the event is about."""
    if at_pinned_version(event):
        return
    version, pinned = event.get("api_version"), gateway().api_version
    if version not in _logged:
        _logged.add(version)
        log.warning("Stripe event at another API version",
                    extra={"event_id": event.get("id"), "api_version": version,
                           "stripe_api_version": pinned})
    store_id = session.scalar(select(PaymentAttempt.store_id).where(
        PaymentAttempt.provider_reference == intent_id)) if intent_id else None
    if store_id is None:
        return
    raise_alert(session, store_id=store_id, kind=API_VERSION_MISMATCH,
                message=f"Stripe sends webhook events at API version {version}; the shop "
                        f"speaks {pinned}. Set the webhook endpoint's API version to {pinned} "
                        "in the Stripe Dashboard (docs/payments.md). Until then each event's "
                        "object is fetched from Stripe at the pinned version.")
