"""The checkout's read of the cart: the one statement of the checkout built once per process.

Why it is not built per request like every other query: a checkout post is the shop's
busiest write, and on a busy machine its latency is its CPU time multiplied by the wait for
a core. This statement (the cart, its lines with their products, whether the cart has
unpaid orders, and two correlated counts of open checkouts) took about a third of
``place_order``'s CPU to build and to compute its cache key on every post; built once, it is
compiled once and its rows are read as plain rows, not ORM objects. Measured in
docs/performance.md (decisions table). Its columns come from the models; the rest of the
checkout reads and writes through the ORM.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, exists, func, or_, select

from ...domain.states import OrderStatus, PaymentStatus
from ...models import Cart, CartItem, InventoryHold, Order, Product, ProductVariant
from ..inventory.holds import counting


def unpaid_orders_of(cart_id) -> tuple:
    """An order of the cart that a new checkout of it replaces: pending and not paid."""
    # Not a bank-transfer order: its shopper may have sent the money already.
    return (Order.cart_id == cart_id, Order.status == OrderStatus.PENDING,
            Order.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.FAILED]),
            Order.payment_method != "bank_transfer")


def open_checkouts_of(order, key_column: str, key, cart_id, now) -> tuple:
    """An unpaid ``order`` (the model or an alias) whose ``key_column`` is ``key``, of
    another cart than ``cart_id`` (a checkout of the same cart replaces its orders), whose
    holds still count at ``now``."""
    live = exists().where(InventoryHold.order_id == order.id, counting(now))
    return (getattr(order, key_column) == key,
            or_(order.cart_id.is_(None), order.cart_id != cart_id),
            order.status == OrderStatus.PENDING,
            order.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.FAILED]), live)


def _open_count(key_column: str, param: str):
    return (select(func.count(Order.id))
            .where(*open_checkouts_of(Order, key_column, bindparam(param), Cart.id,
                                      bindparam("now")))
            .correlate(Cart).scalar_subquery())


@cache
def cart_lines():
    """The cart ``:token`` of store ``:store_id``, one row per line (a variant, at its price)
    in the order the lines were added (one row without a product for an empty cart; none
    for no cart), each with the cart's checkout token, whether the cart has unpaid orders
    to supersede, and how many other unpaid orders of the browser session ``:session``
    and of the address ``:ip`` hold stock at ``:now`` (the cap on open checkouts)."""
    has_unpaid = exists().where(*unpaid_orders_of(Cart.id)).correlate(Cart)
    return (
        select(Cart.id.label("cart_id"), Cart.checkout_token, has_unpaid.label("has_unpaid"),
               _open_count("client_session", "session").label("open_by_session"),
               _open_count("client_ip_hash", "ip").label("open_by_ip"),
               Product.id.label("product_id"), Product.name, Product.active,
               ProductVariant.id.label("variant_id"), ProductVariant.name.label("variant_name"),
               ProductVariant.sku, ProductVariant.price,
               ProductVariant.active.label("variant_active"), CartItem.quantity)
        .select_from(Cart)
        .outerjoin(CartItem, CartItem.cart_id == Cart.id)
        .outerjoin(Product, Product.id == CartItem.product_id)
        .outerjoin(ProductVariant, ProductVariant.id == CartItem.variant_id)
        .where(Cart.token == bindparam("token"), Cart.store_id == bindparam("store_id"))
        .order_by(CartItem.id)
    )
