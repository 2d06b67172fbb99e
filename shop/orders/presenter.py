"""What the order pages say about an order, in the shopper's words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app

from ..domain.carriers import carrier_name, tracking_link
from ..domain.states import (
    ORDER_CALLED_OFF,
    ORDER_SENT,
    PAYMENT_CAPTURED,
    PAYMENT_REFUNDED,
    AttemptStatus,
    OrderStatus,
    PaymentStatus,
)
from ..models import Order, PaymentAttempt
from ..services.payments.ledger import order_summary
from .messages import RESERVATION_EXPIRED, payment_error_message

STATUS_LABELS = {
    OrderStatus.PENDING: "Awaiting payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.FULFILLING: "Being prepared",
    OrderStatus.READY_FOR_SHIPMENT: "Packed, ready to ship",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.IN_TRANSIT: "On its way",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.CANCELED: "Canceled",
    OrderStatus.EXPIRED: "Expired",
}

PAYMENT_LABELS = {
    PaymentStatus.UNPAID: "Not paid",
    PaymentStatus.PENDING: "Pending",
    PaymentStatus.PROCESSING: "Being confirmed",
    PaymentStatus.AUTHORIZED: "Authorized",
    PaymentStatus.PAID: "Paid",
    PaymentStatus.PARTIALLY_REFUNDED: "Partially refunded",
    PaymentStatus.REFUNDED: "Refunded",
    PaymentStatus.FAILED: "Failed",
    PaymentStatus.DISPUTED: "Disputed",
}


PAYMENT_CANCELED = ("The shop canceled the payment for this order, so it cannot be paid here "
                    "any more. Nothing was charged: anything your bank set aside for it is "
                    "released. Please contact us if you still want these items.")


@dataclass(frozen=True)
class OrderState:
    headline: str
    detail: str
    pending: bool  # the page should keep checking
    can_pay: bool  # show "Pay" / "Try another card"
    error: str | None
    can_rebuild: bool = False  # closed unpaid: offer "Rebuild my cart"
    lapsed: bool = False  # the reservation ran out before payment


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    done: bool
    when: datetime | None = None
    detail: str | None = None
    link: str | None = None
    link_text: str | None = None


def refunded_amount(order: Order) -> int | None:
    """The amount refunded so far, in minor units, from the ledger; None if nothing was.

    Only refunds Stripe has confirmed count: a pending one is not money back yet.
    """
    if order.payment_status not in PAYMENT_CAPTURED:
        return None
    refunded = order_summary(order_id=order.id).refunded
    return refunded or None


def shop_contact() -> str:
    """The address shoppers write to: the one our e-mails come from (MAIL_FROM)."""
    return parseaddr(current_app.config["MAIL_FROM"])[1]


def status_label(order: Order) -> str:
    return STATUS_LABELS.get(OrderStatus(order.status), order.status)


def payment_label(order: Order) -> str:
    payment = PaymentStatus(order.payment_status)
    if (payment == PaymentStatus.PAID and order.paid_at is None
            and OrderStatus(order.status) in ORDER_CALLED_OFF):
        return "Received, to be paid back"  # a transfer on an order called off unpaid
    return PAYMENT_LABELS.get(payment, order.payment_status)


def describe(order: Order, attempt: PaymentAttempt | None, *, lapsed: bool = False
             ) -> OrderState:
    payment = PaymentStatus(order.payment_status)
    status = OrderStatus(order.status)
    if status in ORDER_CALLED_OFF and payment not in PAYMENT_CAPTURED:
        why = "was canceled" if status == OrderStatus.CANCELED else "expired before it was paid"
        return OrderState(f"This order {why}", "Nothing was charged. You can put the same "
                          "items back in your cart at today's prices.", False, False, None,
                          can_rebuild=True)
    if order.payment_method in ("cod", "bank_transfer") and order.paid_at is None:
        from .instructions import offline_state  # it builds on this module

        return offline_state(order)
    if order.paid_out_of_stock and payment in (PaymentStatus.PAID, PaymentStatus.REFUNDED):
        return _paid_out_of_stock(order, refunded=payment == PaymentStatus.REFUNDED)
    if payment in PAYMENT_CAPTURED:
        return _paid_state(order, status, payment)
    if payment == PaymentStatus.AUTHORIZED:
        return OrderState("Payment authorized", "Your card is authorized; we charge it when "
                          "your order ships.", False, False, None)
    if payment == PaymentStatus.PROCESSING:
        return OrderState("Confirming your payment…",
                          "A card payment takes a few seconds; a bank debit can take a few "
                          "business days. We e-mail you as soon as it is done.",
                          True, False, None)
    # A hosted-Checkout order whose page expired is paid on a new page: not this case.
    if attempt is not None and attempt.status == AttemptStatus.CANCELED \
            and order.payment_method != "stripe_checkout":
        # Stripe refuses to confirm a canceled PaymentIntent: never offer "Pay" with it.
        return OrderState("This payment was canceled", PAYMENT_CANCELED, False, False, None)
    if lapsed:
        return OrderState("Your reservation has expired", RESERVATION_EXPIRED, False, False,
                          None, lapsed=True)
    if payment == PaymentStatus.FAILED and attempt is not None:
        return OrderState("Payment failed", "Nothing was charged and your cart is kept. You "
                          "can try another card.", False, True,
                          payment_error_message(attempt.last_error_code))
    return OrderState("Awaiting payment", "Your items are reserved while you pay.", False, True,
                      None)


def awaiting_checkout(order: Order, state: OrderState) -> OrderState:
    """Back from Stripe's hosted page (``success_url``) before we heard the outcome: the
    page keeps checking instead of offering to pay again."""
    if order.status != OrderStatus.PENDING or order.payment_status != PaymentStatus.UNPAID \
            or state.lapsed:
        return state
    return OrderState("Confirming your payment…", "Stripe is telling us about your payment; "
                      "this page updates by itself. We e-mail you as soon as it is done.",
                      True, False, None)


def _paid_out_of_stock(order: Order, *, refunded: bool) -> OrderState:
    if refunded:
        return OrderState("Your payment was refunded", "We are sorry: something in your order "
                          "sold out before your payment reached us, so we refunded your payment "
                          "in full. It goes back to the card you paid with; banks take a few "
                          "days to show it.", False, False, None)
    if current_app.config["AUTO_REFUND_OUT_OF_STOCK"]:
        detail = ("We are sorry: something in your order sold out before your payment reached "
                  "us. We are refunding your payment in full and will email you at "
                  f"{order.email} when the refund is on its way.")
    else:
        detail = ("We are sorry: something in your order sold out before your payment reached "
                  f"us. We will contact you at {order.email} to offer you a full refund or a "
                  "later delivery.")
    return OrderState("Your payment went through, but an item is out of stock", detail,
                      False, False, None)


def _paid_state(order: Order, status: OrderStatus, payment: PaymentStatus) -> OrderState:
    if payment in PAYMENT_REFUNDED and order.payment_method in ("cod", "bank_transfer"):
        return OrderState("Your order was refunded" if payment == PaymentStatus.REFUNDED
                          else "Part of your order was refunded",
                          "We paid the money back to you directly; the e-mail we sent says "
                          "how.", False, False, None)
    if payment == PaymentStatus.REFUNDED:
        return OrderState("Your order was refunded", "The refund goes back to the card you "
                          "paid with; banks take a few days to show it.", False, False, None)
    if payment == PaymentStatus.PARTIALLY_REFUNDED:
        return OrderState("Part of your order was refunded", "The refund goes back to the "
                          "card you paid with; banks take a few days to show it.", False,
                          False, None)
    if status == OrderStatus.DELIVERED:
        return OrderState("Your order was delivered", "We hope you enjoy it.", False, False,
                          None)
    if status in (OrderStatus.SHIPPED, OrderStatus.IN_TRANSIT):
        return OrderState("Your order is on its way", "Follow the parcel with the tracking "
                          "link below.", False, False, None)
    return OrderState("Thank you, your order is paid", "We have emailed your receipt to "
                      f"{order.email}.", False, False, None)


def timeline(order: Order) -> list[Step]:
    """The steps of the order, in order, each done or not yet."""
    status = OrderStatus(order.status)
    payment = PaymentStatus(order.payment_status)
    # Money received for an order called off before it was paid in full (a late or part
    # bank transfer) is owed back: the order was never paid.
    paid = order.paid_at is not None or (payment in PAYMENT_CAPTURED
                                         and status not in ORDER_CALLED_OFF)
    steps = [Step("placed", "Order placed", True, order.created_at)]
    if status in ORDER_CALLED_OFF and not paid:
        label = "Canceled" if status == OrderStatus.CANCELED else "Expired"
        return [*steps, Step(status.value, label, True, order.canceled_at)]
    steps.append(Step("paid", "Paid", paid, order.paid_at))
    steps.append(Step("fulfilling", "Being prepared",
                      status in (OrderStatus.FULFILLING, OrderStatus.READY_FOR_SHIPMENT)
                      or status in ORDER_SENT))
    shipped = status in ORDER_SENT or order.shipped_at is not None
    link = tracking_link(order.carrier, order.tracking_number)
    shipped_detail = None
    if shipped and order.carrier:
        shipped_detail = f"With {carrier_name(order.carrier)}"
        if order.tracking_number:
            shipped_detail += f", tracking number {order.tracking_number}"
    steps.append(Step("shipped", "Shipped", shipped, order.shipped_at, shipped_detail, link,
                      "Track your parcel" if link else None))
    steps.append(Step("delivered", "Delivered", status == OrderStatus.DELIVERED
                      or order.delivered_at is not None, order.delivered_at))
    if payment in PAYMENT_REFUNDED:
        label = PAYMENT_LABELS[payment]
        steps.append(Step("refunded", label, True))
    return steps

