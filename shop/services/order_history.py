"""Finding orders again: a signed-in shopper's history, and a guest's lookup by number and
e-mail. Every query is scoped to its owner and store."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Order
from .accounts import normalize_email


@dataclass(frozen=True)
class OrderPage:
    orders: list[Order]
    page: int
    pages: int
    total: int


def orders_for_user(*, user_id: int, store_id: int, page: int, per_page: int,
                    status: str | None = None) -> OrderPage:
    """The user's orders, newest first, optionally only those in ``status``."""
    where = [Order.user_id == user_id, Order.store_id == store_id]
    if status:
        where.append(Order.status == status)
    total = db.session.scalar(select(func.count(Order.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    orders = list(db.session.scalars(
        select(Order).where(*where).order_by(Order.created_at.desc(), Order.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return OrderPage(orders, page, pages, total)


def order_for_user(*, user_id: int, store_id: int, number: int) -> Order | None:
    return db.session.scalar(select(Order).where(
        Order.id == number, Order.user_id == user_id, Order.store_id == store_id))


def parse_order_number(text: str) -> int | None:
    """``"000042"``, ``"#42"`` or ``" 42 "`` → 42; anything else → None."""
    digits = text.strip().lstrip("#").strip()
    if not digits.isdigit() or len(digits) > 12:
        return None
    return int(digits)


def find_order(*, store_id: int, number: str, email: str) -> Order | None:
    """The order with this number AND this e-mail, or None: a wrong pair says nothing about
    which half was wrong."""
    order_id = parse_order_number(number)
    if order_id is None:
        return None
    return db.session.scalar(select(Order).where(
        Order.id == order_id, Order.store_id == store_id,
        func.lower(Order.email) == normalize_email(email)))
