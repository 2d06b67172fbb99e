from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.states import AttemptStatus
from ..extensions import db
from .order import Order
from .types import UTCDateTime, utcnow


class PaymentAttempt(db.Model):
    """One PaymentIntent and what we know of it; retried cards reuse the same intent."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    provider_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.INITIATED)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    idempotency_key: Mapped[str] = mapped_column(String(255), unique=True)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    last_error_code: Mapped[str | None] = mapped_column(String(100))
    last_error_message: Mapped[str | None] = mapped_column(Text)
    # The charge or payment method of the last failure seen, so that the browser and the
    # webhook reporting the same decline count it once.
    last_failure_ref: Mapped[str | None] = mapped_column(String(255))
    next_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship()

    __table_args__ = (
        Index("ix_payment_attempts_store_order", "store_id", "order_id"),
        Index("ix_payment_attempts_status", "status"),
        Index("ix_payment_attempts_created_at", "created_at"),
    )
