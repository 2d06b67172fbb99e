"""Staff editing a product's variants: the one place that adds or changes them.

It also keeps ``products.price`` the "from" price (the lowest active variant price), which
the catalog sorts and filters on. SKUs are unique per store (``uq_product_variants_store_sku``):
we insert and translate the ``IntegrityError`` instead of checking first, which would race.
Stock is not changed here: that is a stock adjustment with a reason (``inventory.stock``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...domain.errors import DomainError
from ...models import Product, ProductVariant
from ..inventory.stock import ProductNotFound
from ..platform.audit import record_change
from ..platform.tx import write_transaction

SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class SkuTaken(DomainError):
    code = "sku_taken"


class LastActiveVariant(DomainError):
    code = "last_active_variant"


@dataclass(frozen=True)
class VariantInput:
    sku: str
    name: str
    price: int  # minor units, from ``domain.money.parse_money``
    active: bool = True


def default_variant(product: Product, *, price: int) -> ProductVariant:
    """The one variant of a new product without options: no name, the slug as its SKU."""
    return ProductVariant(store_id=product.store_id, product=product, sku=product.slug,
                          name="", price=price, stock_on_hand=0, position=0, active=True)


def refresh_from_price(session: Session, product: Product) -> None:
    """``products.price`` := the lowest active variant price (of all, if none is active)."""
    session.flush()
    prices = list(session.scalars(select(ProductVariant.price).where(
        ProductVariant.product_id == product.id, ProductVariant.active.is_(True))))
    prices = prices or list(session.scalars(select(ProductVariant.price).where(
        ProductVariant.product_id == product.id)))
    if prices and product.price != min(prices):
        product.price = min(prices)


def set_single_price(session: Session, product: Product, price: int) -> None:
    """The product form's price, for a product without options (its one variant's)."""
    if len(product.variants) == 1:
        product.variants[0].price = price
    refresh_from_price(session, product)


def add_variant(*, store_id: int, product_id: int, data: VariantInput,
                actor: str) -> ProductVariant:
    """A new variant, with no stock (stock arrives by adjustment). Raises ``SkuTaken``."""
    _check_sku(data.sku)
    try:
        with write_transaction() as session:
            product = _product(session, store_id, product_id)
            position = 1 + max((v.position for v in product.variants), default=-1)
            variant = ProductVariant(store_id=store_id, product=product, sku=data.sku,
                                     name=data.name, price=data.price, stock_on_hand=0,
                                     position=position, active=data.active)
            session.add(variant)
            refresh_from_price(session, product)
            record_change(session, store_id=store_id, entity_type="product",
                          entity_id=product.id, action="variant_added", from_state=None,
                          to_state=data.sku, actor=actor, reason=_describe(variant))
    except IntegrityError as exc:
        raise _sku_taken(exc, data.sku) from exc
    return variant


def update_variant(*, store_id: int, product_id: int, variant_id: int, data: VariantInput,
                   actor: str) -> ProductVariant:
    """Change a variant's SKU, name, price or whether it is sold. A product keeps at least
    one active variant (``LastActiveVariant``): archive the product instead."""
    _check_sku(data.sku)
    try:
        with write_transaction() as session:
            product = _product(session, store_id, product_id)
            variant = next((v for v in product.variants if v.id == variant_id), None)
            if variant is None:
                raise ProductNotFound("We could not find that variant of this product.")
            if variant.active and not data.active and not any(
                    v.active for v in product.variants if v.id != variant.id):
                raise LastActiveVariant("A product needs one variant on sale; archive the "
                                        "product instead.")
            before = _describe(variant)
            variant.sku, variant.name = data.sku, data.name
            variant.price, variant.active = data.price, data.active
            refresh_from_price(session, product)
            record_change(session, store_id=store_id, entity_type="product",
                          entity_id=product.id, action="variant_updated", from_state=before,
                          to_state=_describe(variant), actor=actor)
    except IntegrityError as exc:
        raise _sku_taken(exc, data.sku) from exc
    return variant


def _product(session: Session, store_id: int, product_id: int) -> Product:
    product = session.get(Product, product_id)
    if product is None or product.store_id != store_id:
        raise ProductNotFound("We could not find that product in this store.")
    return product


def _check_sku(sku: str) -> None:
    if not SKU.match(sku):
        raise ValueError(f"not a SKU: {sku!r}")


def _describe(variant: ProductVariant) -> str:
    state = "" if variant.active else ", not sold"
    return f"{variant.sku} “{variant.name}” {variant.price}{state}"[:200]


def _sku_taken(exc: IntegrityError, sku: str) -> Exception:
    if "sku" not in str(exc.orig):
        return exc
    return SkuTaken(f"Another variant in this store already has the SKU “{sku}”.")
