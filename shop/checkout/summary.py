"""The checkout page's order summary and shipping prices, drawn from ``domain.pricing``.

The page shows the figures for the destination the form holds; ``table`` carries the same
figures for every destination the shop serves, formatted here, so that checkout.js only
swaps texts as the shopper changes country or method: the script does no arithmetic and no
rounding of its own. Nothing here is trusted back: the order is priced again on submit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..domain.money import format_money
from ..domain.pricing import (
    SHIPPING_METHODS,
    PricedLine,
    Quote,
    RateTable,
    offered_methods,
    quotes_by_destination,
)
from ..services.cart.carts import CartView

FREE = "Free"


@dataclass(frozen=True)
class Offer:
    """A shipping method as the form lists it for the chosen country."""

    code: str
    label: str
    days: str
    offered: bool  # False: the shop does not ship there by this method
    price: str | None  # None: not known (no country chosen yet, or nothing to price)


@dataclass(frozen=True)
class Summary:
    subtotal: str
    country: str | None  # the country's name; None for a country the shop does not serve
    method: str | None  # the method's label; None for one not offered there
    shipping: str | None
    tax_label: str
    tax: str | None
    total: str | None
    offers: tuple[Offer, ...]
    table: dict  # country → its name, its methods' figures: data for checkout.js


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, current_app.config["SHOP_LOCALE"])


def tax_label(rate_bp: int) -> str:
    return f"Tax ({rate_bp / 100:g}%)" if rate_bp else "Tax"


def _figures(q: Quote) -> dict[str, str]:
    return {"shipping": _money(q.shipping, q.currency) if q.shipping else FREE,
            "tax_label": tax_label(q.tax_rate_bp), "tax": _money(q.tax, q.currency),
            "total": _money(q.total, q.currency)}


def checkout_summary(view: CartView, rates: RateTable, country: str | None,
                     method: str | None) -> Summary:
    """The summary for ``country`` and ``method`` as the form holds them (either may be
    missing or not offered: then only the subtotal is known)."""
    lines = [PricedLine(line.product.id, line.product.name, line.product.price, line.quantity)
             for line in view.lines if line.product.active]
    figures = {code: {m: {"label": SHIPPING_METHODS[m].label, **_figures(q)}
                      for m, q in by_method.items()}
               for code, by_method in quotes_by_destination(lines, rates).items()}
    table = {code: {"name": rates.countries[code], "methods": by_method}
             for code, by_method in figures.items()}
    here = figures.get(country or "", {})
    chosen = here.get(method or "")
    name = rates.countries.get(country or "")
    offered = ({m.code for m in offered_methods(rates, country)} if country and name
               else set(SHIPPING_METHODS))
    offers = tuple(Offer(m.code, m.label, m.days, m.code in offered,
                         here[m.code]["shipping"] if m.code in here else None)
                   for m in SHIPPING_METHODS.values())
    subtotal = _money(sum(line.total for line in lines), rates.currency)
    if chosen is None:
        return Summary(subtotal, name, None, None, "Tax", None, None, offers, table)
    return Summary(subtotal, name, chosen["label"], chosen["shipping"], chosen["tax_label"],
                   chosen["tax"], chosen["total"], offers, table)
