"""The threshold rules and the raw-amount formatter, without an app."""

from datetime import timedelta

import pytest

from shop.domain import alert_rules as rules
from shop.domain.alert_rules import Ratio, Thresholds
from shop.domain.money import format_money_in_text

T = Thresholds(success_rate_min=90, min_sample=20, webhook_failure_max=5, hold_lapse_max=20)


@pytest.mark.parametrize(("part", "whole", "breached"), [
    (17, 20, True),  # 85 % of 20
    (18, 20, False),  # 90 %: not below
    (0, 19, False),  # too few tries to say
    (0, 0, False),
])
def test_success_rate(part, whole, breached):
    finding = rules.success_rate(Ratio(part, whole), T)
    assert finding.breached is breached
    assert finding.window == timedelta(hours=1)
    assert finding.figures["sample"] == whole


@pytest.mark.parametrize(("rule", "limit"), [(rules.webhook_failures, 5),
                                              (rules.hold_lapses, 20)])
def test_failure_ratios_alert_above_their_limit_with_enough_cases(rule, limit):
    assert rule(Ratio(limit + 1, 100), T).breached
    assert not rule(Ratio(limit, 100), T).breached
    assert not rule(Ratio(19, 19), T).breached


def test_stuck_authorizing_names_the_attempts():
    finding = rules.stuck_authorizing([4, 9], timedelta(minutes=15))
    assert finding.breached and finding.figures == {
        "count": 2, "attempt_ids": [4, 9], "threshold_minutes": 15}
    assert "attempts 4, 9" in finding.message
    assert not rules.stuck_authorizing([], timedelta(minutes=15)).breached


def test_raw_amounts_in_text_become_money():
    assert format_money_in_text("refund re_1 of 1180 USD: late") == "refund re_1 of $11.80: late"
    assert format_money_in_text("1180 USD", "de_DE") == "11,80\xa0$"
    assert format_money_in_text("500 JPY") == "¥500"
    # Not a currency, or not an amount: left alone.
    assert format_money_in_text("order 000123 ABC and 12 UTC") == "order 000123 ABC and 12 UTC"
