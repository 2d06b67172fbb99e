from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model, db
from .types import UTCDateTime, utcnow


class SentEmail(Model):
    """One row per message actually sent; the unique key makes a repeated job a no-op."""

    __tablename__ = "sent_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    # receipt, receipt#2 (a resend), order_canceled, order_expired, refund:<refund id>
    kind: Mapped[str] = mapped_column(String(80))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (db.UniqueConstraint("order_id", "kind", name="uq_sent_emails_order_kind"),)
