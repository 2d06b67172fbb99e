"""Refunds by order lines: which units were given back, and putting them back in stock.

A refund by lines writes ``RefundLine`` rows with its claim; units of a refund that failed
no longer count. Restocking happens when the refund succeeds (``restock_refund``, called by
``refunds.apply_refund`` in the transaction that marks it succeeded, which happens once).

What may go back on the shelf is what the order really took from it: its converted holds,
less what refunds already restocked. A staff cancel (``fulfilment.cancel_order``) puts back
the same remainder, so a unit is restocked once whichever comes first. A "paid, out of
stock" order took nothing and restocks nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...domain.ledger import TransactionStatus
from ...domain.refund_lines import (
    InvalidRefundLines,
    LineRefundQuote,
    OrderCharges,
    RefundableLine,
    quote_line_refund,
)
from ...models import (
    HoldStatus,
    InventoryHold,
    Order,
    OrderLine,
    PaymentTransaction,
    RefundLine,
)
from ...models.types import utcnow
from ..inventory.holds import lock_variants, variant_label
from ..inventory.stock import record_adjustment


def _live_refund_lines(order_id: int):
    """Refund lines of the order whose refund did not fail."""
    return (select(RefundLine, OrderLine.variant_id)
            .join(OrderLine, OrderLine.id == RefundLine.order_line_id)
            .join(PaymentTransaction, PaymentTransaction.id == RefundLine.transaction_id)
            .where(OrderLine.order_id == order_id,
                   PaymentTransaction.status != TransactionStatus.FAILED))


def refundable_lines(session: Session, order: Order) -> list[RefundableLine]:
    refunded: dict[int, int] = defaultdict(int)
    for line, _product_id in session.execute(_live_refund_lines(order.id)):
        refunded[line.order_line_id] += line.quantity
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)
                            .order_by(OrderLine.id))
    return [RefundableLine(line.id, line.name, line.unit_price, line.quantity,
                           refunded[line.id]) for line in lines]


def quote_for(session: Session, order: Order, wanted: Mapping[int, int]) -> LineRefundQuote:
    """The amount of refunding ``wanted`` (line id → units) of ``order`` now."""
    return quote_line_refund(refundable_lines(session, order), wanted,
                             OrderCharges(order.shipping, order.tax, order.tax_rate_bp))


def restockable_units(session: Session, order_id: int, *,
                      count_pending: bool = False) -> dict[int, int]:
    """Variant id → units the order took from stock that have not been put back.

    ``count_pending``: also subtract units that claimed refunds will restock when they
    succeed (to refuse a second refund restocking the same units).
    """
    taken = dict(session.execute(
        select(InventoryHold.variant_id, func.sum(InventoryHold.quantity))
        .where(InventoryHold.order_id == order_id, InventoryHold.status == HoldStatus.CONVERTED)
        .group_by(InventoryHold.variant_id)).all())
    units = {variant_id: int(qty) for variant_id, qty in taken.items()}
    for line, variant_id in session.execute(_live_refund_lines(order_id)):
        if line.restocked_at is not None or (count_pending and line.restock):
            units[variant_id] = units.get(variant_id, 0) - line.quantity
    return {variant_id: max(0, qty) for variant_id, qty in units.items()}


def check_restock(session: Session, *, order: Order, quote: LineRefundQuote) -> None:
    """Refuse (``InvalidRefundLines``) to restock units the order never took or gave back."""
    lines = {line.id: line for line in session.scalars(
        select(OrderLine).where(OrderLine.id.in_(list(quote.quantities))))}
    available = restockable_units(session, order.id, count_pending=True)
    wanted: dict[int, int] = defaultdict(int)
    for line_id, qty in quote.quantities.items():
        wanted[lines[line_id].variant_id] += qty
    for variant_id, qty in sorted(wanted.items()):
        if qty > available.get(variant_id, 0):
            name = next(line.name for line in lines.values() if line.variant_id == variant_id)
            raise InvalidRefundLines(_not_restockable(name, available.get(variant_id, 0)))


def claim_refund_lines(session: Session, *, order: Order, transaction: PaymentTransaction,
                       quote: LineRefundQuote, restock: bool) -> None:
    """Record the units ``transaction`` refunds; with ``restock``, check they can go back."""
    if restock:
        check_restock(session, order=order, quote=quote)
    for line_id, qty in sorted(quote.quantities.items()):
        session.add(RefundLine(transaction_id=transaction.id, order_line_id=line_id,
                               quantity=qty, restock=restock))
    session.flush()


def _not_restockable(name: str, available: int) -> str:
    if available == 0:
        return (f"{name} cannot be put back in stock: this order's units are already back "
                "(canceled or restocked) or were never taken from stock. Refund without "
                "restocking.")
    return f"Only {available} × {name} from this order can be put back in stock."


def restock_refund(session: Session, *, order: Order, transaction: PaymentTransaction,
                   actor: str) -> dict[str, int]:
    """Put back the units a succeeded refund asked to restock; line name → units."""
    pending = list(session.scalars(
        select(RefundLine).where(RefundLine.transaction_id == transaction.id,
                                 RefundLine.restock.is_(True),
                                 RefundLine.restocked_at.is_(None))
        .order_by(RefundLine.id)))
    if not pending:
        return {}
    variant_of = dict(session.execute(
        select(OrderLine.id, OrderLine.variant_id)
        .where(OrderLine.id.in_([line.order_line_id for line in pending]))).all())
    wanted: dict[int, int] = defaultdict(int)
    for line in pending:
        wanted[variant_of[line.order_line_id]] += line.quantity
    variants = lock_variants(session, wanted)
    # Read before marking these lines done: units a cancel put back meanwhile are not
    # available any more, and are not put back twice.
    available = restockable_units(session, order.id)
    for line in pending:
        line.restocked_at = utcnow()
    restocked = {}
    for variant_id in sorted(wanted):
        units = min(wanted[variant_id], available.get(variant_id, 0))
        if units <= 0:
            continue
        variant = variants[variant_id]
        record_adjustment(session, variant, units, actor=actor,
                          reason=f"Refund {transaction.provider_reference or transaction.id} "
                                 f"of order {order.number}")
        restocked[variant_label(session, variant)] = units
    return restocked
