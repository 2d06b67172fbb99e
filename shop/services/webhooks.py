"""Stripe webhooks: dedup by event id, then settle in the same transaction as the event row.

An event is a hint; the PaymentIntent fetched from Stripe is the truth, so a stale or
out-of-order event can never move a state backwards.
"""

from __future__ import annotations

import logging

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import PaymentAttempt, StripeEvent
from ..stripe_gateway import gateway
from .payments import Settlement, apply_intent, run_after_commit
from .tx import write_transaction

log = logging.getLogger(__name__)

INTENT_EVENTS = frozenset({
    "payment_intent.created",
    "payment_intent.processing",
    "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
})


def _intent_id(event: dict) -> str | None:
    obj = event["data"]["object"]
    if event["type"] in INTENT_EVENTS:
        return obj.get("id")
    return obj.get("payment_intent") if isinstance(obj.get("payment_intent"), str) else None


def handle_event(event: dict) -> str:
    """Apply a verified event once; returns its outcome (``duplicate``, ``processed``, …).

    Errors propagate so that the endpoint answers 500 and Stripe retries.
    """
    event_id, event_type = event["id"], event["type"]
    if db.session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    intent_id = _intent_id(event)
    known = event_type in INTENT_EVENTS and intent_id and db.session.scalar(
        select(exists().where(PaymentAttempt.provider_reference == intent_id)))
    # Fetched before the transaction: no lock is held across a call to Stripe.
    intent = gateway().retrieve_payment_intent(intent_id) if known else None
    result: Settlement | None = None
    try:
        with write_transaction() as session:
            if session.get(StripeEvent, event_id) is not None:
                return "duplicate"
            if intent is not None:
                result = apply_intent(session, intent, actor=f"webhook:{event_id}")
            outcome = _outcome(event_type, intent_id, result)
            session.add(StripeEvent(id=event_id, type=event_type, payment_intent_id=intent_id,
                                    outcome=outcome))
            session.flush()
    except IntegrityError:
        return "duplicate"
    run_after_commit(result)
    log.info("stripe event", extra={"event_id": event_id, "type": event_type,
                                    "outcome": outcome})
    return outcome


def _outcome(event_type: str, intent_id: str | None, result: Settlement | None) -> str:
    if event_type not in INTENT_EVENTS:
        return "ignored"
    if result is None:
        return "unmatched"  # kept for reconciliation
    return "processed"
