from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime


class RefundLine(Model):
    """Units of one order line given back by one REFUND transaction.

    Written with the refund's claim; they count as refunded unless the refund fails. With
    ``restock`` the units go back on the shelf when the refund succeeds, once:
    ``restocked_at`` is set in that same transaction.
    """

    __tablename__ = "refund_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("payment_transactions.id"))
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    restock: Mapped[bool] = mapped_column(Boolean, default=False)
    restocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="refund_quantity_positive"),
        Index("ix_refund_lines_transaction", "transaction_id"),
        Index("ix_refund_lines_order_line", "order_line_id"),
    )
