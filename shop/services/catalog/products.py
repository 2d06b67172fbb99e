"""Staff editing the catalog: plain CRUD on products, with the slug unique per store.

Uniqueness is the database's job (``uq_products_store_slug``): we insert and translate the
``IntegrityError`` instead of checking first, which would race.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ...domain.errors import DomainError
from ...extensions import db
from ...models import Category, Product, Store
from ..inventory.stock import ProductNotFound
from ..platform.audit import record_change
from ..platform.tx import get_existing, write_transaction
from .gallery import append_images
from .media import StoredImage
from .variants import default_variant, set_single_price

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class SlugTaken(DomainError):
    code = "slug_taken"


class UnknownCategory(DomainError):
    code = "unknown_category"


@dataclass(frozen=True)
class ProductInput:
    name: str
    slug: str
    description: str
    # Minor units, from ``domain.money.parse_money``: the price of a product without options
    # (its one variant's); a product with options is priced per variant.
    price: int
    category_id: int | None
    # Uploaded with this form (``media.store_image``), added after the product's others.
    new_images: tuple[StoredImage, ...] = field(default=())


@dataclass(frozen=True)
class ProductList:
    products: list[Product]
    page: int
    pages: int
    total: int


def slugify(text: str) -> str:
    keep = "".join(c.lower() if c.isascii() and c.isalnum() else "-" for c in text)
    return "-".join(part for part in keep.split("-") if part)[:120]


def list_products(*, store_id: int, search: str, archived: bool, page: int,
                  per_page: int = 50) -> ProductList:
    where = [Product.store_id == store_id, Product.active.is_(not archived)]
    if search:
        like = f"%{search.lower()}%"
        where.append(or_(func.lower(Product.name).like(like), Product.slug.like(like)))
    total = db.session.scalar(select(func.count(Product.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    products = list(db.session.scalars(
        select(Product).where(*where).order_by(Product.name, Product.id)
        .limit(per_page).offset((page - 1) * per_page)))
    return ProductList(products, page, pages, total)


def store_categories(store_id: int) -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.store_id == store_id).order_by(Category.name)))


def product_in_store(*, store_id: int, product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None or product.store_id != store_id:
        raise ProductNotFound("We could not find that product in this store.")
    return product


def create_product(*, store_id: int, data: ProductInput, actor: str) -> Product:
    """Raises ``SlugTaken``, ``UnknownCategory`` or ``gallery.TooManyImages``; the product
    starts with no stock."""
    try:
        with write_transaction() as session:
            store = get_existing(session, Store, store_id)
            product = Product(store_id=store_id, currency=store.currency, stock_on_hand=0,
                              active=True, price=data.price)
            _apply(session, product, data)
            session.add(product)
            session.add(default_variant(product, price=data.price))
            session.flush()
            append_images(session, product, data.new_images)
            record_change(session, store_id=store_id, entity_type="product",
                          entity_id=product.id, action="product_created", from_state=None,
                          to_state="active", actor=actor, reason=product.name)
    except IntegrityError as exc:
        raise _slug_taken(exc, data.slug) from exc
    return product


def update_product(*, store_id: int, product_id: int, data: ProductInput,
                   actor: str) -> Product:
    try:
        with write_transaction() as session:
            product = product_in_store(store_id=store_id, product_id=product_id)
            _apply(session, product, data)
            set_single_price(session, product, data.price)
            session.flush()
            append_images(session, product, data.new_images)
            record_change(session, store_id=store_id, entity_type="product",
                          entity_id=product.id, action="product_updated", from_state=None,
                          to_state=None, actor=actor, reason=product.name)
    except IntegrityError as exc:
        raise _slug_taken(exc, data.slug) from exc
    return product


def set_archived(*, store_id: int, product_id: int, archived: bool, actor: str) -> Product:
    """Archive (hide from the shop, keep for old orders) or bring a product back."""
    with write_transaction() as session:
        product = product_in_store(store_id=store_id, product_id=product_id)
        before = "active" if product.active else "archived"
        product.active = not archived
        after = "active" if product.active else "archived"
        if before != after:
            record_change(session, store_id=store_id, entity_type="product",
                          entity_id=product.id, action="product_archived" if archived
                          else "product_restored", from_state=before, to_state=after,
                          actor=actor)
    return product


def _slug_taken(exc: IntegrityError, slug: str) -> Exception:
    if "slug" not in str(exc.orig):
        return exc
    return SlugTaken(f"Another product already uses the address “{slug}”.")


def _apply(session, product: Product, data: ProductInput) -> None:
    if not SLUG.match(data.slug):
        raise ValueError(f"not a slug: {data.slug!r}")
    if data.category_id is not None:
        category = session.get(Category, data.category_id)
        if category is None or category.store_id != product.store_id:
            raise UnknownCategory("Choose one of this store's categories.")
    product.name = data.name
    product.slug = data.slug
    product.description = data.description
    product.category_id = data.category_id
