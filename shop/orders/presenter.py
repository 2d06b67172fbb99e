"""What the order pages say about an order, in the shopper's words."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.states import OrderStatus, PaymentStatus
from ..models import Order, PaymentAttempt

DECLINE_MESSAGES = {
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again.",
    "payment_intent_authentication_failure": "3-D Secure authentication failed or was "
                                             "abandoned.",
}


@dataclass(frozen=True)
class OrderState:
    headline: str
    detail: str
    pending: bool  # the page should keep checking
    can_pay: bool  # show "Pay" / "Try another card"
    error: str | None


def describe(order: Order, attempt: PaymentAttempt | None) -> OrderState:
    payment = PaymentStatus(order.payment_status)
    status = OrderStatus(order.status)
    if status in (OrderStatus.CANCELED, OrderStatus.EXPIRED) and payment != PaymentStatus.PAID:
        return OrderState(f"Order {status.value}", "This order was not paid and is closed. "
                          "Nothing was charged.", False, False, None)
    if payment in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED,
                   PaymentStatus.REFUNDED, PaymentStatus.DISPUTED):
        return OrderState("Thank you, your order is paid", "We have emailed your receipt to "
                          f"{order.email}.", False, False, None)
    if payment == PaymentStatus.AUTHORIZED:
        return OrderState("Payment authorized", "Your card is authorized; we charge it when "
                          "your order ships.", False, False, None)
    if payment == PaymentStatus.PROCESSING:
        return OrderState("Confirming your payment…", "This usually takes a few seconds.",
                          True, False, None)
    if payment == PaymentStatus.FAILED and attempt is not None:
        message = DECLINE_MESSAGES.get(attempt.last_error_code or "", attempt.last_error_message)
        return OrderState("Payment failed", "Your cart is kept. You can try another card.",
                          False, True, message or "Your payment did not go through.")
    return OrderState("Awaiting payment", "Your items are reserved while you pay.", False, True,
                      None)
