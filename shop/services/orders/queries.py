"""Finding orders for staff: filters, search, keyset pages and the CSV export.

Pages are keyset pages on (sort column, id) behind ``store_id``, so page 20 000 costs what
page 1 costs; the indexes ``ix_orders_store_*`` exist for exactly these queries.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import bindparam, select, tuple_

from ...domain.money import minor_to_decimal
from ...domain.numbers import bounded_int, id_or_none
from ...extensions import db
from ...models import Order, PaymentAttempt
from ..accounts.users import normalize_email

# name → (column, descending)
SORTS = {
    "newest": (Order.created_at, True),
    "oldest": (Order.created_at, False),
    "total_high": (Order.total, True),
    "total_low": (Order.total, False),
}


@dataclass(frozen=True)
class OrderQuery:
    status: str = ""
    payment_status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    search: str = ""
    sort: str = "newest"
    attention: bool = False  # only orders flagged for a human (e.g. paid, out of stock)
    # Archived orders (services/orders/archive.py) are left out unless asked for or searched.
    include_archived: bool = False


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    older: str | None  # cursor for the next page in the chosen order
    newer: str | None  # cursor for the page before


def search_condition(text: str):
    """Order number (``123``, ``#000123``), PaymentIntent id (``pi_…``) or full e-mail."""
    text = text.strip()
    number = id_or_none(text)
    if number is not None:
        return Order.id == number
    if text.startswith("pi_"):
        return Order.id.in_(select(PaymentAttempt.order_id)
                            .where(PaymentAttempt.provider_reference == text))
    return Order.email == normalize_email(text)


def _conditions(store_id: int, query: OrderQuery) -> list:
    where = [Order.store_id == store_id]
    if query.status:
        where.append(Order.status == query.status)
    if query.payment_status:
        where.append(Order.payment_status == query.payment_status)
    if query.date_from:
        where.append(Order.created_at >= datetime.combine(query.date_from, time(), UTC))
    if query.date_to:
        end = datetime.combine(query.date_to + timedelta(days=1), time(), UTC)
        where.append(Order.created_at < end)
    if query.search:
        where.append(search_condition(query.search))
    if query.attention:
        where.append(Order.attention.is_not(None))
    # A search finds an archived order too: whoever types its number or e-mail wants it.
    if not (query.include_archived or query.search):
        where.append(Order.archived_at.is_(None))
    return where


def encode_cursor(order: Order, sort: str) -> str:
    value = getattr(order, SORTS[sort][0].key)
    return f"{value.isoformat() if isinstance(value, datetime) else value}~{order.id}"


def decode_cursor(cursor: str | None, sort: str):
    """``(value, id)`` or None for a missing or malformed cursor (then: the first page)."""
    if not cursor or "~" not in cursor:
        return None
    raw, _, raw_id = cursor.rpartition("~")
    value: datetime | int
    try:
        if SORTS[sort][0].key == "created_at":
            value = datetime.fromisoformat(raw)
            if value.tzinfo is None:
                return None
        else:
            value = bounded_int(raw, minimum=0)
        return value, bounded_int(raw_id)
    except ValueError:  # OutOfBounds too
        return None


def list_orders(*, store_id: int, query: OrderQuery, after: str | None = None,
                before: str | None = None, per_page: int = 50) -> OrderPage:
    """One page of the store's orders: after ``after`` or, going back, before ``before``."""
    column, descending = SORTS[query.sort]
    cursor = decode_cursor(after or before, query.sort)
    backwards = cursor is not None and not after
    scan_desc = descending != backwards
    stmt = select(Order).where(*_conditions(store_id, query))
    if cursor is not None:
        key = tuple_(column, Order.id)
        bound = tuple_(bindparam("cursor_value", cursor[0], type_=column.type),
                       bindparam("cursor_id", cursor[1], type_=Order.id.type))
        stmt = stmt.where(key < bound if scan_desc else key > bound)
    ordering = (column.desc(), Order.id.desc()) if scan_desc else (column.asc(), Order.id.asc())
    rows = list(db.session.scalars(stmt.order_by(*ordering).limit(per_page + 1)))
    more, rows = len(rows) > per_page, rows[:per_page]
    if backwards:
        rows.reverse()
    if not rows:
        return OrderPage([], None, None)
    first, last = encode_cursor(rows[0], query.sort), encode_cursor(rows[-1], query.sort)
    if backwards:
        return OrderPage(rows, last, first if more else None)
    return OrderPage(rows, last if more else None, first if cursor is not None else None)


CSV_HEADER = ["order", "created_at", "email", "name", "country", "region", "shipping_method",
              "status", "payment_status", "payment_method",
              "currency", "subtotal", "shipping", "tax", "total", "paid_at", "carrier",
              "tracking_number", "shipped_at", "attention", "archived_at"]


def _cell(value) -> str:
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) \
        else str(value)
    # A cell starting like a formula runs as one in a spreadsheet: neutralise it.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_row(order: Order) -> list[str]:
    money = [minor_to_decimal(v, order.currency)
             for v in (order.subtotal, order.shipping, order.tax, order.total)]
    values = [order.number, order.created_at, order.email, order.ship_name, order.ship_country,
              order.ship_region, order.shipping_method, order.status, order.payment_status,
              order.payment_method, order.currency, *money, order.paid_at,
              order.carrier, order.tracking_number, order.shipped_at, order.attention,
              order.archived_at]
    return [_cell(v) for v in values]


def export_csv(*, store_id: int, query: OrderQuery, batch: int = 1000,
               unit_of_work: Callable[[], AbstractContextManager] = nullcontext
               ) -> Iterator[str]:
    """The filtered orders as CSV text chunks, one keyset batch at a time (for streaming).

    Each batch runs inside ``unit_of_work()`` (the web layer passes a fresh app context), so
    a long export holds neither a transaction nor every order in memory between chunks.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    cursor = None
    while True:
        buffer.seek(0)
        buffer.truncate()
        with unit_of_work():
            page = list_orders(store_id=store_id, query=query, after=cursor, per_page=batch)
            for order in page.orders:
                writer.writerow(_csv_row(order))
        if buffer.tell():
            yield buffer.getvalue()
        if page.older is None:
            return
        cursor = page.older
