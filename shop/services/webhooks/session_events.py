"""``checkout.session.*`` events (Stripe hosted Checkout): settle what the session is now.

As for ``payment_intent.*`` events the event is a hint. ``fetch`` asks Stripe for the session
and, once the shopper paid, its PaymentIntent; ``apply`` records that intent as the
attempt's and settles it through the same function as the Payment Element, so
``checkout.session.completed`` and ``payment_intent.succeeded`` for one payment, in either
order and however often, have one effect. An expired session ends its attempt.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ...models import EventStatus
from ...providers.stripe_gateway import CheckoutSession, Intent
from ..payments.session_settle import apply_checkout_session, fetch_truth, is_ours

CHECKOUT_SESSION_EVENTS = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
)

Truth = tuple[CheckoutSession, Intent | None]


def fetch_session(event: dict) -> Truth | None:
    """The session and its intent as Stripe has them; None (no call) if it is not ours."""
    session_id = event["data"]["object"].get("id")
    return fetch_truth(session_id) if is_ours(session_id) else None


def apply_session_event(session: Session, event: dict, truth: Truth | None,
                        actor: str) -> EventStatus:
    if truth is None or apply_checkout_session(session, *truth, actor=actor) is None:
        return EventStatus.UNMATCHED  # kept for reconciliation
    return EventStatus.PROCESSED
