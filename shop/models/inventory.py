from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class HoldStatus(enum.StrEnum):
    ACTIVE = "active"  # counts against stock until expires_at
    CONVERTED = "converted"  # became a stock decrement when the order was paid
    RELEASED = "released"  # given back (expired, canceled)


class InventoryHold(Model):
    """Stock set aside for an order while it is being paid for."""

    __tablename__ = "inventory_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=HoldStatus.ACTIVE)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_inventory_holds_product_status_expires", "product_id", "status", "expires_at"),
        # What is held of a variant, the check behind every sale (migration 0017_variants).
        Index("ix_inventory_holds_variant_status_expires", "variant_id", "status", "expires_at"),
        Index("ix_inventory_holds_order", "order_id"),
        # Hold expiry walks active holds in order-id batches (services/inventory/expiry.py).
        Index("ix_inventory_holds_status_order_expires", "status", "order_id", "expires_at"),
        # /metrics counts the last day's holds (shop_inventory_holds_last_day).
        Index("ix_inventory_holds_created", "created_at"),
    )
