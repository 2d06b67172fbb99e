from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class StripeEvent(db.Model):
    """Each Stripe event id once: the primary key is the dedup."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    # processed | ignored (type we do not handle) | unmatched (kept for reconciliation)
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_stripe_events_outcome_received", "outcome", "received_at"),
        Index("ix_stripe_events_payment_intent", "payment_intent_id"),
    )
