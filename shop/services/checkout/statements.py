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

from sqlalchemy import bindparam, exists, func, insert, or_, select, update

from ...domain.states import OrderStatus, PaymentStatus
from ...models import (
    Cart,
    CartItem,
    HoldStatus,
    InventoryHold,
    Order,
    OrderLine,
    PaymentAttempt,
    Product,
)

carts, cart_items, products = Cart.__table__, CartItem.__table__, Product.__table__
orders, order_lines, attempts = Order.__table__, OrderLine.__table__, PaymentAttempt.__table__
holds = InventoryHold.__table__


def unpaid_orders_of(cart_id) -> tuple:
    """An order of the cart that a new checkout of it replaces: pending and not paid."""
    return (orders.c.cart_id == cart_id, orders.c.status == OrderStatus.PENDING,
            orders.c.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.FAILED]))


def open_checkouts_of(table, key_column: str, key, cart_id, now) -> tuple:
    """An unpaid order whose ``key_column`` is ``key``, of another cart than ``cart_id`` (a
    checkout of the same cart replaces its orders), whose holds still count at ``now``."""
    live = exists().where(holds.c.order_id == table.c.id, holds.c.status == HoldStatus.ACTIVE,
                          holds.c.expires_at > now)
    return (table.c[key_column] == key,
            or_(table.c.cart_id.is_(None), table.c.cart_id != cart_id),
            table.c.status == OrderStatus.PENDING,
            table.c.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.FAILED]), live)


def _open_count(key_column: str, param: str):
    other = orders.alias(f"open_{key_column}")
    return (select(func.count(other.c.id))
            .where(*open_checkouts_of(other, key_column, bindparam(param), carts.c.id,
                                      bindparam("now")))
            .correlate(carts).scalar_subquery())


@cache
def cart_lines():
    """The cart ``:token`` of store ``:store_id``, one row per line in the order the lines
    were added (one row without a product for an empty cart; none for no cart), each with
    the cart's checkout token, whether the cart has unpaid orders to supersede, and how
    many other unpaid orders of the browser session ``:session`` and of the address
    ``:ip`` hold stock at ``:now`` (the cap on open checkouts)."""
    has_unpaid = exists().where(*unpaid_orders_of(carts.c.id)).correlate(carts)
    return (
        select(carts.c.id.label("cart_id"), carts.c.checkout_token,
               has_unpaid.label("has_unpaid"),
               _open_count("client_session", "session").label("open_by_session"),
               _open_count("client_ip_hash", "ip").label("open_by_ip"),
               products.c.id.label("product_id"),
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
