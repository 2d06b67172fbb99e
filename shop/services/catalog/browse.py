"""Catalog reads for the storefront (plain queries: no domain model needed). The store and
its categories, read by every page, come from ``catalog_cache``.

The page's and the product's statements are built once per process (``functools.cache``,
bind parameters for the values) and return plain rows, not ORM objects: the catalog is the
shop's busiest page, and building its statement on every request (the correlated holds
column, the count's alias, the filters) doubled the page's CPU in-process (1.6-2.0 ms a
catalog page built once, 2.7-3.2 ms built per request; docs/performance.md, decisions).
Their columns come from the models. Everything else about the pages is plain Flask:
``url_for`` for every link.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import BindParameter

from ...extensions import db
from ...models import Category, Product, Store
from ...models.types import utcnow
from ..inventory.holds import HOLDS_AT, available, held_column
from ..platform.tx import read_alone
from .cache import CategoryRow


@dataclass(frozen=True, slots=True)
class ProductCard:
    """What the catalog page shows of a product."""

    id: int
    slug: str
    name: str
    price: int
    currency: str
    available: int


@dataclass(frozen=True)
class ProductPage:
    products: list[ProductCard]
    page: int
    pages: int
    total: int


def store_by_slug(slug: str) -> Store | None:
    return db.session.scalar(select(Store).where(Store.slug == slug))


def _filters(product, by_category: bool, searching: bool) -> list:
    where = [product.store_id == bindparam("store_id"), product.active.is_(True)]
    if by_category:
        where.append(product.category_id == bindparam("category_id"))
    if searching:
        like: BindParameter[str] = bindparam("like")
        where.append(or_(func.lower(product.name).like(like),
                         func.lower(product.description).like(like)))
    return where


@cache
def _count_statement(by_category: bool, searching: bool):
    return select(func.count(Product.id)).where(*_filters(Product, by_category, searching))


@cache
def _page_statement(by_category: bool, searching: bool):
    # The count of all matches rides along as an uncorrelated subquery (run once, the same
    # plan as the count alone): one round trip instead of a count and then a page.
    counted = aliased(Product)
    total = (select(func.count(counted.id)).where(*_filters(counted, by_category, searching))
             .scalar_subquery().label("total"))
    return (select(Product.id, Product.slug, Product.name, Product.price, Product.currency,
                   Product.stock_on_hand, held_column(), total)
            .where(*_filters(Product, by_category, searching))
            .order_by(Product.name, Product.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))


def list_products(
    *, store_id: int, page: int, per_page: int, category_id: int | None = None,
    search: str = "",
) -> ProductPage:
    """One page of the store's active products by name (of a category, matching a search),
    each with the units available now. A page past the last shows the last."""
    shape = (category_id is not None, bool(search))
    params = {"store_id": store_id, "limit": per_page, HOLDS_AT: utcnow()}
    if category_id is not None:
        params["category_id"] = category_id
    if search:
        params["like"] = f"%{search.lower()}%"
    page = max(1, page)
    rows = _page_rows(shape, params, page, per_page)
    total = rows[0].total if rows else 0
    if not rows and page > 1:  # past the last page (or nothing matches): show the last
        total = read_alone(_count_statement(*shape), params)[0][0]
        page = _pages(total, per_page)
        rows = _page_rows(shape, params, page, per_page) if total else []
    return ProductPage(
        [ProductCard(row.id, row.slug, row.name, row.price, row.currency,
                     available(row.stock_on_hand, row.held)) for row in rows],
        page, _pages(total, per_page), total)


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _page_rows(shape: tuple[bool, bool], params: dict, page: int, per_page: int) -> list:
    return read_alone(_page_statement(*shape), {**params, "offset": (page - 1) * per_page})


@dataclass(frozen=True, slots=True)
class ProductDetail:
    """What the product page shows of a product."""

    id: int
    slug: str
    name: str
    description: str
    price: int
    currency: str
    available: int
    category: CategoryRow | None
    image: str | None = None  # the upload's name (media.media), for link previews


@cache
def _product_by_slug():
    return (select(Product.id, Product.slug, Product.name, Product.description, Product.price,
                   Product.currency, Product.stock_on_hand, held_column(),
                   Category.id.label("category_id"), Category.slug.label("category_slug"),
                   Category.name.label("category_name"), Product.image)
            .outerjoin(Category, Category.id == Product.category_id)
            .where(Product.store_id == bindparam("store_id"), Product.slug == bindparam("slug"),
                   Product.active.is_(True)))


def product_by_slug(store_id: int, slug: str) -> ProductDetail | None:
    """The active product with ``slug``, its category and the units available now."""
    rows = read_alone(_product_by_slug(), {"store_id": store_id, "slug": slug,
                                           HOLDS_AT: utcnow()})
    if not rows:
        return None
    row = rows[0]
    category = (None if row.category_id is None
                else CategoryRow(row.category_id, row.category_slug, row.category_name))
    return ProductDetail(row.id, row.slug, row.name, row.description, row.price, row.currency,
                         available(row.stock_on_hand, row.held), category, row.image)
