from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class PaymentDispute(Model):
    """A chargeback on a captured payment, as Stripe last told us (``provider_reference`` dp_…).

    One row per Stripe dispute, so that however often (and in whatever order) its events
    arrive, it is opened, alerted and closed once. ``status`` is Stripe's; ``alert_id`` is the
    staff alert it opened.
    """

    __tablename__ = "payment_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempts.id"))
    provider_reference: Mapped[str] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(30))
    evidence_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("staff_alerts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_payment_disputes_order", "order_id"),
        Index("ix_payment_disputes_store_status", "store_id", "status"),
    )
