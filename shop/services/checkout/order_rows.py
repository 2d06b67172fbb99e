"""The checkout's one write fast path: the new order and its lines, by two cached INSERTs.

Everything else the checkout writes goes through the ORM. These two rows are the exception
because a checkout post is the shop's busiest write, and the unit of work's bookkeeping for
an order and its lines cost 1 266 Python calls a post, the largest single share of the
CPU that the ORM writes added (docs/performance.md, "Decisions"). The statements are built
once per process on the models' tables, so their columns and defaults (``created_at``…)
are the models'; a value for a column the table does not have is refused by SQLAlchemy
("Unconsumed column names"), and a missing NOT NULL column by the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ...models import Order, OrderLine


@dataclass(frozen=True)
class NewOrder:
    """What the rest of the checkout's transaction needs of the order it has just written."""

    id: int
    token: str
    store_id: int
    email: str
    status: str
    total: int
    currency: str
    quantities: Mapping[int, int]  # variant id → units ordered


@cache
def _order_insert():
    table = Order.__table__
    return insert(table).returning(table.c.id)


@cache
def _lines_insert():
    return insert(OrderLine.__table__)


def insert_order(session: Session, order: Mapping[str, Any],
                 lines: Sequence[Mapping[str, Any]]) -> NewOrder:
    """Write the order (``order``: its column values) and its lines, in the caller's
    transaction; a repeated checkout token raises ``IntegrityError`` as an ORM flush would."""
    order_id = session.execute(_order_insert(), dict(order)).scalar_one()
    session.execute(_lines_insert(), [{**line, "order_id": order_id} for line in lines])
    quantities: dict[int, int] = {}
    for line in lines:
        quantities[line["variant_id"]] = quantities.get(line["variant_id"], 0) + line["quantity"]
    return NewOrder(id=order_id, token=order["token"], store_id=order["store_id"],
                    email=order["email"], status=order["status"], total=order["total"],
                    currency=order["currency"], quantities=quantities)
