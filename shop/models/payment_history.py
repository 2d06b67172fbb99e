from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .payment import PaymentAttempt, PaymentTransaction
from .types import UTCDateTime

PAYMENT_ROW = text("transaction_id IS NULL")


class PaymentHistoryEntry(Model):
    """One line of a shopper's payment history (``/account/payments``): a payment attempt,
    or a refund (``transaction_id``) of one, under the order's shopper.

    A read model: status and amounts stay on the attempt and the refund row; this row holds
    what never changes (the order, the date) and whose history it is, so that a shopper's
    page is one range of ``ix_payment_history_user``. It is inserted in the transaction that
    inserts its attempt or refund, and ``user_id`` follows the order's when a guest order
    is claimed (``services/payments/history.py``).
    """

    __tablename__ = "payment_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    # The order's shopper: None for a guest order until an account claims it.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempts.id"))
    transaction_id: Mapped[int | None] = mapped_column(ForeignKey("payment_transactions.id"))
    # The attempt's or the refund's created_at.
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    attempt: Mapped[PaymentAttempt] = relationship()
    transaction: Mapped[PaymentTransaction | None] = relationship()

    __table_args__ = (
        # A page is a range of this index; a count with a status filter reads it alone to
        # the joined rows (the included keys), never the entries' heap.
        Index("ix_payment_history_user", "user_id", "store_id", "at", "id",
              postgresql_include=["attempt_id", "transaction_id"]),
        Index("ix_payment_history_order", "order_id"),
        # One line per attempt and one per refund.
        Index("uq_payment_history_attempt", "attempt_id", unique=True,
              sqlite_where=PAYMENT_ROW, postgresql_where=PAYMENT_ROW),
        Index("uq_payment_history_transaction", "transaction_id", unique=True),
    )
