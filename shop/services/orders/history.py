"""Finding orders again: a signed-in shopper's history, and a guest's lookup by number and
e-mail. Every query is scoped to its owner and store."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from sqlalchemy import func, select

from ...after_response import defer_until_sent
from ...domain.numbers import id_or_none
from ...extensions import db
from ...models import Order
from ..accounts.users import normalize_email
from ..notifications import mail as notifications

# What the typed e-mail is compared with when no order has the number: "no such order"
# then does the same work as "wrong e-mail". Never a deliverable address.
NO_ORDER_EMAIL = "no-such-order@invalid"


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
    return id_or_none(text.strip())


def match_order(*, store_id: int, number: str, email: str) -> int | None:
    """The id of the order with this number AND this e-mail, or None.

    Found or not, the same statement runs and one constant-time comparison is made, so how
    long the answer takes does not tell a wrong number from a wrong e-mail.
    """
    order_id = parse_order_number(number) or 0
    row = db.session.execute(select(Order.id, Order.email).where(
        Order.id == order_id, Order.store_id == store_id)).first()
    stored = normalize_email(row.email) if row is not None else NO_ORDER_EMAIL
    same = hmac.compare_digest(stored.encode(), normalize_email(email).encode())
    return row.id if row is not None and same else None


def mail_order_link(*, store_id: int, number: str, email: str) -> bool:
    """A guest's lookup: if the pair matches an order, e-mail its link to that address.

    Nothing about the order is returned: whoever guessed a pair learns nothing on screen,
    and the mail goes out once the answer has been sent (its time is not the answer's).
    True if a mail was asked for (for the caller's tests and logs, never for the page).
    """
    order_id = match_order(store_id=store_id, number=number, email=email)
    if order_id is None:
        return False

    def send() -> None:
        notifications.send_order_link(order_id)

    if not defer_until_sent(send):
        send()
    return True
