"""The checkout page's order summary and shipping prices, drawn from ``domain.pricing``.

The page shows the figures for the destination the form holds; ``table`` carries the same
figures for every destination the shop serves, formatted here, so that checkout.js only
swaps texts as the shopper changes country, state or method: the script does no arithmetic
and no rounding of its own. Nothing here is trusted back: the order is priced again on
submit. A destination is a country, or a state or province ("US-TX") where the country has
them: there the country's own entry has only the shipping prices (the same in each region)
and ``"regions": true``, and tax and total wait for the region.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.money import format_money
from ..domain.pricing import (
    SHIPPING_METHODS,
    PricedLine,
    Quote,
    RateTable,
    offered_methods,
    quotes_by_destination,
)
from ..domain.regions import regions_of
from ..services.cart.carts import CartView
from ..web import shop_locale

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
    place: str | None  # where the total is for: "Texas, United States", or the country
    needs_region: bool  # the country has states or provinces and none is chosen yet
    method: str | None  # the method's label; None for one not offered there
    shipping: str | None
    tax_label: str
    tax: str | None
    total: str | None
    offers: tuple[Offer, ...]
    table: dict  # country → its name, its methods' figures: data for checkout.js
    cod_fee: str | None = None  # cash on delivery's fee, when the shop offers it with one
    total_cod: str | None = None  # the total with that fee (priced here, as the order is)


def _money(amount: int, currency: str) -> str:
    return format_money(amount, currency, shop_locale())


def tax_label(rate_bp: int) -> str:
    return f"Tax ({rate_bp / 100:g}%)" if rate_bp else "Tax"


def _figures(q: Quote, cod_fee: int) -> dict[str, str]:
    figures = {"shipping": _money(q.shipping, q.currency) if q.shipping else FREE,
               "tax_label": tax_label(q.tax_rate_bp), "tax": _money(q.tax, q.currency),
               "total": _money(q.total, q.currency)}
    if cod_fee:  # the order adds the fee after tax (checkout.place): so does this total
        figures["total_cod"] = _money(q.total + cod_fee, q.currency)
    return figures


def _table(lines: list[PricedLine], rates: RateTable, cod_fee: int = 0) -> dict:
    formatted: dict[int, dict] = {}  # destinations at the same rate share their quotes
    figures = {}
    for code, by_method in quotes_by_destination(lines, rates).items():
        if id(by_method) not in formatted:
            formatted[id(by_method)] = {
                m: {"label": SHIPPING_METHODS[m].label, **_figures(q, cod_fee)}
                for m, q in by_method.items()}
        figures[code] = formatted[id(by_method)]
    table: dict = {}
    for country, name in rates.countries.items():
        regions = regions_of(country)
        if not regions:
            if country in figures:
                table[country] = {"name": name, "methods": figures[country]}
            continue
        for region in regions:
            if region.code in figures:
                table[region.code] = {"name": f"{region.name}, {name}",
                                      "methods": figures[region.code]}
        if regions[0].code in figures:
            table[country] = {"name": name, "regions": True, "methods": {
                m: {"label": f["label"], "shipping": f["shipping"]}
                for m, f in figures[regions[0].code].items()}}
    return table


def checkout_summary(view: CartView, rates: RateTable, country: str | None,
                     method: str | None, region: str | None = None, *,
                     cod_fee: int = 0) -> Summary:
    """The summary for ``country``, ``region`` and ``method`` as the form holds them (any
    may be missing or not offered: then only the subtotal, or the shipping, is known).
    ``cod_fee``: cash on delivery's fee where the shop offers it (the page shows it, and
    the total with it, when that method is chosen)."""
    lines = [PricedLine(line.product.id, line.name, line.variant.price, line.quantity,
                        line.variant.id, line.variant.sku)
             for line in view.lines if line.product.active and line.variant.active]
    table = _table(lines, rates, cod_fee)
    country = country or ""
    name = rates.countries.get(country)
    needs_region = bool(regions_of(country))
    place = table.get(region or "") if (region or "").startswith(f"{country}-") else None
    if not needs_region:
        place = table.get(country)
    here = table.get(country, {}).get("methods", {})
    offered = ({m.code for m in offered_methods(rates, country)} if name
               else set(SHIPPING_METHODS))
    offers = tuple(Offer(m.code, m.label, m.days, m.code in offered,
                         here[m.code]["shipping"] if m.code in here else None)
                   for m in SHIPPING_METHODS.values())
    subtotal = _money(sum(line.total for line in lines), rates.currency)
    fee = _money(cod_fee, rates.currency) if cod_fee else None
    chosen = place["methods"].get(method or "") if place else None
    if chosen is None or place is None:
        shipping = here.get(method or "", {}).get("shipping")
        label = here.get(method or "", {}).get("label")
        return Summary(subtotal, name, None, needs_region and place is None, label, shipping,
                       "Tax", None, None, offers, table, fee)
    return Summary(subtotal, name, place["name"], False, chosen["label"], chosen["shipping"],
                   chosen["tax_label"], chosen["tax"], chosen["total"], offers, table,
                   fee, chosen.get("total_cod"))
