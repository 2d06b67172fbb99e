"""Which Stripe event type is handled how: the ``{event_type: handler}`` table.

A handler is two steps. ``fetch(event)`` asks Stripe for the object the event is about
(outside any transaction: no lock is held across a call to Stripe). ``apply(session, event,
fetched, actor)`` changes our state in the transaction that records the event, and returns
the event's status. Types not listed here are acknowledged and kept as ``ignored``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ...models import EventStatus
from .intent_events import (
    PAYMENT_INTENT_EVENTS,
    apply_intent_event,
    fetch_intent,
)
from .money_events import (
    DISPUTE_EVENTS,
    REFUND_EVENTS,
    apply_money_event,
    fetch_charge_refunds,
    fetch_dispute,
    fetch_refund,
)
from .session_events import CHECKOUT_SESSION_EVENTS, apply_session_event, fetch_session


@dataclass(frozen=True)
class EventHandler:
    fetch: Callable[[dict], Any]
    apply: Callable[[Session, dict, Any, str], EventStatus]


HANDLERS: dict[str, EventHandler] = {
    **{event_type: EventHandler(fetch_intent, apply_intent_event)
       for event_type in PAYMENT_INTENT_EVENTS},
    "charge.refunded": EventHandler(fetch_charge_refunds, apply_money_event),
    **{event_type: EventHandler(fetch_refund, apply_money_event) for event_type in REFUND_EVENTS},
    **{event_type: EventHandler(fetch_dispute, apply_money_event)
       for event_type in DISPUTE_EVENTS},
    **{event_type: EventHandler(fetch_session, apply_session_event)
       for event_type in CHECKOUT_SESSION_EVENTS},
}
