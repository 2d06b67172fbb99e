"""What the payment page needs: a live PaymentIntent's client secret, unless paying is over.

A refresh after "Pay" must never lead to a second charge: if Stripe already has the money
(or is taking it), the intent is settled here and the shopper sees the status page instead
of a fresh card form. The same PaymentIntent is used for every retry.

The next step comes from the PaymentIntent as Stripe has it, never from the browser: a
shopper who reloaded or closed the tab in the middle of 3-D Secure comes back to
"Continue verification", not to a page that waits for ever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import exists, select

from ...domain.states import PAYMENT_UNPAID, AttemptStatus, OrderStatus
from ...extensions import db
from ...models import InventoryHold, Order
from ...models.types import utcnow
from ...providers.stripe_gateway import Intent, gateway
from ..accounts.payment_methods import customer_session
from ..inventory.holds import counting
from ..platform.tx import get_existing, write_transaction
from .errors import GatewayError
from .settle import apply_intent, ensure_payment_intent

log = logging.getLogger(__name__)

# Stripe needs a card (again): the Payment Element.
TAKES_A_CARD = frozenset({"requires_payment_method", "requires_confirmation"})


class Step(StrEnum):
    """What the payment page offers, from the PaymentIntent's status."""

    PAY = "pay"  # the Payment Element, with the last error if any
    VERIFY = "verify"  # 3-D Secure was interrupted: "Continue verification"
    PROCESSING = "processing"  # the bank is taking the money: wait a while, then help
    SETTLED = "settled"  # paid, authorized or canceled: the status page says which
    LAPSED = "lapsed"  # verification abandoned until the reservation ran out: the cart


@dataclass(frozen=True)
class PaymentPage:
    client_secret: str | None
    step: Step
    # A signed-in shopper paying their own order: their saved cards, and "save this card".
    customer_session: str | None = None


def reservation_lapsed(order: Order) -> bool:
    """Read-only: an unpaid pending order whose holds have all expired (or been released).

    Only reports; marking the order expired and canceling its intent belongs to the expiry
    job. An order that never held anything is not lapsed.
    """
    if order.status != OrderStatus.PENDING or order.payment_status not in PAYMENT_UNPAID:
        return False
    return _holds_lapsed(order.id)


def _holds_lapsed(order_id: int) -> bool:
    holds = select(InventoryHold.id).where(InventoryHold.order_id == order_id)
    live = holds.where(counting(utcnow()))
    return bool(db.session.scalar(select(exists(holds)))) and not db.session.scalar(
        select(exists(live)))


def _pay(order_id: int, user_id: int | None, intent: Intent, client_secret: str) -> PaymentPage:
    order = get_existing(db.session, Order, order_id)
    if user_id is None or order.user_id != user_id:
        return PaymentPage(client_secret, Step.PAY)  # guests never see saved cards
    try:
        session = customer_session(user_id=user_id, store_id=order.store_id,
                                   intent_id=intent.id, intent_customer=intent.customer)
    except GatewayError:
        # Saved cards are a convenience: a shopper whose Customer Session Stripe refused or
        # could not make still pays by typing the card (and staff see the warning).
        log.warning("payment page without saved cards", exc_info=True,
                    extra={"order_id": order_id})
        return PaymentPage(client_secret, Step.PAY)
    return PaymentPage(client_secret, Step.PAY, customer_session=session)


def open_payment(*, order_id: int, user_id: int | None = None) -> PaymentPage:
    """Create or reuse the order's PaymentIntent and say what the shopper can do next;
    raises ``GatewayError`` if Stripe is away. ``user_id``: who is signed in, if anyone."""
    attempt = ensure_payment_intent(order_id=order_id)
    assert attempt.provider_reference is not None, "ensure_payment_intent gave it its intent"
    intent, client_secret = gateway().payment_intent_with_secret(attempt.provider_reference)
    if intent.status == "requires_action":
        # Not applied: settling extends the holds, and a reload must not keep stock for ever.
        lapsed = _holds_lapsed(order_id)
        return PaymentPage(None if lapsed else client_secret,
                           Step.LAPSED if lapsed else Step.VERIFY)
    if intent.status in TAKES_A_CARD and attempt.status != AttemptStatus.AUTHORIZING:
        return _pay(order_id, user_id, intent, client_secret)
    # We are behind Stripe (3-D Secure failed, the money arrived, the intent was canceled):
    # catch up as the webhook would. Jobs it asks for go through the outbox after the commit.
    with write_transaction() as session:
        apply_intent(session, intent, actor="shopper:payment-page")
    if intent.status in TAKES_A_CARD:
        return _pay(order_id, user_id, intent, client_secret)
    if intent.status == "processing":
        return PaymentPage(None, Step.PROCESSING)
    return PaymentPage(None, Step.SETTLED)
