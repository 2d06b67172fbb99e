"""Order pricing: subtotal, shipping and tax from catalog prices, in integer minor units.

Prices are tax-exclusive; tax is charged on goods and shipping at the destination's rate:
its state's or province's where the table has one (``tax_rate``), else its country's.
Rates are data (a ``RateTable``) so that staff settings can replace them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import EmptyCart, UnsupportedDestination
from .money import apply_rate
from .regions import check_region, country_name, regions_of
from .tax_rates import REGION_BP

EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)


@dataclass(frozen=True)
class ShippingMethod:
    code: str
    label: str
    days: str


SHIPPING_METHODS = {
    "standard": ShippingMethod("standard", "Standard", "3–5 business days"),
    "express": ShippingMethod("express", "Express", "1–2 business days"),
}


def method_label(code: str) -> str:
    """The shipping method's name as the shopper chose it ("Express")."""
    method = SHIPPING_METHODS.get(code)
    return method.label if method is not None else code.capitalize()


@dataclass(frozen=True)
class Zone:
    code: str
    label: str
    countries: frozenset[str]
    shipping: Mapping[str, int]  # method code → price in minor units
    free_standard_over: int | None = None  # subtotal at or above which standard is free


@dataclass(frozen=True)
class RateTable:
    currency: str
    zones: tuple[Zone, ...]
    tax_bp: Mapping[str, int]  # country → rate in basis points (1 % = 100)
    countries: Mapping[str, str] = field(default_factory=dict)  # code → name, for forms
    # ISO 3166-2 region ("US-TX") → basis points; for Canada GST + PST, or HST, combined.
    region_tax_bp: Mapping[str, int] = field(default_factory=dict)

    def zone_for(self, country: str) -> Zone:
        for zone in self.zones:
            if country in zone.countries:
                return zone
        raise UnsupportedDestination(f"We do not ship to {country}.")


DEFAULT_RATES = RateTable(
    currency="USD",
    zones=(
        Zone("domestic", "United States", frozenset({"US"}),
             {"standard": 500, "express": 1500}, free_standard_over=7500),
        Zone("north_america", "Canada", frozenset({"CA"}), {"standard": 1200, "express": 2800}),
        Zone("europe", "Europe", EU | {"GB", "CH", "NO"}, {"standard": 1800, "express": 3500}),
    ),
    tax_bp={"US": 725, "CA": 500, "GB": 2000, "DE": 1900, "FR": 2000, "NL": 2100,
            "IE": 2300, "ES": 2100, "IT": 2200, "SE": 2500, "CH": 810, "NO": 2500},
    countries={code: country_name(code)
               for code in "US CA GB DE FR NL IE ES IT SE CH NO".split()},
    region_tax_bp=REGION_BP,
)

# A store selling in naira ships at home only: Nigeria, VAT 7.5 %, prices in kobo.
NIGERIA_RATES = RateTable(
    currency="NGN",
    zones=(Zone("domestic", "Nigeria", frozenset({"NG"}),
                {"standard": 2_500_00, "express": 6_000_00}, free_standard_over=50_000_00),),
    tax_bp={"NG": 750},
    countries={"NG": country_name("NG")},
)
RATES_BY_CURRENCY = {"USD": DEFAULT_RATES, "NGN": NIGERIA_RATES}


def rates_for(currency: str) -> RateTable:
    """The default rate table of a store selling in ``currency``: its prices are in that
    currency, so its shipping and free-shipping amounts must be too. A currency without a
    table of its own keeps the US one (as every store did before there were two)."""
    return RATES_BY_CURRENCY.get(currency.upper(), DEFAULT_RATES)


@dataclass(frozen=True)
class PricedLine:
    """A line at the catalog's price: of one variant (``name`` is "Product — Variant")."""

    product_id: int
    name: str
    unit_price: int
    quantity: int
    variant_id: int = 0
    sku: str = ""

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: tuple[PricedLine, ...]
    subtotal: int
    shipping: int
    tax: int
    tax_rate_bp: int
    shipping_method: str

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping + self.tax


def shipping_price(zone: Zone, method: str, subtotal: int) -> int:
    if method not in zone.shipping:
        raise UnsupportedDestination(f"{method} shipping is not available to {zone.label}.")
    if method == "standard" and zone.free_standard_over is not None:
        if subtotal >= zone.free_standard_over:
            return 0
    return zone.shipping[method]


def tax_rate(country: str, region: str, rates: RateTable) -> int:
    """The destination's rate: its region's when the table has one, else its country's."""
    if region.startswith(f"{country}-") and region in rates.region_tax_bp:
        return rates.region_tax_bp[region]
    return rates.tax_bp.get(country, 0)


def offered_methods(rates: RateTable, country: str) -> tuple[ShippingMethod, ...]:
    """The methods the shop ships ``country`` by, in the shop's order; raises
    ``UnsupportedDestination``."""
    zone = rates.zone_for(country)
    return tuple(method for code, method in SHIPPING_METHODS.items() if code in zone.shipping)


def quotes_by_destination(
    lines: Iterable[PricedLine], rates: RateTable
) -> dict[str, dict[str, Quote]]:
    """``quote()`` for every destination the shop serves and every method offered there
    (destination → method → quote): what the checkout page shows before the shopper
    submits. A destination is a country, or, where its addresses name one, each of its
    regions ("US-TX"; tax differs by region). Empty when no line has a quantity."""
    priced = tuple(line for line in lines if line.quantity > 0)
    if not priced:
        return {}
    table: dict[str, dict[str, Quote]] = {}
    # Regions of one country at the same rate get the same quotes (one object): 64 regions
    # have about 30 distinct rates, and the page formats each quote once.
    by_rate: dict[tuple[str, int], dict[str, Quote]] = {}
    for country in rates.countries:
        methods = offered_methods(rates, country)
        for region in [r.code for r in regions_of(country)] or [""]:
            key = (country, tax_rate(country, region, rates))
            if key not in by_rate:
                by_rate[key] = {method.code: quote(priced, country=country, region=region,
                                                   shipping_method=method.code, rates=rates)
                                for method in methods}
            table[region or country] = by_rate[key]
    return table


def quote(
    lines: Iterable[PricedLine], *, country: str, shipping_method: str, rates: RateTable,
    region: str = "",
) -> Quote:
    """Price an order; raises ``EmptyCart``, ``UnsupportedDestination`` or ``InvalidRegion``
    (``region`` missing where the country has regions, or not one of the country's)."""
    priced = tuple(line for line in lines if line.quantity > 0)
    if not priced:
        raise EmptyCart("Your cart is empty.")
    for line in priced:
        if line.unit_price < 0:
            raise ValueError("a catalog price is never negative")
    zone = rates.zone_for(country)
    region = check_region(country, region)
    subtotal = sum(line.total for line in priced)
    shipping = shipping_price(zone, shipping_method, subtotal)
    rate = tax_rate(country, region, rates)
    tax = apply_rate(subtotal + shipping, rate)
    return Quote(rates.currency, priced, subtotal, shipping, tax, rate, shipping_method)
