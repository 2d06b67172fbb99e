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
    """A thing for sale, sold as one or more ``ProductVariant`` rows (a product without options
    has exactly one, its default variant, with an empty name).

    The variants are the truth for selling: each has its own SKU, price, stock and holds.
    Two columns here are kept by ``services.catalog.variants`` (the one service that changes
    variants) and by the stock writers in ``services.inventory``, so that the catalog can
    sort, filter and count on indexes of this table alone:
    ``price`` is the "from" price, the lowest price of the active variants; ``stock_on_hand``
    is the sum of the variants' stock on hand. Never sell from either.
    """

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
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 server_default=func.now())  # as Category's

    category: Mapped[Category | None] = relationship(lazy="joined")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", lazy="select")
    variants: Mapped[list[ProductVariant]] = relationship(
        back_populates="product", order_by="(ProductVariant.position, ProductVariant.id)",
        lazy="select")

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
        # The catalog's other sorts (price either way, newest first), in a category or not
        # (migration 0016_images; the plans are checked in tests/integration/test_catalog_sort.py).
        Index("ix_products_store_category_price_id", "store_id", "category_id", "price", "id",
              postgresql_include=["active"]),
        Index("ix_products_store_price_id", "store_id", "price", "id",
              postgresql_include=["active"]),
        Index("ix_products_store_category_id", "store_id", "category_id", "id",
              postgresql_include=["active"]),
        Index("ix_products_store_id", "store_id", "id", postgresql_include=["active"]),
    )


# The search schema of migration 0017_search is not the models': a PostgreSQL-only generated
# column and its indexes, SQLite's FTS5 tables (and their shadow tables). The services read
# it by name (services/catalog/search); comparing the models with the database skips it.
SEARCH_COLUMNS = frozenset({"search_vector"})
SEARCH_INDEXES = frozenset({"ix_products_search", "ix_products_name_trgm"})
SEARCH_TABLE_PREFIX = "products_fts"


def outside_models(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's ``include_object``: False for the search schema, True for the rest."""
    if type_ == "table":
        return not (name or "").startswith(SEARCH_TABLE_PREFIX)
    if type_ == "column":
        return not (obj.table.name == "products" and name in SEARCH_COLUMNS)
    if type_ == "index":
        return name not in SEARCH_INDEXES
    return True


class ProductImage(Model):
    """One picture of a product; position 0 is the one the catalog card shows.

    ``stem`` names the resized copies (``products/<stem>-<variant>.webp``, see
    ``services.catalog.media``); ``original`` is the stored upload. ``width`` and ``height``
    are the original's once it has been resized; an image moved from the old single
    ``products.image`` column has none until ``flask shop resize-images`` has run, and is
    shown from its original meanwhile.
    """

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    position: Mapped[int] = mapped_column(Integer)
    stem: Mapped[str] = mapped_column(String(64))
    original: Mapped[str] = mapped_column(String(200))
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    alt: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow,
                                                 server_default=func.now())

    product: Mapped[Product] = relationship(back_populates="images")

    __table_args__ = (
        # Positions are dense from 0 (services.catalog.gallery renumbers them): the card's
        # image is one index lookup, (product_id, 0).
        db.UniqueConstraint("product_id", "position", name="uq_product_images_position"),
        db.UniqueConstraint("stem", name="uq_product_images_stem"),
    )


class ProductVariant(Model):
    """One way a product is sold (e.g. "1 kg · ground"): the unit of price, stock and holds.

    ``stock_on_hand`` is the conditional-UPDATE / row-lock target that prevents oversell
    (available = on hand − live holds of this variant, ``services.inventory.holds``). The
    default variant of a product without options has an empty ``name``.
    """

    __tablename__ = "product_variants"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120), default="")
    price: Mapped[int] = mapped_column(Integer)  # minor units, the product's currency
    stock_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 server_default=func.now())

    product: Mapped[Product] = relationship(back_populates="variants")

    __table_args__ = (
        db.UniqueConstraint("store_id", "sku", name="uq_product_variants_store_sku"),
        CheckConstraint("price >= 0", name="variant_price_not_negative"),
        CheckConstraint("stock_on_hand >= 0", name="variant_stock_not_negative"),
        Index("ix_product_variants_product_position", "product_id", "position", "id"),
    )

    def label(self, product_name: str) -> str:
        """The name on an order line: "Ethiopia Yirgacheffe — 1 kg · ground"."""
        return f"{product_name} — {self.name}" if self.name else product_name
