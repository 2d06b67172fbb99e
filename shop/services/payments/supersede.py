"""Orders a newer checkout replaced, or staff canceled: their payments stopped at the provider.

A PaymentIntent is canceled (Stripe refuses if it was paid meanwhile, and settling then
records the payment), a hosted Checkout Session expired, a Paystack/Flutterwave link given up
(it cannot be canceled there: a payment made later is a late payment). Each is then settled
with what the provider says, so the shopper is never charged for an order we dropped.
"""

from __future__ import annotations

import logging

from ...extensions import db
from ...models import PaymentAttempt
from ...providers.stripe_gateway import GatewayError, gateway
from .redirect import settle_attempt
from .session_settle import settle_session
from .settle import settle_payment

log = logging.getLogger(__name__)


def cancel_superseded(attempt_ids: list[int], *, reason: str = "duplicate") -> None:
    """Cancel the intents of orders a newer checkout replaced (``duplicate``) or staff
    canceled (``requested_by_customer``), then settle what Stripe says.

    If an intent was paid meanwhile, Stripe refuses the cancel and settling records the
    payment: the shopper is never charged for an order we dropped.
    """
    for attempt_id in attempt_ids:
        attempt = db.session.get(PaymentAttempt, attempt_id)
        if attempt is not None and attempt.provider == "stripe" and attempt.session_id:
            _expire_session(attempt.session_id)
            continue
        if attempt is not None and attempt.provider_reference and attempt.provider != "stripe":
            _give_up_link(attempt.id)
            continue
        if attempt is None or not attempt.provider_reference:
            continue
        intent_id = attempt.provider_reference
        try:
            gateway().cancel_payment_intent(intent_id, reason=reason)
        except GatewayError:
            log.warning("could not cancel a superseded PaymentIntent; settling it instead",
                        extra={"payment_intent": intent_id}, exc_info=True)
        try:
            settle_payment(intent_id=intent_id, actor="system:checkout")
        except GatewayError:
            # The webhook or reconciliation will settle it; the old order is already closed.
            log.warning("could not settle a superseded PaymentIntent",
                        extra={"payment_intent": intent_id}, exc_info=True)


def _give_up_link(attempt_id: int) -> None:
    """A hosted-page link (Paystack, Flutterwave) cannot be canceled at the provider: a payment
    already made is settled, else the attempt is given up now, so that one made later is a
    late payment (``late_payments``: refunded if staff canceled the order)."""
    try:
        settle_attempt(attempt_id=attempt_id, actor="system:checkout", give_up=True)
    except GatewayError:
        # Reconciliation gives it up later, through the same path.
        log.warning("could not verify a superseded hosted-page payment",
                    extra={"attempt_id": attempt_id}, exc_info=True)


def _expire_session(session_id: str) -> None:
    """A superseded hosted-Checkout order: its page must not take money any more."""
    try:
        gateway().expire_checkout_session(session_id)
    except GatewayError:
        log.info("superseded Checkout Session not expired; settling it as it is",
                 extra={"checkout_session": session_id})
    try:
        settle_session(session_id=session_id, actor="system:checkout")
    except GatewayError:
        log.warning("could not settle a superseded Checkout Session",
                    extra={"checkout_session": session_id}, exc_info=True)
