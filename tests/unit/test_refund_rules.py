"""The refund rules with no app: the amount of a refund by lines, the staff limit and the
refund window."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest

from shop.domain.money import apply_rate
from shop.domain.refund_lines import (
    InvalidRefundLines,
    OrderCharges,
    RefundableLine,
    quote_line_refund,
)
from shop.domain.refund_policy import (
    OutsideRefundWindow,
    RefundAboveLimit,
    RefundRole,
    check_refund_policy,
)

PAID = datetime(2026, 3, 1, 12, tzinfo=UTC)


def lines(*spec, refunded=None):
    refunded = refunded or {}
    return [RefundableLine(i, name, price, qty, refunded.get(i, 0))
            for i, (name, price, qty) in enumerate(spec, start=1)]


def order_charges(items, shipping: int, rate: int) -> OrderCharges:
    subtotal = sum(price * qty for _name, price, qty in items)
    return OrderCharges(shipping, apply_rate(subtotal + shipping, rate), rate)


ITEMS = (("Beans", 1650, 2), ("Grinder", 1200, 1))
CHARGES = order_charges(ITEMS, 500, 725)  # tax $3.63, total $53.63


def test_one_unit_is_its_price_and_its_tax():
    quote = quote_line_refund(lines(*ITEMS), {1: 1}, CHARGES)
    assert (quote.goods, quote.shipping, quote.tax, quote.amount) == (1650, 0, 120, 1770)


def test_everything_at_once_is_the_order_total():
    quote = quote_line_refund(lines(*ITEMS), {1: 2, 2: 1}, CHARGES)
    assert (quote.goods, quote.shipping, quote.tax) == (4500, 500, 363)
    assert quote.amount == 4500 + 500 + 363


@pytest.mark.parametrize("rate", [0, 725, 1900, 2500, 333])
@pytest.mark.parametrize("shipping", [0, 500, 1299])
def test_refunding_unit_by_unit_in_any_order_gives_back_exactly_the_total(rate, shipping):
    items = (("A", 999, 3), ("B", 1, 2), ("C", 12345, 1))
    charges = order_charges(items, shipping, rate)
    total = sum(p * q for _n, p, q in items) + shipping + charges.tax
    units = [i for i, (_n, _p, qty) in enumerate(items, start=1) for _ in range(qty)]
    for order in itertools.islice(itertools.permutations(units), 0, None, 97):
        refunded: dict[int, int] = {}
        given = 0
        for line_id in order:
            quote = quote_line_refund(lines(*items, refunded=refunded), {line_id: 1}, charges)
            assert quote.amount > 0
            given += quote.amount
            refunded[line_id] = refunded.get(line_id, 0) + 1
        assert given == total


def test_shipping_comes_back_with_the_last_units_only():
    first = quote_line_refund(lines(*ITEMS), {2: 1}, CHARGES)
    assert first.shipping == 0
    last = quote_line_refund(lines(*ITEMS, refunded={2: 1}), {1: 2}, CHARGES)
    assert last.shipping == 500
    assert first.amount + last.amount == 5363


@pytest.mark.parametrize("wanted,message", [
    ({1: 3}, "Only 2 × Beans can still be refunded."),
    ({9: 1}, "That item is not part of this order."),
    ({1: 0, 2: 0}, "Choose at least one item to refund."),
    ({1: -1}, "Quantities to refund cannot be negative."),
])
def test_bad_quantities(wanted, message):
    with pytest.raises(InvalidRefundLines, match=re.escape(message)):
        quote_line_refund(lines(*ITEMS), wanted, CHARGES)


def test_a_line_refunded_in_full():
    with pytest.raises(InvalidRefundLines, match="Grinder has already been refunded in full"):
        quote_line_refund(lines(*ITEMS, refunded={2: 1}), {2: 1}, CHARGES)


def policy(role, amount=500, refunded_before=0, limit=1000, days=10, window=90,
           override=None):
    return check_refund_policy(role=role, amount=amount, refunded_before=refunded_before,
                               limit=limit, paid_at=PAID, now=PAID + timedelta(days=days),
                               window_days=window, currency="USD", override_reason=override)


@pytest.mark.parametrize("role", [RefundRole.STAFF, RefundRole.API_KEY])
def test_staff_and_api_keys_are_limited_per_order(role):
    assert policy(role, amount=1000).override is None
    with pytest.raises(RefundAboveLimit, match=r"^\$10\.01 is above your refund limit of "
                                                r"\$10\.00\."):
        policy(role, amount=1001)
    with pytest.raises(RefundAboveLimit, match=r"bring the refunds on this order to \$11\.00"):
        policy(role, amount=600, refunded_before=500)


def test_no_limit_set():
    assert policy(RefundRole.STAFF, amount=10**7, limit=None).override is None


@pytest.mark.parametrize("role", [RefundRole.OWNER, RefundRole.SYSTEM])
def test_owners_and_the_shop_are_not_limited(role):
    assert policy(role, amount=10**7).override is None


def test_the_window_is_inclusive_of_its_last_day():
    assert policy(RefundRole.STAFF, days=90).override is None
    with pytest.raises(OutsideRefundWindow, match="March 1, 2026, outside the 90-day"):
        policy(RefundRole.STAFF, days=91)


def test_only_an_owner_with_a_reason_passes_the_window():
    with pytest.raises(OutsideRefundWindow, match="Only an owner can refund it now"):
        policy(RefundRole.STAFF, days=91, override="please")
    with pytest.raises(OutsideRefundWindow, match="give a reason for the exception"):
        policy(RefundRole.OWNER, days=91, override="   ")
    assert policy(RefundRole.OWNER, days=91, override=" lost parcel ").override == "lost parcel"
    with pytest.raises(OutsideRefundWindow):
        policy(RefundRole.API_KEY, days=91, override="key says so")
    assert policy(RefundRole.SYSTEM, days=400).override is None


def test_the_limit_is_checked_before_the_window():
    with pytest.raises(RefundAboveLimit):
        policy(RefundRole.STAFF, amount=5000, days=200)
