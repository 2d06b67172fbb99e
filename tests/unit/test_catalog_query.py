"""The catalog's sort and filters from a query string: never an error, always a message for
a price that was left out (no app)."""

from __future__ import annotations

import pytest

from shop.domain.catalog_query import DEFAULT_SORT, CatalogQuery, parse_catalog_query


def test_nothing_asked_is_the_default():
    query = parse_catalog_query({}, "USD")
    assert query == CatalogQuery()
    assert query.args("USD") == {} and query.problems == ()


def test_every_parameter_read_in_major_units():
    query = parse_catalog_query({"sort": "price_desc", "in_stock": "1", "min_price": "5",
                                 "max_price": "$1,250.5"}, "USD")
    assert (query.sort, query.in_stock, query.min_price, query.max_price) == \
        ("price_desc", True, 500, 125050)
    assert query.args("USD") == {"sort": "price_desc", "in_stock": "1", "min_price": "5.00",
                                 "max_price": "1250.50"}
    assert parse_catalog_query({"min_price": "500"}, "JPY").min_price == 500


@pytest.mark.parametrize("sort", ["", "price", "PRICE_ASC", "name; drop table", "x" * 500])
def test_an_unknown_sort_is_the_default(sort):
    query = parse_catalog_query({"sort": sort}, "USD")
    assert query.sort == DEFAULT_SORT and query.problems == ()


@pytest.mark.parametrize("value", ["0", "yes", "true", ""])
def test_in_stock_only_with_1(value):
    assert parse_catalog_query({"in_stock": value}, "USD").in_stock is False


@pytest.mark.parametrize("raw,message", [
    ("abc", "The lowest price was left out: enter an amount like 12.50."),
    ("-5", "The lowest price was left out: enter an amount of 0 or more."),
    ("1.999", "The lowest price was left out: use at most 2 decimals."),
    ("99999999999999999999", "The lowest price was left out: that amount is too large."),
    ("9" * 5000, "The lowest price was left out: that amount is too large."),
    ("1e9", "The lowest price was left out: enter an amount like 12.50."),
    ("NaN", "The lowest price was left out: enter an amount like 12.50."),
])
def test_a_bad_price_is_left_out_with_a_message(raw, message):
    query = parse_catalog_query({"min_price": raw, "max_price": "20"}, "USD")
    assert query.min_price is None and query.max_price == 2000
    assert query.problem("min_price") == message and query.problem("max_price") is None
    assert query.typed_value("min_price") == raw[:20]
    assert "min_price" not in query.args("USD")


def test_a_range_upside_down_is_left_out():
    query = parse_catalog_query({"min_price": "30", "max_price": "10"}, "USD")
    assert query.min_price is None and query.max_price is None
    assert query.problem("max_price") == \
        "The highest price is below the lowest: both were left out."
