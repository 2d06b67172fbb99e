import pytest

from shop.domain.errors import EmptyCart, UnsupportedDestination
from shop.domain.pricing import DEFAULT_RATES, PricedLine, quote


def lines(*specs):
    return [PricedLine(i, f"p{i}", price, qty) for i, (price, qty) in enumerate(specs, 1)]


def test_domestic_standard_below_free_threshold():
    q = quote(lines((1650, 2), (950, 1)), country="US", region="US-CA",
              shipping_method="standard", rates=DEFAULT_RATES)
    assert q.subtotal == 4250
    assert q.shipping == 500
    assert q.tax == 344  # California's 7.25 % of 4750 = 344.375
    assert q.total == 4250 + 500 + 344


def test_domestic_standard_is_free_from_threshold_but_express_is_not():
    big = lines((7500, 1))
    assert quote(big, country="US", region="US-NY", shipping_method="standard",
                 rates=DEFAULT_RATES).shipping == 0
    assert quote(big, country="US", region="US-NY", shipping_method="express",
                 rates=DEFAULT_RATES).shipping == 1500


@pytest.mark.parametrize(("country", "region", "shipping", "tax_bp"), [
    ("CA", "CA-AB", 1200, 500), ("DE", "", 1800, 1900), ("GB", "", 1800, 2000),
    ("AT", "", 1800, 0),
])
def test_zone_shipping_and_country_tax(country, region, shipping, tax_bp):
    q = quote(lines((1000, 1)), country=country, region=region, shipping_method="standard",
              rates=DEFAULT_RATES)
    assert q.shipping == shipping
    assert q.tax_rate_bp == tax_bp
    assert q.tax == ((1000 + shipping) * tax_bp * 2 + 10000) // 20000


def test_unsupported_country_is_refused():
    with pytest.raises(UnsupportedDestination):
        quote(lines((1000, 1)), country="AU", shipping_method="standard", rates=DEFAULT_RATES)


def test_unknown_shipping_method_is_refused():
    with pytest.raises(UnsupportedDestination):
        quote(lines((1000, 1)), country="US", region="US-TX", shipping_method="drone",
              rates=DEFAULT_RATES)


def test_empty_cart_is_refused():
    with pytest.raises(EmptyCart):
        quote(lines((1000, 0)), country="US", region="US-TX", shipping_method="standard",
              rates=DEFAULT_RATES)


def test_amounts_are_integers():
    q = quote(lines((333, 3)), country="DE", shipping_method="express", rates=DEFAULT_RATES)
    assert all(isinstance(v, int) for v in (q.subtotal, q.shipping, q.tax, q.total))
