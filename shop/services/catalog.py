"""Catalog reads for the storefront (plain queries: no domain model needed). The store and
its categories, read by every page, come from ``catalog_cache``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, or_, select

from ..extensions import db
from ..models import Product, Store
from ..models.types import utcnow
from .inventory import HOLDS_AT, available, held_column


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    available: dict[int, int]
    page: int
    pages: int
    total: int


def store_by_slug(slug: str) -> Store | None:
    return db.session.scalar(select(Store).where(Store.slug == slug))


def list_products(
    *, store_id: int, page: int, per_page: int, category_id: int | None = None,
    search: str = "",
) -> ProductPage:
    where = [Product.store_id == store_id, Product.active.is_(True)]
    if category_id is not None:
        where.append(Product.category_id == category_id)
    if search:
        like = f"%{search.lower()}%"
        where.append(or_(func.lower(Product.name).like(like),
                         func.lower(Product.description).like(like)))
    total = db.session.scalar(select(func.count(Product.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        select(Product, held_column()).where(*where).order_by(Product.name, Product.id)
        .limit(per_page).offset((page - 1) * per_page), {HOLDS_AT: utcnow()}).all()
    return ProductPage([product for product, _ in rows],
                       {product.id: available(product.stock_on_hand, held)
                        for product, held in rows},
                       page, pages, total)


@cache
def _product_by_slug():
    return select(Product, held_column()).where(
        Product.store_id == bindparam("store_id"), Product.slug == bindparam("slug"),
        Product.active.is_(True))


def product_by_slug(store_id: int, slug: str) -> tuple[Product, int] | None:
    """The active product with ``slug`` and the units available now."""
    row = db.session.execute(_product_by_slug(), {
        "store_id": store_id, "slug": slug, HOLDS_AT: utcnow()}).first()
    return None if row is None else (row[0], available(row[0].stock_on_hand, row[1]))
