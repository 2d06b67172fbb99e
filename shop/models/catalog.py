from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model, db
from .types import UTCDateTime, utcnow


class Category(Model):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    # The sitemap's lastmod. Any change of the row moves it (a product's stock too: the page
    # says how many are left); the server default serves rows inserted by plain SQL.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 server_default=func.now())

    __table_args__ = (db.UniqueConstraint("store_id", "slug", name="uq_categories_store_slug"),)


class Product(Model):
    """A thing for sale. ``stock_on_hand`` counts units in the warehouse; holds are separate."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[int] = mapped_column(Integer)  # minor units
    currency: Mapped[str] = mapped_column(String(3))
    stock_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    image: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 server_default=func.now())  # as Category's

    category: Mapped[Category | None] = relationship(lazy="joined")

    __table_args__ = (
        db.UniqueConstraint("store_id", "slug", name="uq_products_store_slug"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        # Key and sort of the catalog page; ``active`` included so that its count and page
        # are index-only on PostgreSQL (migration 0012_storefront).
        Index("ix_products_store_category_name_id", "store_id", "category_id", "name", "id",
              postgresql_include=["active"]),
        Index("ix_products_store_name_id", "store_id", "name", "id",
              postgresql_include=["active"]),
    )
