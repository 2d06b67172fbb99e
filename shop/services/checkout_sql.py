"""The checkout's statements, built once per process and run with bind parameters.

A checkout post is the shop's busiest write, and on a busy machine its latency is its CPU
time multiplied by the wait for a core. Building its statements anew on every post
(SQLAlchemy's expression construction and cache keys) and loading ORM objects that it only
reads or inserts took a third of that CPU: 9.1 ms a post before, 6.2 after, in-process
(docs/performance.md, "Fourth round").
Built once, each statement is compiled once per process; they are plain Core statements on
the models' tables (no ORM machinery on the way in or out) and return plain rows. Column
defaults (``created_at``, ``updated_at``'s onupdate) still apply: they belong to the tables.
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, exists, insert, select, update

from ..domain.states import OrderStatus, PaymentStatus
from ..models import Cart, CartItem, Order, OrderLine, PaymentAttempt, Product

carts, cart_items, products = Cart.__table__, CartItem.__table__, Product.__table__
orders, order_lines, attempts = Order.__table__, OrderLine.__table__, PaymentAttempt.__table__


def unpaid_orders_of(cart_id) -> tuple:
    """An order of the cart that a new checkout of it replaces: pending and not paid."""
    return (orders.c.cart_id == cart_id, orders.c.status == OrderStatus.PENDING,
            orders.c.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.FAILED]))


@cache
def cart_lines():
    """The cart ``:token`` of store ``:store_id``, one row per line in the order the lines
    were added (one row without a product for an empty cart; none for no cart), each with
    the cart's checkout token and whether the cart has unpaid orders to supersede."""
    has_unpaid = exists().where(*unpaid_orders_of(carts.c.id)).correlate(carts)
    return (
        select(carts.c.id.label("cart_id"), carts.c.checkout_token,
               has_unpaid.label("has_unpaid"), products.c.id.label("product_id"),
               products.c.name, products.c.price, products.c.active, cart_items.c.quantity)
        .select_from(carts.outerjoin(cart_items, cart_items.c.cart_id == carts.c.id)
                     .outerjoin(products, products.c.id == cart_items.c.product_id))
        .where(carts.c.token == bindparam("token"), carts.c.store_id == bindparam("store_id"))
        .order_by(cart_items.c.id)
    )


@cache
def insert_order():
    return insert(orders).returning(orders.c.id)


@cache
def insert_order_lines():
    return insert(order_lines)


@cache
def insert_attempt():
    return insert(attempts).returning(attempts.c.id)


@cache
def clear_checkout_token():
    """The cart's one-time token is spent: the next checkout of the cart gets a new one."""
    return (update(carts).where(carts.c.id == bindparam("cart"))
            .values(checkout_token=None))
