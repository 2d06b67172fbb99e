"""The amount of a refund by order lines, computed from what the shopper paid for them.

Prices come from the order lines (what checkout charged), never from the browser. Tax is
the order's rate on the goods refunded, and shipping is given back with the last units: a
refund that leaves nothing of the order unrefunded includes the shipping. Tax is computed
on the running total (refunded so far + this refund) minus what earlier line refunds already
gave back, so rounding never drifts: refunding every line, one at a time or all at once,
gives back exactly the order's total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .ledger import LedgerError
from .money import apply_rate, format_money


class InvalidRefundLines(LedgerError):
    code = "invalid_refund_lines"


@dataclass(frozen=True)
class RefundableLine:
    line_id: int
    name: str
    unit_price: int
    quantity: int
    refunded: int  # units given back by earlier refunds that did not fail

    @property
    def left(self) -> int:
        return self.quantity - self.refunded


@dataclass(frozen=True)
class OrderCharges:
    shipping: int
    tax: int
    tax_rate_bp: int


@dataclass(frozen=True)
class LineRefundQuote:
    amount: int
    goods: int
    shipping: int
    tax: int
    quantities: Mapping[int, int]  # line id → units refunded now (only lines with units)


def quote_line_refund(lines: Sequence[RefundableLine], wanted: Mapping[int, int],
                      charges: OrderCharges) -> LineRefundQuote:
    """Price giving back ``wanted`` (line id → units); raises ``InvalidRefundLines``."""
    by_id = {line.line_id: line for line in lines}
    unknown = set(wanted) - set(by_id)
    if unknown:
        raise InvalidRefundLines("That item is not part of this order.")
    chosen = {line_id: qty for line_id, qty in wanted.items() if qty}
    if any(qty < 0 for qty in chosen.values()):
        raise InvalidRefundLines("Quantities to refund cannot be negative.")
    if not chosen:
        raise InvalidRefundLines("Choose at least one item to refund.")
    for line_id, qty in chosen.items():
        line = by_id[line_id]
        if qty > line.left:
            raise InvalidRefundLines(
                f"Only {line.left} × {line.name} can still be refunded." if line.left
                else f"{line.name} has already been refunded in full.")
    goods_before = sum(line.unit_price * line.refunded for line in lines)
    goods = sum(by_id[line_id].unit_price * qty for line_id, qty in chosen.items())
    everything = all(line.refunded + chosen.get(line.line_id, 0) == line.quantity
                     for line in lines)
    shipping = charges.shipping if everything else 0
    tax_before = apply_rate(goods_before, charges.tax_rate_bp)
    tax_after = charges.tax if everything else apply_rate(goods_before + goods,
                                                          charges.tax_rate_bp)
    tax = max(0, tax_after - tax_before)
    return LineRefundQuote(goods + shipping + tax, goods, shipping, tax, chosen)


class RefundAmountChanged(LedgerError):
    """The amount shown for confirmation is no longer what the refund would be."""

    code = "refund_amount_changed"
    status = 409

    def __init__(self, amount: int, expected: int, currency: str):
        super().__init__(f"The refund now comes to {format_money(amount, currency)}, not the "
                         f"{format_money(expected, currency)} you confirmed: something changed "
                         "on this order meanwhile. Check the amount and confirm again.")
        self.amount, self.expected = amount, expected
