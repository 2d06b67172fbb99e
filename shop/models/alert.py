from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class StaffAlert(Model):
    """Something a person in the store must look at; open until ``resolved_at`` is set.

    ``kind`` says what (``authorization_expiring``, ``reconciliation_unresolved``, disputes
    later); at most one open alert of a kind exists per order or attempt.
    """

    __tablename__ = "staff_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("payment_attempts.id"))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_staff_alerts_store_open", "store_id", "resolved_at"),
        Index("ix_staff_alerts_kind_order_attempt", "kind", "order_id", "attempt_id"),
    )
