"""The shopper's payment history (``/account/payments``): every payment attempt and refund
of their orders in one list, newest first, filtered by status and date, in pages with a
real total.

One UNION ALL over the attempts and the refund rows of the shopper's orders (reached by
``ix_orders_user_created``, then each order's attempts and their transactions by index):
the work grows with the shopper's own orders, not with the shop's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, and_, case, false, func, literal, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from ...domain.ledger import TransactionKind, TransactionStatus
from ...domain.receipts import method_label
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import Order, PaymentAttempt, PaymentTransaction
from ...models.receipt import RECEIPT, Receipt

A, T = AttemptStatus, TransactionStatus
PAYMENT, REFUND = "payment", "refund"

# The filter's statuses in words. A declined card leaves its attempt open for another card:
# it reads "Failed or declined" here, not "In progress".
STATUSES: dict[str, str] = {
    "paid": "Paid", "authorized": "Authorized, not yet charged", "in_progress": "In progress",
    "failed": "Failed or declined", "canceled": "Canceled", "refunded": "Refunded",
    "refund_pending": "Refund on its way", "refund_failed": "Refund failed",
}
_PAYMENT_STATE = case(
    (PaymentAttempt.status == A.CAPTURED, "paid"),
    (PaymentAttempt.status == A.AUTHORIZED, "authorized"),
    (PaymentAttempt.status == A.FAILED, "failed"),
    (PaymentAttempt.status == A.CANCELED, "canceled"),
    (PaymentAttempt.last_error_code.is_not(None), "failed"),
    else_="in_progress")
_REFUND_STATE = case((PaymentTransaction.status == T.SUCCEEDED, "refunded"),
                     (PaymentTransaction.status == T.PENDING, "refund_pending"),
                     else_="refund_failed")


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
    # The ids of the shopper's attempts first (orders by user, then attempts by order, both
    # from their indexes); both halves then read their rows by index from that list. Joined
    # to orders in each half instead, PostgreSQL misjudged the joins: a scan of every
    # store's attempts, or parallel workers whose start cost more than the work.
    attempt_ids = list(db.session.scalars(
        select(PaymentAttempt.id).join(Order, Order.id == PaymentAttempt.order_id)
        .where(Order.user_id == user_id, Order.store_id == store_id)))
    attempts = (select(literal(PAYMENT).label("kind"), PaymentAttempt.id.label("id"),
                       PaymentAttempt.order_id.label("order_id"),
                       _PAYMENT_STATE.label("state"),
                       PaymentAttempt.amount.label("amount"),
                       PaymentAttempt.currency.label("currency"),
                       PaymentAttempt.created_at.label("at"))
                .where(PaymentAttempt.id.in_(attempt_ids)))
    refunds = (select(literal(REFUND), PaymentTransaction.id, PaymentAttempt.order_id,
                      _REFUND_STATE, PaymentTransaction.amount,
                      PaymentTransaction.currency, PaymentTransaction.created_at)
               .join(PaymentAttempt, PaymentAttempt.id == PaymentTransaction.attempt_id)
               .where(PaymentTransaction.attempt_id.in_(attempt_ids),
                      PaymentTransaction.kind == TransactionKind.REFUND))
    if status in STATUSES:
        # Plain column tests at each half's source (not the state's CASE, which the planner
        # cannot estimate): a half that cannot match is left out of the union.
        payment_test, refund_test = _status_tests(status)
        attempts = attempts.where(payment_test)
        refunds = refunds.where(refund_test)
    if since is not None:
        attempts = attempts.where(PaymentAttempt.created_at >= since)
        refunds = refunds.where(PaymentTransaction.created_at >= since)
    if before is not None:
        attempts = attempts.where(PaymentAttempt.created_at < before)
        refunds = refunds.where(PaymentTransaction.created_at < before)
    rows = union_all(attempts, refunds).subquery()
    page = max(1, page)
    found, total = _page_and_total(rows, page, per_page)
    pages = max(1, -(-total // per_page))
    if page > pages:  # past the end: the last page, once the total is known
        page = pages
        found, total = _page_and_total(rows, page, per_page)
    methods = _methods({row.order_id for row in found})
    return PaymentPage([_row(row, methods.get(row.order_id)) for row in found], page, pages,
                       total)


def _page_and_total(rows, page: int, per_page: int) -> tuple[Sequence[Row], int]:
    """One page and, with each row, the total (a window count): one statement, not two."""
    found = db.session.execute(
        select(rows, func.count().over().label("total"))
        .order_by(rows.c.at.desc(), rows.c.kind, rows.c.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    if found:
        return found, found[0].total
    return found, db.session.scalar(select(func.count()).select_from(rows)) or 0


def _status_tests(status: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """What ``status`` means for an attempt row and for a refund row, as column tests."""
    open_ = PaymentAttempt.status.in_((A.INITIATED, A.AUTHORIZING))
    declined = PaymentAttempt.last_error_code.is_not(None)
    payment = {"paid": PaymentAttempt.status == A.CAPTURED,
               "authorized": PaymentAttempt.status == A.AUTHORIZED,
               "canceled": PaymentAttempt.status == A.CANCELED,
               "failed": or_(PaymentAttempt.status == A.FAILED, and_(open_, declined)),
               "in_progress": and_(open_, ~declined)}
    refund = {"refunded": PaymentTransaction.status == T.SUCCEEDED,
              "refund_pending": PaymentTransaction.status == T.PENDING,
              "refund_failed": PaymentTransaction.status == T.FAILED}
    return payment.get(status, false()), refund.get(status, false())


def _methods(order_ids: set[int]) -> dict[int, dict | None]:
    """The card of each order's receipt (brand and last 4), one query for the page."""
    if not order_ids:
        return {}
    return dict(db.session.execute(select(Receipt.order_id, Receipt.payment_method).where(
        Receipt.order_id.in_(order_ids), Receipt.kind == RECEIPT)).all())


def _row(row, method: dict | None) -> PaymentRow:
    label = method_label(method)
    return PaymentRow(kind=row.kind, status=row.state, status_label=STATUSES[row.state],
                      amount=row.amount, currency=row.currency, at=row.at,
                      order_id=row.order_id,
                      method=f"Back to {label}" if row.kind == REFUND else label)
