"""Catalog reads for the storefront (plain queries: no domain model needed). The store and
its categories, read by every page, come from ``catalog_cache``.

The page's and the product's statements are built once per process (``functools.cache``,
bind parameters for the values) and return plain rows, not ORM objects: the catalog is the
shop's busiest page, and building its statement on every request (the correlated holds
column, the count's alias, the filters) doubled the page's CPU in-process (1.6-2.0 ms a
catalog page built once, 2.7-3.2 ms built per request; docs/performance.md, decisions).
Their columns come from the models. One statement per shape of the page (category or not,
sort, each filter): a few dozen at most. Everything else about the pages is
plain Flask: ``url_for`` for every link.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from ...domain.catalog_query import CatalogQuery
from ...extensions import db
from ...models import Category, Product, ProductImage, ProductVariant, Store
from ...models.types import utcnow
from ..inventory.holds import HOLDS_AT, available, held_column, held_for, variant_held_for
from ..platform.tx import read_alone
from .cache import CategoryRow
from .media import ImageRef


@dataclass(frozen=True, slots=True)
class ProductCard:
    """What the catalog page shows of a product."""

    id: int
    slug: str
    name: str
    price: int
    currency: str
    available: int
    image: ImageRef | None = None


@dataclass(frozen=True)
class ProductPage:
    products: list[ProductCard]
    page: int
    pages: int
    total: int
    more: bool = False  # more products than were counted (``COUNT_AHEAD`` past the page)


def store_by_slug(slug: str) -> Store | None:
    return db.session.scalar(select(Store).where(Store.slug == slug))


@dataclass(frozen=True)
class Shape:
    """Which parts a page's statement has; one statement is built for each shape. (A
    search's statements are the search package's, on the same filters.)"""

    by_category: bool
    sort: str
    in_stock: bool
    min_price: bool
    max_price: bool


ORDER = {
    "name": lambda p: (p.name, p.id),
    "price_asc": lambda p: (p.price, p.id),
    "price_desc": lambda p: (p.price.desc(), p.id.desc()),
    "newest": lambda p: (p.id.desc(),),  # ids grow with every product added
}


def filters(product, shape: Shape) -> list:
    """The page's conditions on ``product``: the store's active ones, then the shopper's."""
    where = [product.store_id == bindparam("store_id"), product.active.is_(True)]
    if shape.by_category:
        where.append(product.category_id == bindparam("category_id"))
    if shape.min_price:
        where.append(product.price >= bindparam("min_price"))
    if shape.max_price:
        where.append(product.price <= bindparam("max_price"))
    if shape.in_stock:
        # Available = on hand − holds that count now: the rule of inventory.holds.counting.
        where.append(product.stock_on_hand > held_for(product))
    return where


@cache
def _count_statement(shape: Shape):
    return select(func.count(Product.id)).where(*filters(Product, shape))


FIRST_IMAGE = aliased(ProductImage, name="first_image")


def image_columns(image) -> list:
    return [image.stem.label("image_stem"), image.original.label("image_original"),
            image.width.label("image_width"), image.height.label("image_height"),
            image.alt.label("image_alt")]


# Products counted past a page's first: a category of 125 000 products cost an index-only
# count of all of them on every page (10-12 ms of the database's CPU, most of the page's
# statement; docs/performance.md, issue 23). Past it the page says "more than".
COUNT_AHEAD = 1000


@cache
def _page_statement(shape: Shape):
    # The count rides along as an uncorrelated subquery (run once): one round trip instead
    # of a count and then a page. It stops at ``counted`` rows (offset + COUNT_AHEAD + 1).
    # The card's image is position 0, one lookup in the (product, position) key.
    counted = aliased(Product)
    capped = (select(counted.id).where(*filters(counted, shape))
              .limit(bindparam("counted")).subquery("capped"))
    total = select(func.count()).select_from(capped).scalar_subquery().label("total")
    return (select(Product.id, Product.slug, Product.name, Product.price, Product.currency,
                   Product.stock_on_hand, held_column(), total, *image_columns(FIRST_IMAGE))
            .outerjoin(FIRST_IMAGE, and_(FIRST_IMAGE.product_id == Product.id,
                                          FIRST_IMAGE.position == 0))
            .where(*filters(Product, shape))
            .order_by(*ORDER[shape.sort](Product))
            .limit(bindparam("limit")).offset(bindparam("offset")))


def shape_and_params(*, store_id: int, per_page: int, category_id: int | None,
                     query: CatalogQuery) -> tuple[Shape, dict]:
    """The shape of a page's statement and its parameters but the offset."""
    shape = Shape(category_id is not None, query.sort, query.in_stock,
                  query.min_price is not None, query.max_price is not None)
    params = {"store_id": store_id, "limit": per_page, HOLDS_AT: utcnow()}
    if category_id is not None:
        params["category_id"] = category_id
    if query.min_price is not None:
        params["min_price"] = query.min_price
    if query.max_price is not None:
        params["max_price"] = query.max_price
    return shape, params


def list_products(
    *, store_id: int, page: int, per_page: int, category_id: int | None = None,
    query: CatalogQuery | None = None,
) -> ProductPage:
    """One page of the store's active products (of a category, in stock, in a price
    range), in the query's order, each with the units available now. A page past the last
    shows the last. (A search is ``services.catalog.search``.)"""
    shape, params = shape_and_params(store_id=store_id, per_page=per_page,
                                     category_id=category_id, query=query or CatalogQuery())
    page = max(1, page)
    rows = _page_rows(shape, params, page, per_page)
    total = rows[0].total if rows else 0
    if not rows and page > 1:  # past the last page (or nothing matches): show the last
        total = read_alone(_count_statement(shape), params)[0][0]
        page = pages_of(total, per_page)
        rows = _page_rows(shape, params, page, per_page) if total else []
    most = (page - 1) * per_page + COUNT_AHEAD
    return ProductPage([card(row) for row in rows], page, pages_of(min(total, most), per_page),
                       min(total, most), total > most)


def card(row) -> ProductCard:
    return ProductCard(row.id, row.slug, row.name, row.price, row.currency,
                       available(row.stock_on_hand, row.held), image(row))


def image(row) -> ImageRef | None:
    if row.image_stem is None:
        return None
    return ImageRef(row.image_stem, row.image_original, row.image_width, row.image_height,
                    row.image_alt)


def pages_of(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _page_rows(shape: Shape, params: dict, page: int, per_page: int) -> list:
    offset = (page - 1) * per_page
    return read_alone(_page_statement(shape),
                      {**params, "offset": offset, "counted": offset + COUNT_AHEAD + 1})


@dataclass(frozen=True, slots=True)
class VariantOption:
    """One active variant the product page offers, with the units available now."""

    id: int
    sku: str
    name: str
    price: int
    available: int


@dataclass(frozen=True, slots=True)
class ProductDetail:
    """What the product page shows of a product: ``price`` is the "from" price, ``available``
    the units of all its variants."""

    id: int
    slug: str
    name: str
    description: str
    price: int
    currency: str
    available: int
    category: CategoryRow | None
    images: tuple[ImageRef, ...] = ()  # in the staff's order; the first leads the page
    variants: tuple[VariantOption, ...] = ()

    @property
    def has_options(self) -> bool:
        return len(self.variants) > 1 or any(v.name for v in self.variants)


@cache
def _product_by_slug():
    # One row per image (one with no image columns when it has none), in their order.
    return (select(Product.id, Product.slug, Product.name, Product.description, Product.price,
                   Product.currency, Product.stock_on_hand, held_column(),
                   Category.id.label("category_id"), Category.slug.label("category_slug"),
                   Category.name.label("category_name"), *image_columns(ProductImage))
            .outerjoin(Category, Category.id == Product.category_id)
            .outerjoin(ProductImage, ProductImage.product_id == Product.id)
            .where(Product.store_id == bindparam("store_id"), Product.slug == bindparam("slug"),
                   Product.active.is_(True))
            .order_by(ProductImage.position))


@cache
def _variants_of():
    return (select(ProductVariant.id, ProductVariant.sku, ProductVariant.name,
                   ProductVariant.price, ProductVariant.stock_on_hand,
                   variant_held_for(ProductVariant).label("held"))
            .where(ProductVariant.product_id == bindparam("product_id"),
                   ProductVariant.active.is_(True))
            .order_by(ProductVariant.position, ProductVariant.id))


def product_by_slug(store_id: int, slug: str) -> ProductDetail | None:
    """The active product with ``slug``, its category, images and active variants with the
    units available of each now."""
    now = utcnow()
    rows = read_alone(_product_by_slug(), {"store_id": store_id, "slug": slug, HOLDS_AT: now})
    if not rows:
        return None
    row = rows[0]
    category = (None if row.category_id is None
                else CategoryRow(row.category_id, row.category_slug, row.category_name))
    images = tuple(image for image in map(image, rows) if image is not None)
    variants = tuple(VariantOption(v.id, v.sku, v.name, v.price,
                                   available(v.stock_on_hand, v.held))
                     for v in read_alone(_variants_of(), {"product_id": row.id, HOLDS_AT: now}))
    return ProductDetail(row.id, row.slug, row.name, row.description, row.price, row.currency,
                         sum(v.available for v in variants), category, images, variants)
