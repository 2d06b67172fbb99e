import pytest

from shop.domain.money import apply_rate, format_money, locale_in


@pytest.mark.parametrize(("amount", "rate_bp", "expected"), [
    (1000, 725, 73),  # 72.5 rounds half up
    (1000, 2000, 200),
    (999, 725, 72),  # 72.4275
    (1, 5000, 1),  # 0.5 → 1
    (1, 4999, 0),
    (0, 2500, 0),
    (123456789, 1900, 23456790),  # 23456789.91
])
def test_apply_rate_rounds_half_up_in_minor_units(amount, rate_bp, expected):
    assert apply_rate(amount, rate_bp) == expected


def test_apply_rate_refuses_negative_amounts():
    with pytest.raises(ValueError):
        apply_rate(-1, 100)


@pytest.mark.parametrize(("amount", "currency", "expected"), [
    (123450, "USD", "$1,234.50"),
    (5, "usd", "$0.05"),
    (-250, "EUR", "-€2.50"),
    (1500, "JPY", "¥1,500"),  # no minor unit: 1500 yen, not 15.00
    (1999, "CHF", "CHF19.99"),
])
def test_format_money(amount, currency, expected):
    assert format_money(amount, currency) == expected


@pytest.mark.parametrize(("locale", "expected"), [
    ("en_US", "€1,234.50"),
    ("de_DE", "1.234,50\xa0€"),
    ("fr_FR", "1\u202f234,50\xa0€"),
])
def test_format_money_follows_the_locale(locale, expected):
    assert format_money(123450, "EUR", locale) == expected


def test_a_locale_is_written_as_in_the_stores_country_when_cldr_has_the_pair():
    assert locale_in("en_US", "NG") == "en_NG"
    assert format_money(2_500_00, "NGN", locale_in("en_US", "NG")) == "₦2,500.00"
    assert locale_in("en_US", "US") == "en_US"
    # No German of the United States in CLDR: the configured locale stays.
    assert locale_in("de_DE", "US") == "de_DE"
    assert locale_in("en_US", "") == "en_US"
