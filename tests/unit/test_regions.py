"""Regions and the tax rate a destination gets: pure rules, no app."""

from dataclasses import replace

import pytest

from shop.domain.errors import InvalidRegion
from shop.domain.pricing import DEFAULT_RATES, PricedLine, quote, tax_rate
from shop.domain.regions import (
    address_lines,
    check_region,
    country_name,
    region_name,
    regions_of,
)
from shop.domain.tax_rates import CANADA_BP, US_STATE_BP


def test_us_regions_are_the_states_and_dc_without_the_territories():
    codes = {region.code for region in regions_of("US")}
    assert len(codes) == 51 and "US-DC" in codes and "US-TX" in codes
    assert not codes & {"US-PR", "US-GU", "US-VI", "US-AS", "US-MP", "US-UM"}


def test_canadian_regions_are_its_provinces_and_territories():
    codes = {region.code for region in regions_of("CA")}
    assert codes == {f"CA-{c}" for c in "AB BC MB NB NL NS NT NU ON PE QC SK YT".split()}


def test_other_countries_ask_for_no_region():
    assert regions_of("DE") == () and regions_of("GB") == ()


def test_every_served_region_has_a_default_rate_and_no_rate_is_for_another():
    served = {r.code for country in ("US", "CA") for r in regions_of(country)}
    assert set(US_STATE_BP) | set(CANADA_BP) == served


@pytest.mark.parametrize(("country", "region", "kept"), [
    ("US", "US-TX", "US-TX"), ("US", " us-tx ", "US-TX"), ("CA", "CA-QC", "CA-QC"),
    ("DE", "", ""), ("GB", None, ""),
])
def test_a_region_of_the_country_is_kept(country, region, kept):
    assert check_region(country, region) == kept


@pytest.mark.parametrize(("country", "region", "message"), [
    ("US", "", "Choose a state for this address."),
    ("CA", "", "Choose a province or territory for this address."),
    ("CA", "US-TX", "Choose a province or territory listed under Canada: Texas is not one "
                    "of them."),
    ("US", "US-PR", "Choose a state listed under United States: Puerto Rico is not one of "
                    "them."),
    ("US", "US-ZZ", "Choose a state listed under United States: US-ZZ is not one of them."),
    ("DE", "US-TX", "Leave the state or province empty for this country."),
])
def test_a_missing_or_foreign_region_is_refused_with_a_reason(country, region, message):
    with pytest.raises(InvalidRegion) as refused:
        check_region(country, region)
    assert str(refused.value) == message
    assert (refused.value.code, refused.value.status) == ("invalid_region", 422)


@pytest.mark.parametrize(("country", "region", "rate"), [
    ("US", "US-TX", 625), ("US", "US-OR", 0), ("US", "US-CA", 725),
    ("CA", "CA-ON", 1300),  # HST
    ("CA", "CA-BC", 1200),  # GST 5 + PST 7
    ("CA", "CA-AB", 500),  # GST only
    ("CA", "CA-QC", 1497),  # GST 5 + QST 9.975, rounded down
    ("DE", "", 1900), ("AT", "", 0),
])
def test_the_rate_is_the_regions_else_the_countrys(country, region, rate):
    assert tax_rate(country, region, DEFAULT_RATES) == rate


def test_a_region_without_a_rate_falls_back_to_its_country():
    rates = replace(DEFAULT_RATES, region_tax_bp={"US-TX": 800}, tax_bp={"US": 500})
    assert tax_rate("US", "US-TX", rates) == 800
    assert tax_rate("US", "US-NY", rates) == 500


def test_a_region_rate_never_applies_to_another_country():
    rates = replace(DEFAULT_RATES, region_tax_bp={"US-TX": 800}, tax_bp={"CA": 500})
    assert tax_rate("CA", "US-TX", rates) == 500


def test_quote_charges_the_regions_rate_on_goods_and_shipping():
    q = quote([PricedLine(1, "Tea", 2000, 1)], country="CA", region="CA-BC",
              shipping_method="standard", rates=DEFAULT_RATES)
    assert (q.shipping, q.tax_rate_bp, q.tax) == (1200, 1200, 384)  # 12 % of 32.00


def test_quote_refuses_a_missing_region_where_the_country_has_them():
    with pytest.raises(InvalidRegion):
        quote([PricedLine(1, "Tea", 2000, 1)], country="US", shipping_method="standard",
              rates=DEFAULT_RATES)


def test_names_are_written_in_full():
    assert country_name("CA") == "Canada" and country_name("US") == "United States"
    assert country_name("GB") == "United Kingdom"
    assert region_name("US-TX") == "Texas" and region_name("") == ""
    assert country_name("ZZ") == "ZZ"


def test_an_address_prints_region_and_country_in_full():
    us = address_lines(name="Ada", line1="1 Main St", line2="", city="Austin",
                       region="US-TX", postal_code="78701", country="US")
    assert us == ["Ada", "1 Main St", "Austin, Texas 78701", "United States"]
    canada = address_lines(name="Ada", line1="1 Rue", line2="Apt 2", city="Ottawa",
                           region="CA-ON", postal_code="K1A 0B1", country="CA")
    assert canada[-2:] == ["Ottawa, Ontario K1A 0B1", "Canada"]
    germany = address_lines(name="Ada", line1="Weg 1", line2="", city="Berlin", region="",
                            postal_code="10115", country="DE")
    assert germany[-2:] == ["10115 Berlin", "Germany"]
