"""Stock and holds. Available = on hand − active holds not yet expired, always computed at
read time, so an expired hold stops counting at its expiry even if no job has run. That rule
is ``counting`` (in SQL) and ``counts`` (on a loaded hold); every count of held stock in the
shop uses one of them.

Stock is per variant (``ProductVariant``): holds, availability and the no-oversell check
count a variant's own stock and holds. Writers lock the variants they touch in primary-key
order (one order for everyone: no deadlock), then check and change inside that lock; the
product's maintained sum (``products.stock_on_hand``) is updated after all variant locks,
by product id, so every writer takes its locks in the same global order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session, scoped_session

from ...domain.errors import OutOfStock
from ...models import HoldStatus, InventoryHold, Order, OrderLine, Product, ProductVariant
from ..platform.tx import lock_rows, rows_matched

_holds = InventoryHold.__table__
# A moment: a time, or a statement's bind parameter.
At = datetime | BindParameter[datetime]


def counting(at: At, holds: FromClause = _holds) -> ColumnElement[bool]:
    """A hold counts against stock while it is active and unexpired at ``at`` (a time, or a
    bind parameter). ``holds`` is the holds table or an alias of it."""
    return and_(holds.c.status == HoldStatus.ACTIVE, holds.c.expires_at > at)


def counts(hold: InventoryHold, at: datetime) -> bool:
    """``counting`` for a hold already loaded."""
    return hold.status == HoldStatus.ACTIVE and hold.expires_at > at


def lapsed(at: At, holds: FromClause = _holds) -> ColumnElement[bool]:
    """Active but no longer counting at ``at``: what the expiry job has still to release."""
    return and_(holds.c.status == HoldStatus.ACTIVE, holds.c.expires_at <= at)


def held_per_variant(at: At) -> Select:
    """(variant_id, held) for every variant with units held at ``at``."""
    return (select(_holds.c.variant_id, func.sum(_holds.c.quantity).label("held"))
            .where(counting(at)).group_by(_holds.c.variant_id))


@cache
def _held_by_variant(except_order: bool):
    # Built once (run on every checkout and every paying webhook): a Core statement on the
    # table, its variant ids an expanding parameter.
    query = held_per_variant(bindparam("now")).where(
        _holds.c.variant_id.in_(bindparam("ids", expanding=True)))
    return query.where(_holds.c.order_id != bindparam("except_order")) if except_order else query


def held_quantities(
    session: Session, variant_ids: Iterable[int], now: datetime, *, except_order: int | None = None
) -> dict[int, int]:
    """Variant id → units held at ``now`` (by orders other than ``except_order``)."""
    ids = list(set(variant_ids))
    if not ids:
        return {}
    params = {"ids": ids, "now": now}
    if except_order is not None:
        params["except_order"] = except_order
    rows = session.execute(_held_by_variant(except_order is not None), params)
    return {vid: int(qty) for vid, qty in rows}


HOLDS_AT = "holds_at"


@cache
def held_column():
    """What ``held_quantities`` counts, as a column of a query on ``Product``: a page reads
    its products and their availability in one round trip instead of two. Holds count if
    unexpired at the statement's parameter ``holds_at`` (:data:`HOLDS_AT`). Built once (a
    statement is immutable and may be shared): building it took 0.7 ms a request."""
    return held_for(Product).label("held")


def held_for(product) -> ScalarSelect[int]:
    """The units held of ``product`` (the model or an alias of it, all its variants) at
    ``holds_at``, as a correlated subquery: for statements that are built once (it is not
    cached here)."""
    return (
        select(func.coalesce(func.sum(_holds.c.quantity), 0))
        .where(_holds.c.product_id == product.id, counting(bindparam(HOLDS_AT)))
        .correlate(product)
        .scalar_subquery()
    )


def variant_held_for(variant) -> ScalarSelect[int]:
    """``held_for`` of one variant (the model or an alias)."""
    return (
        select(func.coalesce(func.sum(_holds.c.quantity), 0))
        .where(_holds.c.variant_id == variant.id, counting(bindparam(HOLDS_AT)))
        .correlate(variant)
        .scalar_subquery()
    )


def available(stock_on_hand: int, held: int) -> int:
    return max(0, stock_on_hand - held)


def available_quantities(
    session: Session, variants: Iterable[ProductVariant], now: datetime
) -> dict[int, int]:
    """Variant id → units available at ``now``."""
    variants = list(variants)
    held = held_quantities(session, (v.id for v in variants), now)
    return {v.id: available(v.stock_on_hand, held.get(v.id, 0)) for v in variants}


def lock_variants(session: Session, variant_ids: Iterable[int]) -> dict[int, ProductVariant]:
    ids = sorted(set(variant_ids))
    query = select(ProductVariant).where(ProductVariant.id.in_(ids)).order_by(ProductVariant.id)
    variants = session.scalars(lock_rows(query)).all()
    return {v.id: v for v in variants}


@cache
def _move_product_stock():
    products = Product.__table__
    return (update(products).where(products.c.id == bindparam("product_id"))
            .values(stock_on_hand=products.c.stock_on_hand + bindparam("delta")))


def move_product_stock(session: Session, deltas: Mapping[int, int]) -> None:
    """Keep ``products.stock_on_hand`` the sum of its variants' after variants moved by
    ``deltas`` (product id → units): called after the variant locks, one statement for
    all the products (executed in product-id order, the lock order)."""
    rows = [{"product_id": pid, "delta": deltas[pid]} for pid in sorted(deltas) if deltas[pid]]
    if rows:
        session.execute(_move_product_stock(), rows)


def variant_label(session: Session, variant: ProductVariant) -> str:
    name = session.scalar(select(Product.name).where(Product.id == variant.product_id))
    return variant.label(name or "")


def place_holds(
    session: Session, *, order_id: int, quantities: Mapping[int, int], now: datetime,
    ttl: timedelta,
) -> None:
    """Hold ``quantities`` (variant id → units) for order ``order_id`` or raise ``OutOfStock``."""
    # Locked in id order, read as plain rows: nothing here changes a variant.
    locked = session.execute(lock_rows(
        select(ProductVariant.id, ProductVariant.product_id, ProductVariant.stock_on_hand)
        .where(ProductVariant.id.in_(sorted(quantities))).order_by(ProductVariant.id),
        of=ProductVariant))
    variants = {row.id: row for row in locked}
    # A fresh statement after the locks: it sees every hold committed before they were won.
    held = held_quantities(session, variants, now)
    for variant_id in sorted(quantities):
        available = variants[variant_id].stock_on_hand - held.get(variant_id, 0)
        if quantities[variant_id] > available:
            variant = session.get_one(ProductVariant, variant_id)
            raise OutOfStock(variant_label(session, variant), quantities[variant_id],
                             max(0, available))
    session.add_all(InventoryHold(product_id=variants[variant_id].product_id,
                                  variant_id=variant_id, order_id=order_id,
                                  quantity=quantities[variant_id], status=HoldStatus.ACTIVE,
                                  expires_at=now + ttl) for variant_id in sorted(quantities))


def active_holds(session: Session, order_id: int) -> list[InventoryHold]:
    query = select(InventoryHold).where(
        InventoryHold.order_id == order_id, InventoryHold.status == HoldStatus.ACTIVE
    )
    return list(session.scalars(query))


def holds_end(session: Session | scoped_session, order_id: int) -> datetime | None:
    """When the order's stock holds end (the last one): when an unpaid order is given up."""
    return session.scalar(select(func.max(InventoryHold.expires_at))
                          .where(InventoryHold.order_id == order_id))


def release_holds(session: Session, order_id: int) -> int:
    holds = active_holds(session, order_id)
    for hold in holds:
        hold.status = HoldStatus.RELEASED
    return len(holds)


def release_live_holds(session: Session, order_id: int, now: datetime) -> datetime | None:
    """Release the order's holds; returns when the last of those still counting at ``now``
    would have ended (None if none still counted)."""
    holds = active_holds(session, order_id)
    ends = max((h.expires_at for h in holds if counts(h, now)), default=None)
    for hold in holds:
        hold.status = HoldStatus.RELEASED
    return ends


def shorten_holds(session: Session, *, order_id: int, until: datetime) -> int:
    """Bring the order's active holds that run past ``until`` in to it, never later: a
    declined payment keeps its stock only for a retry. Frees stock, so it needs no lock."""
    return rows_matched(
        session,
        update(InventoryHold)
        .where(InventoryHold.order_id == order_id, InventoryHold.status == HoldStatus.ACTIVE,
               InventoryHold.expires_at > until)
        .values(expires_at=until)
        .execution_options(synchronize_session=False))


def commit_stock(session: Session, *, order: Order, now: datetime) -> list[str]:
    """Turn a paid order's holds into a stock decrement.

    A hold that expired before the payment landed may have been taken by someone else: the
    line is then taken from what is still free, and if that is not enough the line is left
    unshipped and returned in the list of shortages for staff to resolve.
    """
    wanted: dict[int, int] = {}
    variants: dict[int, ProductVariant] = {}
    names: dict[int, str] = {}
    # The lines' variants locked as they are read, in primary-key order like every writer
    # (one statement, not the lines and then the lock: this runs on every paying webhook).
    lined = (select(ProductVariant, OrderLine.quantity, OrderLine.name)
             .join(OrderLine, OrderLine.variant_id == ProductVariant.id)
             .where(OrderLine.order_id == order.id).order_by(ProductVariant.id))
    for variant, quantity, name in session.execute(lock_rows(lined)):
        variants[variant.id] = variant
        names[variant.id] = name
        wanted[variant.id] = wanted.get(variant.id, 0) + quantity
    # A fresh statement after the locks: it sees every hold committed before they were won.
    others = held_quantities(session, variants, now, except_order=order.id)
    shortages, short_ids = [], set()
    taken: dict[int, int] = {}
    for variant_id in sorted(wanted):
        variant = variants[variant_id]
        free = variant.stock_on_hand - others.get(variant_id, 0)
        if wanted[variant_id] <= free:
            variant.stock_on_hand -= wanted[variant_id]
            taken[variant.product_id] = taken.get(variant.product_id, 0) - wanted[variant_id]
        else:
            short_ids.add(variant_id)
            shortages.append(f"{names[variant_id]}: {wanted[variant_id]} paid, "
                             f"{max(0, free)} free")
    move_product_stock(session, taken)
    if not short_ids:
        # The usual case, in one statement. Not synchronised with the session: settling
        # loads no holds before this, and the commit that follows expires everything.
        session.execute(update(InventoryHold)
                        .where(InventoryHold.order_id == order.id,
                               InventoryHold.status == HoldStatus.ACTIVE)
                        .values(status=HoldStatus.CONVERTED)
                        .execution_options(synchronize_session=False))
        return shortages
    for hold in active_holds(session, order.id):
        short = hold.variant_id in short_ids
        hold.status = HoldStatus.RELEASED if short else HoldStatus.CONVERTED
    return shortages


def extend_holds(session: Session, *, order_id: int, until: datetime, now: datetime) -> int:
    """Push the order's live holds out to ``until`` while its payment is in progress.

    A hold that has already lapsed stays lapsed: its stock may have been sold since, and
    reviving it could oversell (the payment, if it lands, takes whatever stock is free).
    """
    holds = [h for h in active_holds(session, order_id)
             if counts(h, now) and h.expires_at < until]
    for hold in holds:
        hold.expires_at = until
    return len(holds)
