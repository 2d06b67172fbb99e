"""``charge.refunded``, ``refund.*`` and ``charge.dispute.*`` events: settle the truth.

As for ``payment_intent.*`` events, the event is only a hint. ``fetch`` asks Stripe for the
PaymentIntent and for the refunds or the dispute as they are now (no transaction open);
``apply`` settles the intent first (so a refund event that overtakes
``payment_intent.succeeded`` finds the capture recorded), then the refunds or the dispute,
in the transaction that records the event. A late or repeated event finds the truth already
applied and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ...extensions import db
from ...models import EventStatus, PaymentAttempt
from ...providers.stripe_gateway import Dispute, Intent, Refund, gateway
from ..payments.settle import apply_intent
from ..refunds.disputes import sync_dispute
from ..refunds.updates import sync_refund

REFUND_EVENTS = ("refund.created", "refund.updated", "refund.failed")
DISPUTE_EVENTS = ("charge.dispute.created", "charge.dispute.closed")


@dataclass(frozen=True)
class Truth:
    intent: Intent
    refunds: tuple[Refund, ...] = ()
    dispute: Dispute | None = None


def _our_intent(event: dict, intent_id: str | None = None) -> str | None:
    """The event's PaymentIntent id if it is one of ours (read, then the read is ended)."""
    intent_id = intent_id or event["data"]["object"].get("payment_intent")
    ours = isinstance(intent_id, str) and db.session.scalar(
        select(exists().where(PaymentAttempt.provider_reference == intent_id)))
    db.session.rollback()  # end the read before calling Stripe
    return intent_id if ours else None


def fetch_refund(event: dict) -> Truth | None:
    intent_id = _our_intent(event)
    if intent_id is None:
        return None
    refund = gateway().retrieve_refund(event["data"]["object"]["id"])
    return Truth(gateway().retrieve_payment_intent(intent_id), refunds=(refund,))


def fetch_charge_refunds(event: dict) -> Truth | None:
    intent_id = _our_intent(event)
    if intent_id is None:
        return None
    refunds = gateway().list_refunds(charge_id=event["data"]["object"]["id"])
    return Truth(gateway().retrieve_payment_intent(intent_id), refunds=tuple(refunds))


def fetch_dispute(event: dict) -> Truth | None:
    obj = event["data"]["object"]
    intent_id = obj.get("payment_intent")
    if not intent_id and isinstance(obj.get("charge"), str):
        # Stripe leaves payment_intent null on some disputes: the charge knows its intent.
        intent_id = gateway().retrieve_charge(obj["charge"]).payment_intent_id
    intent_id = _our_intent(event, intent_id)
    if intent_id is None:
        return None
    dispute = gateway().retrieve_dispute(obj["id"])
    if dispute.payment_intent_id is None:
        dispute = replace(dispute, payment_intent_id=intent_id)
    return Truth(gateway().retrieve_payment_intent(intent_id), dispute=dispute)


def apply_money_event(session: Session, event: dict, truth: Truth | None,
                      actor: str) -> EventStatus:
    if truth is None or apply_intent(session, truth.intent, actor=actor) is None:
        return EventStatus.UNMATCHED  # kept for reconciliation
    # Stripe lists newest first; oldest first keeps the audit rows in the order of events.
    for refund in reversed(truth.refunds):
        sync_refund(session, refund, actor=actor)
    if truth.dispute is not None:
        sync_dispute(session, truth.dispute, actor=actor)
    return EventStatus.PROCESSED
