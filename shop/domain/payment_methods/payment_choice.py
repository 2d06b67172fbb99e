"""Which payment methods fit an order: the checkout's choice rules, as data and one function.

A method fits when the order's currency is one it takes, the delivery address is domestic if
the method only delivers at home (cash on delivery), and the total is within its limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class MethodRule:
    """One enabled method's limits. ``currencies`` None: any currency."""

    name: str
    currencies: frozenset[str] | None = None
    domestic_only: bool = False
    min_amount: int = 1
    max_amount: int | None = None


@dataclass(frozen=True)
class OrderFacts:
    """What the rules look at: the total in minor units, its currency and where it goes."""

    amount: int
    currency: str
    country: str | None
    store_country: str


def fits(rule: MethodRule, order: OrderFacts) -> bool:
    if rule.currencies is not None and order.currency.upper() not in rule.currencies:
        return False
    if rule.domestic_only and (order.country or "").upper() != order.store_country.upper():
        return False
    if order.amount < rule.min_amount:
        return False
    return rule.max_amount is None or order.amount <= rule.max_amount


def methods_for(order: OrderFacts, rules: Iterable[MethodRule]) -> list[str]:
    """The names of the methods that fit ``order``, in the store's order of ``rules``."""
    return [rule.name for rule in rules if fits(rule, order)]


def preselected(available: Sequence[str], default: str | None) -> str | None:
    """The radio button checked at first: the store's default if it fits, else the first."""
    if default in available:
        return default
    return available[0] if available else None
