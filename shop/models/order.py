from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..domain.regions import address_lines
from ..domain.states import OrderStatus, PaymentStatus
from ..extensions import Model
from .types import UTCDateTime, utcnow

# Partial indexes over the orders not archived (services/orders/archive.py).
_LIVE: dict[str, Any] = {"sqlite_where": text("archived_at IS NULL"),
                         "postgresql_where": text("archived_at IS NULL")}

# How ``attention`` starts when a payment landed after the order's stock was gone.
PAID_OUT_OF_STOCK = "Paid, out of stock"


class Order(Model):
    """What the shopper bought, at the prices the server computed when they checked out."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    # Guests reach their order by this unguessable token; ids are never exposed.
    token: Mapped[str] = mapped_column(String(64), unique=True)
    checkout_token: Mapped[str] = mapped_column(String(64), unique=True)
    cart_id: Mapped[int | None] = mapped_column(ForeignKey("carts.id", ondelete="SET NULL"))
    # Set when a signed-in shopper checks out; guests have only the token.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING)
    payment_status: Mapped[str] = mapped_column(String(20), default=PaymentStatus.UNPAID)
    email: Mapped[str] = mapped_column(String(254))
    ship_name: Mapped[str] = mapped_column(String(120))
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str] = mapped_column(String(200), default="")
    ship_city: Mapped[str] = mapped_column(String(120))
    ship_postal_code: Mapped[str] = mapped_column(String(20))
    # ISO 3166-2 ("US-TX") where the country has regions, else "" (and on older orders).
    ship_region: Mapped[str] = mapped_column(String(6), default="", server_default="")
    ship_country: Mapped[str] = mapped_column(String(2))
    shipping_method: Mapped[str] = mapped_column(String(20))
    # The way the shopper chose to pay (domain/payment_choice.METHODS): "stripe" is the
    # Payment Element, "stripe_checkout" Stripe's hosted page, "cod" cash on delivery...
    payment_method: Mapped[str] = mapped_column(String(20), default="stripe",
                                                server_default="stripe")
    # A bank transfer's reference (ISO 11649, domain/payment_methods/bank_reference.py),
    # shown to the payer.
    payment_reference: Mapped[str | None] = mapped_column(String(35))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(Integer)
    shipping: Mapped[int] = mapped_column(Integer)
    tax: Mapped[int] = mapped_column(Integer)
    tax_rate_bp: Mapped[int] = mapped_column(Integer, default=0)
    # What the payment method adds (cash on delivery's fee), already in ``total``.
    payment_fee: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    total: Mapped[int] = mapped_column(Integer)
    # Set when a human must look: e.g. paid after its stock was gone.
    attention: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Fulfilment, set by staff as the parcel moves; shown on the shopper's status page.
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by the archive job (services/orders/archive.py): hidden from the default admin
    # list, still searchable, exported and in the shopper's history; status is unchanged.
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the checkout came from, as keyed hashes (services/checkout/client_keys.py), never
    # the raw address: the card-testing guard counts declines per address, and checkout caps the
    # unpaid orders holding stock per browser session and per address.
    client_ip_hash: Mapped[str | None] = mapped_column(String(32))
    client_session: Mapped[str | None] = mapped_column(String(32))

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )

    __table_args__ = (
        # The admin's keyset pages: (sort column, id) behind the store, per filter.
        Index("ix_orders_store_created_id", "store_id", "created_at", "id"),
        # The default admin list and the archive job's scan: orders not archived yet.
        Index("ix_orders_store_live_created_id", "store_id", "created_at", "id", **_LIVE),
        Index("ix_orders_store_status", "store_id", "status"),
        Index("ix_orders_email", "email"),
        Index("ix_orders_user_created", "user_id", "created_at"),
        Index("uq_orders_payment_reference", "payment_reference", unique=True),
        # The filtered and sorted admin pages read live orders only: once most delivered
        # orders are archived, a full index would walk the archived ones to fill a page.
        # With "Include archived" they read ix_orders_store_created_id and filter.
        Index("ix_orders_store_live_status_created_id", "store_id", "status", "created_at",
              "id", **_LIVE),
        Index("ix_orders_store_live_payment_created_id", "store_id", "payment_status",
              "created_at", "id", **_LIVE),
        Index("ix_orders_store_live_total_id", "store_id", "total", "id", **_LIVE),
        Index("ix_orders_store_paid", "store_id", "paid_at"),
        # A checkout looks up its cart's unpaid orders to supersede them.
        Index("ix_orders_cart_status", "cart_id", "status"),
        # A checkout counts the open orders of its browser session and of its address.
        Index("ix_orders_client_session_status", "client_session", "status"),
        Index("ix_orders_client_ip_status", "client_ip_hash", "status"),
    )

    @property
    def number(self) -> str:
        return f"{self.id:06d}"

    def ship_to_lines(self) -> list[str]:
        """The shipping address as printed on the parcel, country and region in full."""
        return address_lines(
            name=self.ship_name, line1=self.ship_line1, line2=self.ship_line2,
            city=self.ship_city, region=self.ship_region, postal_code=self.ship_postal_code,
            country=self.ship_country)

    @property
    def paid_out_of_stock(self) -> bool:
        return bool(self.attention and self.attention.startswith(PAID_OUT_OF_STOCK))

    def add_attention(self, message: str) -> None:
        """Add ``message`` to what staff must look at (messages kept, "; " between them)."""
        self.attention = f"{self.attention}; {message}" if self.attention else message


class OrderLine(Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    variant_id: Mapped[int] = mapped_column(ForeignKey("product_variants.id"))
    # The variant as sold: ``name`` is "Product — Variant", ``sku`` the variant's SKU then.
    name: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str] = mapped_column(String(120), default="", server_default="")
    unit_price: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)

    order: Mapped[Order] = relationship(back_populates="lines")
