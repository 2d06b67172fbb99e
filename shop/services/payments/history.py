"""The shopper's payment history (``/account/payments``): every payment attempt and refund
of their orders in one list, newest first, filtered by status and date, in pages with a
real total.

One UNION ALL over the attempts and the refund rows of the shopper's orders (reached by
``ix_orders_user_created``, then each order's attempts and their transactions by index):
the work grows with the shopper's own orders, not with the shop's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from ...domain.ledger import TransactionKind, TransactionStatus
from ...domain.receipts import method_label
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import Order, PaymentAttempt, PaymentTransaction
from ...models.receipt import RECEIPT, Receipt

A, T = AttemptStatus, TransactionStatus
PAYMENT, REFUND = "payment", "refund"

# The filter's statuses, in words, and which rows each one means: (kind, stored statuses).
STATUSES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "paid": ("Paid", PAYMENT, (A.CAPTURED,)),
    "authorized": ("Authorized, not yet charged", PAYMENT, (A.AUTHORIZED,)),
    "in_progress": ("In progress", PAYMENT, (A.INITIATED, A.AUTHORIZING)),
    "failed": ("Failed", PAYMENT, (A.FAILED,)),
    "canceled": ("Canceled", PAYMENT, (A.CANCELED,)),
    "refunded": ("Refunded", REFUND, (T.SUCCEEDED,)),
    "refund_pending": ("Refund on its way", REFUND, (T.PENDING,)),
    "refund_failed": ("Refund failed", REFUND, (T.FAILED,)),
}


@dataclass(frozen=True)
class PaymentRow:
    kind: str  # payment | refund
    status: str  # the filter's key: paid, refunded, ...
    status_label: str
    amount: int
    currency: str
    at: datetime
    order_id: int
    method: str

    @property
    def order_number(self) -> str:
        return f"{self.order_id:06d}"


@dataclass(frozen=True)
class PaymentPage:
    rows: list[PaymentRow]
    page: int
    pages: int
    total: int


def payment_history(*, user_id: int, store_id: int, page: int, per_page: int,
                    status: str | None = None, since: datetime | None = None,
                    before: datetime | None = None) -> PaymentPage:
    """One page of the shopper's payments and refunds; ``before`` is exclusive."""
    mine = and_(Order.user_id == user_id, Order.store_id == store_id)
    attempts = (select(literal(PAYMENT).label("kind"), PaymentAttempt.id.label("id"),
                       PaymentAttempt.order_id.label("order_id"),
                       PaymentAttempt.status.label("status"),
                       PaymentAttempt.amount.label("amount"),
                       PaymentAttempt.currency.label("currency"),
                       PaymentAttempt.created_at.label("at"))
                .join(Order, Order.id == PaymentAttempt.order_id).where(mine))
    refunds = (select(literal(REFUND), PaymentTransaction.id, PaymentAttempt.order_id,
                      PaymentTransaction.status, PaymentTransaction.amount,
                      PaymentTransaction.currency, PaymentTransaction.created_at)
               .join(PaymentAttempt, PaymentAttempt.id == PaymentTransaction.attempt_id)
               .join(Order, Order.id == PaymentAttempt.order_id)
               .where(mine, PaymentTransaction.kind == TransactionKind.REFUND))
    if status in STATUSES:
        _label, kind, stored = STATUSES[status]
        attempts = attempts.where(_when(kind == PAYMENT, PaymentAttempt.status.in_(stored)))
        refunds = refunds.where(_when(kind == REFUND, PaymentTransaction.status.in_(stored)))
    if since is not None:
        attempts = attempts.where(PaymentAttempt.created_at >= since)
        refunds = refunds.where(PaymentTransaction.created_at >= since)
    if before is not None:
        attempts = attempts.where(PaymentAttempt.created_at < before)
        refunds = refunds.where(PaymentTransaction.created_at < before)
    rows = union_all(attempts, refunds).subquery()
    total = db.session.scalar(select(func.count()).select_from(rows)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    found = db.session.execute(select(rows).order_by(rows.c.at.desc(), rows.c.kind,
                                                     rows.c.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    methods = _methods({row.order_id for row in found})
    return PaymentPage([_row(row, methods.get(row.order_id)) for row in found], page, pages,
                       total)


def _when(applies: bool, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    # A status of the other kind filters that half of the union out entirely.
    return condition if applies else literal(False)


def _methods(order_ids: set[int]) -> dict[int, dict | None]:
    """The card of each order's receipt (brand and last 4), one query for the page."""
    if not order_ids:
        return {}
    return dict(db.session.execute(select(Receipt.order_id, Receipt.payment_method).where(
        Receipt.order_id.in_(order_ids), Receipt.kind == RECEIPT)).tuples().all())


def _row(row, method: dict | None) -> PaymentRow:
    key = next(k for k, (_l, kind, stored) in STATUSES.items()
               if kind == row.kind and row.status in stored)
    label = method_label(method)
    return PaymentRow(kind=row.kind, status=key, status_label=STATUSES[key][0],
                      amount=row.amount, currency=row.currency, at=row.at,
                      order_id=row.order_id,
                      method=f"Back to {label}" if row.kind == REFUND else label)
