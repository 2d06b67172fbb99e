from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class OutboxMessage(Model):
    """A job that a committed state change asked for, written in the same transaction.

    The dispatcher hands it to RQ (or runs it in-process) and sets ``dispatched_at``; until
    then it is picked up again at ``available_at``, so a job is never lost when Redis is away.
    """

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(80))  # a name in shop.jobs.registry.JOBS
    args: Mapped[str] = mapped_column(Text, default="{}")  # JSON keyword arguments
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Not before this time: a claim pushes it forward (a lease), a failure by a backoff.
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_outbox_messages_pending", "dispatched_at", "available_at"),
    )
