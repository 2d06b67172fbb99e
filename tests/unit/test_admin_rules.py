"""Pure rules the admin relies on: typed amounts, cancellation, the chart's geometry."""

from datetime import date, timedelta

import pytest

from shop.admin.charts import bar_chart
from shop.domain.cancellation import CancelRule, CannotCancel, cancel_rule
from shop.domain.money import (
    InvalidAmount,
    format_percent,
    minor_to_decimal,
    parse_money,
    parse_percent,
)
from shop.domain.states import OrderStatus as O
from shop.domain.states import PaymentStatus as P


@pytest.mark.parametrize("text,currency,minor", [
    ("16.50", "USD", 1650), ("16.5", "USD", 1650), ("16", "USD", 1600), ("0", "USD", 0),
    ("$1,250.00", "USD", 125000), (" 7.05 ", "EUR", 705), ("€3", "EUR", 300),
    ("1500", "JPY", 1500), ("0.01", "USD", 1),
])
def test_parse_money(text, currency, minor):
    assert parse_money(text, currency) == minor


@pytest.mark.parametrize("text,currency,message", [
    ("-1", "USD", "Enter an amount of 0 or more."),
    ("16,50", "USD", "Enter an amount like 12.50."),
    ("1.234", "USD", "Use at most 2 decimals."),
    ("15.5", "JPY", "JPY amounts have no decimals."),
    ("", "USD", "Enter an amount like 12.50."),
    ("1e3", "USD", "Enter an amount like 12.50."),
    ("99999999999", "USD", "That amount is too large."),
])
def test_parse_money_refuses(text, currency, message):
    with pytest.raises(InvalidAmount, match=message):
        parse_money(text, currency)


@pytest.mark.parametrize("minor,currency", [(1650, "USD"), (5, "USD"), (0, "EUR"),
                                            (1500, "JPY"), (123456789, "GBP")])
def test_minor_to_decimal_round_trips(minor, currency):
    assert parse_money(minor_to_decimal(minor, currency), currency) == minor


@pytest.mark.parametrize("text,bp", [("7.25", 725), ("20", 2000), ("0", 0), ("8.1%", 810),
                                     ("100", 10000)])
def test_percent(text, bp):
    assert parse_percent(text) == bp
    assert parse_percent(format_percent(bp)) == bp


@pytest.mark.parametrize("text", ["100.01", "7.255", "-1", "abc", ""])
def test_percent_refuses(text):
    with pytest.raises(InvalidAmount):
        parse_percent(text)


@pytest.mark.parametrize("status,payment,rule", [
    (O.PENDING, P.UNPAID, CancelRule(restock=False, refund_owed=False)),
    (O.PENDING, P.FAILED, CancelRule(restock=False, refund_owed=False)),
    (O.PAID, P.PAID, CancelRule(restock=True, refund_owed=True)),
    (O.FULFILLING, P.PARTIALLY_REFUNDED, CancelRule(restock=True, refund_owed=True)),
    (O.PAID, P.REFUNDED, CancelRule(restock=True, refund_owed=False)),
])
def test_cancel_rule(status, payment, rule):
    assert cancel_rule(status, payment) == rule


@pytest.mark.parametrize("status,payment,message", [
    (O.SHIPPED, P.PAID, "has shipped"),
    (O.DELIVERED, P.PAID, "has shipped"),
    (O.CANCELED, P.UNPAID, "cannot be canceled"),
    (O.EXPIRED, P.UNPAID, "cannot be canceled"),
    (O.PENDING, P.PROCESSING, "being confirmed"),
    (O.PENDING, P.AUTHORIZED, "Void the payment first"),
    (O.PAID, P.DISPUTED, "disputed"),
])
def test_cancel_refused(status, payment, message):
    with pytest.raises(CannotCancel, match=message):
        cancel_rule(status, payment)


def test_bar_chart_scales_to_the_best_day():
    start = date(2026, 5, 1)
    chart = bar_chart([(start + timedelta(days=i), amount)
                       for i, amount in enumerate([0, 500, 1000, 250])])
    heights = [bar.height for bar in chart.bars]
    assert heights[0] == 0 and heights[2] == chart.baseline - 12  # full plot height
    assert heights[1] == pytest.approx(heights[2] / 2, abs=0.1)
    assert all(bar.y + bar.height == pytest.approx(chart.baseline, abs=0.1)
               for bar in chart.bars)
    assert chart.peak == (date(2026, 5, 3), 1000) and chart.total == 1750
    xs = [bar.x for bar in chart.bars]
    assert xs == sorted(xs) and xs[-1] + chart.bars[-1].width <= chart.width


def test_bar_chart_of_nothing():
    chart = bar_chart([(date(2026, 5, 1), 0)])
    assert chart.peak is None and chart.bars[0].height == 0
