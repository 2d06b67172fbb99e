from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow

RECEIPT = "receipt"
CREDIT_NOTE = "credit_note"


class DocumentCounter(Model):
    """The last number a store gave to one kind of document (receipt, credit note).

    Taken with a conditional UPDATE inside the transaction that issues the document: the row
    stays locked until that transaction ends, so a rollback gives its number back (a
    database sequence would skip it) and two payments never get the same number.
    """

    __tablename__ = "document_counters"

    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"),
                                          primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Receipt(Model):
    """An issued receipt or credit note: its number and an immutable snapshot of what it says.

    Every PDF and e-mail is drawn from ``snapshot``; nothing here is updated once written,
    except ``payment_method`` when the paying event did not carry the card's brand and
    last 4 digits (filled once, from Stripe's charge, before the first e-mail is drawn).
    """

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int] = mapped_column(Integer)
    # A credit note: the receipt it corrects and the REFUND transaction it records.
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("receipts.id"))
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("payment_transactions.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    snapshot: Mapped[dict] = mapped_column(JSON)
    payment_method: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))

    __table_args__ = (
        UniqueConstraint("store_id", "kind", "number", name="uq_receipts_store_kind_number"),
        CheckConstraint(f"kind IN ('{RECEIPT}', '{CREDIT_NOTE}')", name="receipt_kind_known"),
        # One receipt per order, however often the settle function runs.
        Index("uq_receipts_one_per_order", "order_id", unique=True,
              sqlite_where=text(f"kind = '{RECEIPT}'"),
              postgresql_where=text(f"kind = '{RECEIPT}'")),
        Index("ix_receipts_order", "order_id", "kind", "number"),
    )

    @property
    def label(self) -> str:
        """The number as printed and in URLs: R-000017, CN-000003."""
        return document_label(self.kind, self.number)


PREFIXES = {RECEIPT: "R", CREDIT_NOTE: "CN"}


def document_label(kind: str, number: int) -> str:
    return f"{PREFIXES[kind]}-{number:06d}"


def parse_label(label: str) -> tuple[str, int] | None:
    """``"R-000017"`` → (receipt, 17); anything else → None."""
    prefix, _, digits = label.partition("-")
    kind = next((k for k, p in PREFIXES.items() if p == prefix), None)
    if kind is None or not digits.isdigit() or len(digits) > 9:
        return None
    return kind, int(digits)
