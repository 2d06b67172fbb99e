"""What the payment page needs: a live PaymentIntent's client secret, unless paying is over.

A refresh after "Pay" must never lead to a second charge: if Stripe already has the money
(or is taking it), the intent is settled here and the shopper sees the status page instead
of a fresh card form. The same PaymentIntent is used for every retry.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from ...domain.states import PAYMENT_UNPAID, OrderStatus
from ...extensions import db
from ...models import InventoryHold, Order
from ...models.types import utcnow
from ...stripe_gateway import gateway
from ..inventory.holds import counting
from ..platform.tx import write_transaction
from .settle import apply_intent, ensure_payment_intent

# Stripe is holding or taking the money: nothing more to pay.
SETTLED_INTENT = frozenset({"succeeded", "processing", "requires_capture"})


@dataclass(frozen=True)
class PaymentPage:
    client_secret: str | None
    settled: bool  # send the shopper to the status page


def reservation_lapsed(order: Order) -> bool:
    """Read-only: an unpaid pending order whose holds have all expired (or been released).

    Only reports; marking the order expired and canceling its intent belongs to the expiry
    job. An order that never held anything is not lapsed.
    """
    if order.status != OrderStatus.PENDING or order.payment_status not in PAYMENT_UNPAID:
        return False
    holds = select(InventoryHold.id).where(InventoryHold.order_id == order.id)
    live = holds.where(counting(utcnow()))
    return bool(db.session.scalar(select(exists(holds)))) and not db.session.scalar(
        select(exists(live)))


def open_payment(*, order_id: int) -> PaymentPage:
    """Create or reuse the order's PaymentIntent; raises ``GatewayError`` if Stripe is away."""
    attempt = ensure_payment_intent(order_id=order_id)
    assert attempt.provider_reference is not None, "ensure_payment_intent gave it its intent"
    intent, client_secret = gateway().payment_intent_with_secret(attempt.provider_reference)
    if intent.status not in SETTLED_INTENT:
        return PaymentPage(client_secret, False)
    # Jobs the settlement asks for (the receipt) go through the outbox after this commit.
    with write_transaction() as session:
        apply_intent(session, intent, actor="shopper:payment-page")
    return PaymentPage(None, True)
