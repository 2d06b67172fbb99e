"""The shopper's payment history (``/account/payments``): every payment attempt and refund
of their orders in one list, newest first, filtered by status and date, in pages with a
real total; and the writes that keep its read model (``PaymentHistoryEntry``) in step.

A page is one statement whose plan is fixed by its shape, whatever the planner estimates:
the page's entries are a range of ``ix_payment_history_user`` (the shopper, the store,
newest first) cut by LIMIT in a subquery, then joined to their attempt, refund and receipt
by key (at most a page of rows); the total counts the same range. A status filter tests
each entry of the range through a correlated subquery (one lookup by primary key an
entry), never a join: joined, PostgreSQL chose to hash all of the shop's attempts or
refunds, in parallel, to count one shopper's. The work grows with the shopper's own
history, not with the shop's.

An entry is written in the transaction that writes its attempt or refund, with the order's
shopper read under that order's row lock; a claim of guest orders moves their entries with
them (``follow_orders``). Nothing else writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Row, Select, and_, case, func, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from ...domain.ledger import TransactionKind, TransactionStatus
from ...domain.receipts import method_label
from ...domain.states import AttemptStatus
from ...extensions import db
from ...models import PaymentAttempt, PaymentHistoryEntry, PaymentTransaction
from ...models.receipt import RECEIPT, Receipt
from ..platform.tx import rows_matched

A, T = AttemptStatus, TransactionStatus
E = PaymentHistoryEntry
PAYMENT, REFUND = "payment", "refund"

# The filter's statuses in words. A declined card leaves its attempt open for another card:
# it reads "Failed or declined" here, not "In progress".
STATUSES: dict[str, str] = {
    "paid": "Paid", "authorized": "Authorized, not yet charged", "in_progress": "In progress",
    "failed": "Failed or declined", "canceled": "Canceled", "refunded": "Refunded",
    "refund_pending": "Refund on its way", "refund_failed": "Refund failed",
}
REFUND_STATUSES = ("refunded", "refund_pending", "refund_failed")
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
    where: list[ColumnElement[bool]] = [E.user_id == user_id, E.store_id == store_id]
    if since is not None:
        where.append(E.at >= since)
    if before is not None:
        where.append(E.at < before)
    if status in STATUSES:
        where.append(_state_is(status))
    entries = select(E).where(*where)
    page = max(1, page)
    found, total = _page_and_total(entries, page, per_page)
    pages = max(1, -(-total // per_page))
    if page > pages:  # past the end: the last page, once the total is known
        page = pages
        found, total = _page_and_total(entries, page, per_page)
    return PaymentPage([_row(row) for row in found], page, pages, total)


def _page_and_total(entries: Select, page: int,
                    per_page: int) -> tuple[Sequence[Row], int]:
    """One page and, with each row, the total (an uncorrelated subquery, computed once):
    one statement."""
    count = select(func.count()).select_from(entries.subquery())
    total = count.correlate(None).scalar_subquery()
    cut = aliased(E, entries.order_by(E.at.desc(), E.id.desc())
                  .limit(per_page).offset((page - 1) * per_page).subquery())
    refund = cut.transaction_id.is_not(None)
    found = db.session.execute(
        select(cut.transaction_id, cut.order_id, cut.at,
               case((refund, _REFUND_STATE), else_=_PAYMENT_STATE).label("state"),
               func.coalesce(PaymentTransaction.amount, PaymentAttempt.amount)
               .label("amount"),
               PaymentAttempt.currency, Receipt.payment_method, total.label("total"))
        .join(PaymentAttempt, PaymentAttempt.id == cut.attempt_id)
        .outerjoin(PaymentTransaction, PaymentTransaction.id == cut.transaction_id)
        .outerjoin(Receipt, and_(Receipt.order_id == cut.order_id, Receipt.kind == RECEIPT))
        .order_by(cut.at.desc(), cut.id.desc())).all()
    if found:
        return found, found[0].total
    if page == 1:  # nothing matches: no need to count it
        return found, 0
    return found, db.session.scalar(count) or 0


def _state_is(status: str) -> ColumnElement[bool]:
    """An entry's state is ``status``: the state of its refund, or of its attempt if it is a
    payment's (None otherwise), looked up by key for each entry of the range. A correlated
    subquery, which the planner cannot turn into a join; and the entry's kind is tested in
    it, not beside it, where the planner would read every refund's entry by
    ``uq_payment_history_transaction`` (33 000 in the benchmark) to find the shopper's."""
    if status in REFUND_STATUSES:
        state = select(_REFUND_STATE).where(PaymentTransaction.id == E.transaction_id)
    else:
        state = select(_PAYMENT_STATE).where(PaymentAttempt.id == E.attempt_id,
                                             E.transaction_id.is_(None))
    return state.correlate(E).scalar_subquery() == status


def _row(row) -> PaymentRow:
    label = method_label(row.payment_method)
    refund = row.transaction_id is not None
    return PaymentRow(kind=REFUND if refund else PAYMENT, status=row.state,
                      status_label=STATUSES[row.state], amount=row.amount,
                      currency=row.currency, at=row.at, order_id=row.order_id,
                      method=f"Back to {label}" if refund else label)


def note_attempt(session: Session, attempt: PaymentAttempt, *, user_id: int | None) -> None:
    """The new attempt's entry, in the transaction that adds the attempt (once flushed: its
    id, by value rather than by the relationship, which would cost the flush a dependency
    step, and its ``created_at``, the entry's date). ``user_id``: its order's shopper, read in a
    transaction that created or locked the order (so that a claim of that order cannot slip
    between the read and this entry)."""
    session.add(PaymentHistoryEntry(store_id=attempt.store_id, user_id=user_id,
                                    order_id=attempt.order_id, attempt_id=attempt.id,
                                    at=attempt.created_at))


def note_refund(session: Session, row: PaymentTransaction, attempt: PaymentAttempt, *,
                user_id: int | None) -> None:
    """The new REFUND row's entry, under the same rule as ``note_attempt``."""
    assert row.kind == TransactionKind.REFUND, "only refunds are listed besides attempts"
    session.add(PaymentHistoryEntry(store_id=row.store_id, user_id=user_id,
                                    order_id=attempt.order_id, attempt=attempt,
                                    transaction=row, at=row.created_at))


def follow_orders(session: Session, *, order_ids: Sequence[int], user_id: int) -> int:
    """The entries of guest orders just given to ``user_id`` (a claim) become theirs, in the
    claim's transaction, after the orders' own update (whose row locks make a refund or a
    new attempt of those orders wait, or be seen here once it has committed)."""
    return rows_matched(session, update(PaymentHistoryEntry)
                        .where(PaymentHistoryEntry.order_id.in_(order_ids),
                               PaymentHistoryEntry.user_id.is_(None))
                        .values(user_id=user_id)
                        .execution_options(synchronize_session=False))
