from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class StaffAlert(Model):
    """Something a person in the store must look at; open until ``resolved_at`` is set.

    ``kind`` says what (``authorization_expiring``, ``dispute``, the threshold kinds of
    ``services/platform/thresholds.py``…); at most one open alert of a kind exists per store,
    order and attempt (threshold alerts name no order: one per kind and store).
    """

    __tablename__ = "staff_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(60))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("payment_attempts.id"))
    message: Mapped[str] = mapped_column(Text)
    # The figures that opened it ({"rate": 85.0, "sample": 40, "threshold": 90, ...}).
    figures: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A threshold alert's condition was last seen true then; it resolves itself once clear
    # for a whole window after this.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Owners were e-mailed (once per opening: the job sets this under the row's claim).
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(120))  # staff:<email> or system
    resolved_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_staff_alerts_store_open", "store_id", "resolved_at"),
        Index("ix_staff_alerts_kind_order_attempt", "kind", "order_id", "attempt_id"),
    )


class AlertSettings(Model):
    """A store's alert thresholds and webhook; a NULL threshold means the config's default.

    The webhook's signing secret is not stored: it is derived from SECRET_KEY and
    ``webhook_secret_nonce`` (``services/platform/alert_notices.signing_secret``); a new
    nonce is a new secret, shown to the owner once.
    """

    __tablename__ = "store_alert_settings"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    success_rate_min: Mapped[int | None] = mapped_column(Integer)  # whole percent
    min_sample: Mapped[int | None] = mapped_column(Integer)
    webhook_failure_max: Mapped[int | None] = mapped_column(Integer)  # whole percent
    hold_lapse_max: Mapped[int | None] = mapped_column(Integer)  # whole percent
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret_nonce: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
