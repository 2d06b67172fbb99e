from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.ledger import TransactionKind, TransactionStatus
from ..domain.states import AttemptStatus
from ..extensions import Model
from .order import Order
from .types import UTCDateTime, utcnow


class PaymentAttempt(Model):
    """One PaymentIntent and what we know of it; retried cards reuse the same intent."""

    __tablename__ = "payment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    provider_reference: Mapped[str | None] = mapped_column(String(255), unique=True)
    # A hosted payment page's session at the provider (a Stripe Checkout Session id, a
    # Paystack access code...) and its link, so the pay page can send the shopper back to it.
    session_id: Mapped[str | None] = mapped_column(String(255))
    redirect_url: Mapped[str | None] = mapped_column(Text)
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
    # automatic | manual: what the PaymentIntent was created with.
    capture_method: Mapped[str] = mapped_column(String(20), default="automatic",
                                                server_default="automatic")
    # When the card authorization lapses if not captured (Stripe's charge.capture_before).
    capture_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship()
    transactions: Mapped[list[PaymentTransaction]] = relationship(
        back_populates="attempt", order_by="PaymentTransaction.id", viewonly=True)

    __table_args__ = (
        Index("ix_payment_attempts_store_order", "store_id", "order_id"),
        # An order's latest attempt (checkout, payment page, receipts, hold expiry): by order,
        # newest id; also serves lookups by order alone.
        Index("ix_payment_attempts_order_id", "order_id", "id"),
        Index("ix_payment_attempts_status", "status"),
        Index("ix_payment_attempts_created_at", "created_at"),
        Index("ix_payment_attempts_status_capture_before", "status", "capture_before"),
        Index("uq_payment_attempts_session_id", "session_id", unique=True),
    )


class PaymentTransaction(Model):
    """One movement of money on an attempt; the ledger's figures are sums over these rows.

    Rows are inserted PENDING before the provider is called (the row is the claim that stops
    a second capture or an over-refund) and then marked succeeded or failed, never deleted.
    """

    __tablename__ = "payment_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempts.id"))
    # A REFUND points at the CAPTURE it gives money back from.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("payment_transactions.id"))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=TransactionStatus.PENDING)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # The charge (AUTH, CAPTURE), refund (REFUND) or intent (VOID) at the provider.
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    failure_code: Mapped[str | None] = mapped_column(String(100))
    failure_message: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    attempt: Mapped[PaymentAttempt] = relationship(back_populates="transactions")

    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(f"kind IN {tuple(k.value for k in TransactionKind)}", name="kind_known"),
        CheckConstraint(f"status IN {tuple(s.value for s in TransactionStatus)}",
                        name="status_known"),
        Index("ix_payment_transactions_attempt", "attempt_id"),
        Index("ix_payment_transactions_status_created", "status", "created_at"),
        # A refund (re_…) or charge id is stored once; AUTH and CAPTURE share their charge id.
        Index("uq_payment_transactions_kind_provider_reference", "kind", "provider_reference",
              unique=True),
        # At most one live AUTH, CAPTURE and VOID per attempt, whatever the callers race.
        Index("uq_payment_transactions_one_live", "attempt_id", "kind", unique=True,
              sqlite_where=text("kind != 'refund' AND status != 'failed'"),
              postgresql_where=text("kind != 'refund' AND status != 'failed'")),
    )
