"""Stock on hand changed by staff: every change is a ``StockAdjustment`` row and an audit row.

Available stock (on hand − active holds) is computed in ``holds``; this module only moves
the on-hand count, under the product's row lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.errors import DomainError, NotFound
from ...extensions import db
from ...models import Product, StockAdjustment
from ...models.types import utcnow
from ..platform.audit import record_change
from ..platform.tx import write_transaction
from .holds import available, held_per_product, held_quantities, lock_products


class StockBelowZero(DomainError):
    code = "stock_below_zero"


class ProductNotFound(NotFound):
    code = "product_not_found"


def record_adjustment(session: Session, product: Product, delta: int, *, reason: str,
                      actor: str) -> StockAdjustment:
    """Change a locked product's stock by ``delta`` and record why (caller holds the lock)."""
    before = product.stock_on_hand
    after = before + delta
    if after < 0:
        raise StockBelowZero(f"There are only {before} on hand, so you can remove at most "
                             f"{before}.")
    product.stock_on_hand = after
    adjustment = StockAdjustment(store_id=product.store_id, product_id=product.id, delta=delta,
                                 stock_after=after, reason=reason, actor=actor)
    session.add(adjustment)
    record_change(session, store_id=product.store_id, entity_type="product",
                  entity_id=product.id, action="stock_adjusted", from_state=str(before),
                  to_state=str(after), actor=actor, reason=reason)
    return adjustment


def adjust_stock(*, store_id: int, product_id: int, delta: int, reason: str,
                 actor: str) -> StockAdjustment:
    """Add (delta > 0) or remove units; raises ``StockBelowZero`` and changes nothing then."""
    if delta == 0:
        raise ValueError("an adjustment changes the stock")
    with write_transaction() as session:
        product = lock_products(session, [product_id]).get(product_id)
        if product is None or product.store_id != store_id:
            raise ProductNotFound("We could not find that product in this store.")
        adjustment = record_adjustment(session, product, delta, reason=reason, actor=actor)
    return adjustment


def recent_adjustments(product_id: int, limit: int = 20) -> list[StockAdjustment]:
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
    held = held_quantities(db.session(), [product.id], utcnow()).get(product.id, 0)
    return StockLevel(product, held)


def low_stock(*, store_id: int, threshold: int) -> list[StockLevel]:
    """Active products with ``threshold`` or fewer units available, scarcest first."""
    held = held_per_product(utcnow()).subquery()
    held_qty = func.coalesce(held.c.held, 0)
    rows = db.session.execute(
        select(Product, held_qty)
        .outerjoin(held, held.c.product_id == Product.id)
        .where(Product.store_id == store_id, Product.active.is_(True),
               Product.stock_on_hand - held_qty <= threshold)
        .order_by(Product.stock_on_hand - held_qty, Product.name))
    return [StockLevel(product, int(qty)) for product, qty in rows]
