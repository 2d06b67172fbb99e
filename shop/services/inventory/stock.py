"""Stock on hand changed by staff: every change is a ``StockAdjustment`` row and an audit row.

Stock is per variant. Available stock (on hand − active holds) is computed in ``holds``;
this module only moves a variant's on-hand count, under the variant's row lock (and the
product's maintained sum with it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, NotFound
from ...extensions import db
from ...models import Product, ProductVariant, StockAdjustment
from ...models.types import utcnow
from ..platform.audit import record_change
from ..platform.tx import write_transaction
from .holds import (
    available,
    held_per_variant,
    held_quantities,
    lock_variants,
    move_product_stock,
)


class StockBelowZero(DomainError):
    code = "stock_below_zero"


class ProductNotFound(NotFound):
    code = "product_not_found"


def record_adjustment(session: Session, variant: ProductVariant, delta: int, *, reason: str,
                      actor: str) -> StockAdjustment:
    """Change a locked variant's stock by ``delta`` and record why (caller holds the lock).

    The audit row is the product's (its history page), the SKU in its reason when the
    product has options."""
    before = variant.stock_on_hand
    after = before + delta
    if after < 0:
        raise StockBelowZero(f"There are only {before} on hand, so you can remove at most "
                             f"{before}.")
    variant.stock_on_hand = after
    move_product_stock(session, {variant.product_id: delta})
    adjustment = StockAdjustment(store_id=variant.store_id, product_id=variant.product_id,
                                 variant_id=variant.id, delta=delta, stock_after=after,
                                 reason=reason, actor=actor)
    session.add(adjustment)
    record_change(session, store_id=variant.store_id, entity_type="product",
                  entity_id=variant.product_id, action="stock_adjusted",
                  from_state=str(before), to_state=str(after), actor=actor,
                  reason=f"{variant.sku}: {reason}" if variant.name else reason)
    return adjustment


def adjust_stock(*, store_id: int, variant_id: int, delta: int, reason: str,
                 actor: str) -> StockAdjustment:
    """Add (delta > 0) or remove units of a variant; raises ``StockBelowZero`` and changes
    nothing then."""
    if delta == 0:
        raise ValueError("an adjustment changes the stock")
    with write_transaction() as session:
        variant = lock_variants(session, [variant_id]).get(variant_id)
        if variant is None or variant.store_id != store_id:
            raise ProductNotFound("We could not find that product in this store.")
        adjustment = record_adjustment(session, variant, delta, reason=reason, actor=actor)
    return adjustment


def recent_adjustments(product_id: int, limit: int = 20) -> list[StockAdjustment]:
    """The product's latest adjustments, all variants."""
    return list(db.session.scalars(
        select(StockAdjustment).where(StockAdjustment.product_id == product_id)
        .order_by(StockAdjustment.created_at.desc(), StockAdjustment.id.desc()).limit(limit)))


@dataclass(frozen=True)
class StockLevel:
    product: Product
    held: int

    @property
    def available(self) -> int:
        return available(self.product.stock_on_hand, self.held)


def stock_level(product: Product) -> StockLevel:
    """The product's stock, all variants together."""
    held = sum(held_quantities(db.session(), [v.id for v in product.variants],
                               utcnow()).values())
    return StockLevel(product, held)


@dataclass(frozen=True)
class VariantLevel:
    variant: ProductVariant
    held: int

    @property
    def available(self) -> int:
        return available(self.variant.stock_on_hand, self.held)


def variant_levels(product: Product) -> list[VariantLevel]:
    """Each variant of the product with its units held now, in the product's order."""
    variants = list(product.variants)
    held = held_quantities(db.session(), [v.id for v in variants], utcnow())
    return [VariantLevel(v, held.get(v.id, 0)) for v in variants]


def low_stock(*, store_id: int, threshold: int) -> list[VariantLevel]:
    """Variants on sale of active products with ``threshold`` or fewer units available,
    scarcest first."""
    held = held_per_variant(utcnow()).subquery()
    held_qty = func.coalesce(held.c.held, 0)
    rows = db.session.execute(
        select(ProductVariant, held_qty)
        .join(Product, Product.id == ProductVariant.product_id)
        .outerjoin(held, held.c.variant_id == ProductVariant.id)
        .where(Product.store_id == store_id, Product.active.is_(True),
               ProductVariant.active.is_(True),
               ProductVariant.stock_on_hand - held_qty <= threshold)
        .order_by(ProductVariant.stock_on_hand - held_qty, Product.name, ProductVariant.position))
    return [VariantLevel(variant, int(qty)) for variant, qty in rows]
