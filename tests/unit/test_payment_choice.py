"""The checkout's choice rules: currency, country and amount limits (no app)."""

from __future__ import annotations

import pytest

from shop.domain.payment_methods.payment_choice import (
    MethodRule,
    OrderFacts,
    methods_for,
    preselected,
)

NAIRA = frozenset({"NGN", "GHS"})
RULES = [
    MethodRule("stripe"),
    MethodRule("paystack", currencies=NAIRA),
    MethodRule("flutterwave", currencies=frozenset({"NGN", "USD"})),
    MethodRule("bank_transfer"),
    MethodRule("cod", domestic_only=True, max_amount=50_000),
]


def order(amount=10_000, currency="NGN", country="NG", store_country="NG") -> OrderFacts:
    return OrderFacts(amount=amount, currency=currency, country=country,
                      store_country=store_country)


@pytest.mark.parametrize(("facts", "expected"), [
    (order(), ["stripe", "paystack", "flutterwave", "bank_transfer", "cod"]),
    (order(currency="USD", store_country="US", country="US"),
     ["stripe", "flutterwave", "bank_transfer", "cod"]),
    (order(currency="EUR", country="DE", store_country="DE"), ["stripe", "bank_transfer", "cod"]),
    (order(country="GH"), ["stripe", "paystack", "flutterwave", "bank_transfer"]),
    (order(country=None), ["stripe", "paystack", "flutterwave", "bank_transfer"]),
    (order(amount=50_000), ["stripe", "paystack", "flutterwave", "bank_transfer", "cod"]),
    (order(amount=50_001), ["stripe", "paystack", "flutterwave", "bank_transfer"]),
    (order(currency="ngn", country="ng"),
     ["stripe", "paystack", "flutterwave", "bank_transfer", "cod"]),
    (order(amount=0), []),
], ids=["domestic-naira", "usd", "euro", "abroad", "no-address", "cod-at-limit",
        "cod-over-limit", "lowercase", "nothing-to-pay"])
def test_methods_that_fit_an_order(facts, expected):
    assert methods_for(facts, RULES) == expected


def test_no_cap_when_cod_max_amount_is_unset():
    assert methods_for(order(amount=10**9), [MethodRule("cod", domestic_only=True)]) == ["cod"]


@pytest.mark.parametrize(("available", "default", "expected"), [
    (["stripe", "paystack"], "paystack", "paystack"),
    (["stripe", "bank_transfer"], "paystack", "stripe"),
    ([], "stripe", None),
    (["cod"], None, "cod"),
])
def test_preselected_is_the_default_when_it_fits(available, default, expected):
    assert preselected(available, default) == expected
