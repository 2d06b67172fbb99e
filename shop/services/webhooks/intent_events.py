"""``payment_intent.*`` events: whatever the event says, settle what the PaymentIntent is now.

So a late, repeated or out-of-order event (``processing`` after ``succeeded``) finds the
truth already applied and changes nothing: states only ever move forward.

One exception, on purpose: a ``payment_intent.succeeded`` event is applied from its own copy
of the intent, without asking Stripe again. ``succeeded`` is final (an intent never leaves
it; refunds and disputes are other objects with their own events), so that copy cannot be
stale, and its signature proves Stripe sent it. This is the event every paid order waits
for, and a round trip to Stripe before the 2xx is most of its latency (docs/performance.md).
Every other type may describe a state that has already moved on, so it is a hint: the intent
is fetched.
"""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import EventStatus, PaymentAttempt
from ...providers.stripe_gateway import Intent, gateway, intent_from
from ..payments.session_settle import link_intent_by_metadata, linkable_intent
from ..payments.settle import apply_intent
from .versions import at_pinned_version

PAYMENT_INTENT_EVENTS = (
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
)


def intent_to_fetch(event: dict) -> bool:
    """Whether the event's intent is asked from Stripe: all but a succeeded one rendered at
    the API version the shop speaks (another version's copy may be shaped otherwise)."""
    return not (event["type"] == "payment_intent.succeeded"
                and event["data"]["object"].get("status") == "succeeded"
                and at_pinned_version(event))


def fetch_intent(event: dict) -> Intent | None:
    """The intent as Stripe has it now; None (and no call to Stripe) if it is not ours."""
    obj = event["data"]["object"]
    if not intent_to_fetch(event):
        return intent_from(obj)  # final: see the module's docstring
    intent_id = obj.get("id")
    ours = intent_id and db.session.scalar(
        select(exists().where(PaymentAttempt.provider_reference == intent_id)))
    db.session.rollback()  # end the read before calling Stripe
    if not ours:
        # A hosted Checkout's intent before its session's event told us of it.
        ours = intent_id and linkable_intent(obj.get("metadata") or {})
    return gateway().retrieve_payment_intent(intent_id) if ours else None


def apply_intent_event(session: Session, event: dict, intent: Intent | None,
                       actor: str) -> EventStatus:
    if intent is None:
        return EventStatus.UNMATCHED  # kept for reconciliation
    result = apply_intent(session, intent, actor=actor)
    if result is None and link_intent_by_metadata(session, intent):
        result = apply_intent(session, intent, actor=actor)
    return EventStatus.UNMATCHED if result is None else EventStatus.PROCESSED
