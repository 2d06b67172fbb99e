from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, synonym

from ..extensions import Model
from .types import UTCDateTime, utcnow


class EventStatus(StrEnum):
    """What became of a Stripe event; only ``failed`` ones are processed again."""

    PROCESSED = "processed"
    FAILED = "failed"  # processing raised: Stripe's retry or a staff replay runs it again
    IGNORED = "ignored"  # a type we have no handler for
    UNMATCHED = "unmatched"  # not one of our PaymentIntents: kept for reconciliation


class StripeEvent(Model):
    """Each Stripe event id once: the primary key is the dedup."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    # An ``EventStatus``; the column keeps its first name, ``status`` is the name to use.
    outcome: Mapped[str] = mapped_column(String(20))
    status = synonym("outcome")
    detail: Mapped[str | None] = mapped_column(Text)
    # The verified event as Stripe sent it, so that a failed one can be replayed.
    payload: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_stripe_events_outcome_received", "outcome", "received_at"),
        Index("ix_stripe_events_payment_intent", "payment_intent_id"),
    )


class ProviderEvent(Model):
    """Each webhook of a redirect provider (Paystack, Flutterwave) once: the primary key
    (provider, event id) is the dedup. The event id is the adapter's (``ProviderEvent``)."""

    __tablename__ = "provider_events"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    # Our payment reference the event names (the attempt's provider_reference), if any.
    reference: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(20))  # an ``EventStatus``
    payload: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_provider_events_received", "received_at"),
        Index("ix_provider_events_reference", "reference"),
    )
