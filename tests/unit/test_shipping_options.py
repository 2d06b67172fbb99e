"""The checkout's shipping helpers: which methods a destination is offered, and the quote of
every destination and method that the checkout page embeds."""

from dataclasses import replace

import pytest

from shop.domain.errors import UnsupportedDestination
from shop.domain.pricing import (
    DEFAULT_RATES,
    SHIPPING_METHODS,
    PricedLine,
    offered_methods,
    quote,
    quotes_by_destination,
)
from shop.domain.regions import regions_of

NO_EXPRESS_TO_CANADA = replace(DEFAULT_RATES, zones=tuple(
    replace(z, shipping={"standard": z.shipping["standard"]}) if z.code == "north_america"
    else z for z in DEFAULT_RATES.zones))


def lines(*specs):
    return [PricedLine(i, f"p{i}", price, qty) for i, (price, qty) in enumerate(specs, 1)]


def test_every_served_country_is_offered_every_default_method():
    for country in DEFAULT_RATES.countries:
        assert offered_methods(DEFAULT_RATES, country) == tuple(SHIPPING_METHODS.values())


def test_a_zone_without_a_method_is_not_offered_it():
    assert [m.code for m in offered_methods(NO_EXPRESS_TO_CANADA, "CA")] == ["standard"]
    assert [m.code for m in offered_methods(NO_EXPRESS_TO_CANADA, "US")] == [
        "standard", "express"]


def test_an_unserved_country_is_refused():
    with pytest.raises(UnsupportedDestination):
        offered_methods(DEFAULT_RATES, "AU")


def test_the_table_is_quote_for_each_destination_and_method():
    cart = lines((1650, 2), (950, 1))
    table = quotes_by_destination(cart, DEFAULT_RATES)
    # A country whose addresses name a state or province is priced per region (its tax).
    regions = {r.code for c in ("US", "CA") for r in regions_of(c)}
    assert set(table) == set(DEFAULT_RATES.countries) - {"US", "CA"} | regions
    for destination, by_method in table.items():
        assert set(by_method) == {"standard", "express"}
        country, _, _ = destination.partition("-")
        region = destination if "-" in destination else ""
        for method, q in by_method.items():
            assert q == quote(cart, country=country, region=region, shipping_method=method,
                              rates=DEFAULT_RATES)
    assert (table["US-CA"]["standard"].total, table["DE"]["express"].total) == (
        4250 + 500 + 344, 4250 + 3500 + 1473)
    assert table["US-OR"]["standard"].total == 4250 + 500  # no sales tax in Oregon


def test_the_table_shows_free_standard_from_the_threshold_only_where_it_applies():
    table = quotes_by_destination(lines((7500, 1)), DEFAULT_RATES)
    assert table["US-TX"]["standard"].shipping == 0
    assert table["US-TX"]["express"].shipping == 1500
    assert table["CA-ON"]["standard"].shipping == 1200


def test_the_table_leaves_out_methods_a_zone_does_not_offer():
    table = quotes_by_destination(lines((1000, 1)), NO_EXPRESS_TO_CANADA)
    assert set(table["CA-QC"]) == {"standard"}
    assert set(table["US-NY"]) == {"standard", "express"}


def test_nothing_to_price_gives_an_empty_table():
    assert quotes_by_destination(lines((1000, 0)), DEFAULT_RATES) == {}
