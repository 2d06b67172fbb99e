"""Back from the payment page to the checkout form, to change an order's address or shipping.

Read-only: the form is filled from the order; submitting it is an ordinary checkout of the
same cart, which replaces the order (``place_order`` supersedes the cart's unpaid orders,
``cancel_superseded`` cancels their PaymentIntents) and prices the new one afresh.
"""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select

from ...domain.errors import Conflict
from ...domain.states import PAYMENT_UNPAID, OrderStatus
from ...extensions import db
from ...models import Order
from ..orders.errors import OrderNotFound
from .place import CheckoutDetails

# Checkout fields the order keeps as ``ship_<field>``; the others under their own name.
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "postal_code", "region", "country")


class OrderNotEditable(Conflict):
    """Paid, being paid or closed: a new checkout of its cart would not replace it."""

    code = "order_not_editable"


class OrderOfAnotherCart(Conflict):
    """The order was checked out from a cart this browser does not hold."""

    code = "order_of_another_cart"


def editable(order: Order) -> bool:
    """Whether a new checkout of the order's cart replaces it: the rule of
    ``cart_read.unpaid_orders_of``, for one order in hand."""
    return order.status == OrderStatus.PENDING and order.payment_status in PAYMENT_UNPAID


def details_to_edit(*, store_id: int, order_token: str, cart_id: int | None) -> CheckoutDetails:
    """The checkout details of the order ``order_token``, to fill the form with.

    Raises ``OrderNotFound``, ``OrderNotEditable``, or ``OrderOfAnotherCart`` when the
    browser's cart (``cart_id``) is not the one the order came from: checking that cart out
    would not replace the order.
    """
    order = db.session.scalar(select(Order).where(
        Order.token == order_token, Order.store_id == store_id))
    if order is None:
        raise OrderNotFound("We could not find that order.")
    if not editable(order):
        raise OrderNotEditable("This order can no longer be changed.")
    if order.cart_id is None or order.cart_id != cart_id:
        raise OrderOfAnotherCart(
            "This order was placed from another browser. To change its address or "
            "shipping, open it there, or pay it as it is.")
    return CheckoutDetails(**{
        f.name: getattr(order, f"ship_{f.name}" if f.name in ADDRESS_FIELDS else f.name)
        for f in fields(CheckoutDetails)})
