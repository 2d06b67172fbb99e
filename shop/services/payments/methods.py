"""The payment methods a store offers and the one rule for whether an order may use one.

The checkout form lists ``offered_methods``; ``place_order`` calls ``check_fits`` in its
transaction, where the order's total is known, so a method that does not fit (cash on
delivery abroad or over its cap, a gateway that does not take the currency) is refused
there whatever the browser sent. A method is offered only when the store enabled it, its
credentials are configured, and the shop knows how to start it (``WIRED``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app

from ...domain.errors import DomainError
from ...domain.money import format_money
from ...domain.payment_methods.payment_choice import MethodRule, OrderFacts, fits, preselected
from ...providers.base import PaymentProvider
from ...providers.registry import build_providers, configured_methods, method_rules
from ..platform.settings import settings_row
from .errors import GatewayError

LABELS = {
    "stripe": "Card",
    "stripe_checkout": "Card on Stripe's secure page",
    "paystack": "Paystack",
    "flutterwave": "Flutterwave",
    "bank_transfer": "Bank transfer",
    "cod": "Cash on delivery",
}
# What the attempt's ``provider`` is for each method: who is asked for the truth.
PROVIDER_OF = {"stripe": "stripe", "stripe_checkout": "stripe", "paystack": "paystack",
               "flutterwave": "flutterwave", "bank_transfer": "bank_transfer", "cod": "cod"}
# The methods whose start (services/payments/start.py) and settlement are built.
WIRED = frozenset({"stripe", "stripe_checkout", "paystack", "flutterwave", "cod",
                   "bank_transfer"})
# The methods paid on a provider's hosted page, verified by our reference (redirect.py).
REDIRECT_PROVIDERS = ("paystack", "flutterwave")
ALWAYS_CONFIGURED = ("cod",)  # Stripe and the gateways: when their keys are set
# Paid by hand (services/payments/offline.py): nothing to void or capture at a provider.
PAID_BY_HAND = frozenset({"cod", "bank_transfer"})


class PaymentMethodUnavailable(DomainError):
    """The chosen method is not offered by the store or does not fit this order."""

    code = "payment_method_unavailable"


@dataclass(frozen=True)
class MethodSettings:
    enabled: tuple[str, ...]  # in the checkout's order
    default: str | None
    cod_max_amount: int | None  # minor units; None: no cap
    cod_fee: int  # minor units, added to a cash-on-delivery order
    bank_transfer_hold_days: int
    bank_account: str  # the instructions' account details; empty: no bank transfer


def method_settings(store_id: int) -> MethodSettings:
    """The store's choice over the environment's defaults (a NULL column: the default)."""
    config = current_app.config
    row = settings_row(store_id)

    def own(name: str, default):
        value = getattr(row, name, None) if row is not None else None
        return default if value is None else value

    return MethodSettings(
        enabled=tuple(own("payment_methods", config["PAYMENT_METHODS"])),
        default=own("default_payment_method", config["DEFAULT_PAYMENT_GATEWAY"]),
        cod_max_amount=own("cod_max_amount", config["COD_MAX_AMOUNT"]),
        cod_fee=own("cod_fee", config["COD_FEE"]),
        bank_transfer_hold_days=own("bank_transfer_hold_days",
                                    config["BANK_TRANSFER_HOLD_DAYS"]),
        bank_account=own("bank_account", config["BANK_TRANSFER_ACCOUNT"]),
    )


def configured(settings: MethodSettings) -> set[str]:
    """The methods that could be offered: credentials set (secrets stay in the environment)."""
    names = set(ALWAYS_CONFIGURED) | set(configured_methods(current_app.config))
    if settings.bank_account:
        names.add("bank_transfer")
    return names


def offered_rules(settings: MethodSettings) -> list[MethodRule]:
    """The enabled, configured and wired methods' rules, in the store's order."""
    usable = configured(settings) & WIRED
    enabled = [name for name in settings.enabled if name in usable]
    config = {**current_app.config, "COD_MAX_AMOUNT": settings.cod_max_amount}
    providers = build_providers(current_app.config, enabled)
    return method_rules(config, providers, enabled)


def offered_methods(settings: MethodSettings, currency: str) -> list[str]:
    """What the checkout lists for a store selling in ``currency`` (the address and total
    are checked when the order is placed)."""
    return [rule.name for rule in offered_rules(settings)
            if rule.currencies is None or currency.upper() in rule.currencies]


def initial_method(settings: MethodSettings, offered: list[str]) -> str | None:
    return preselected(offered, settings.default)


def offered_rule(method: str, settings: MethodSettings) -> MethodRule:
    """The rule of ``method``, or ``PaymentMethodUnavailable`` if the store does not offer it
    (checked before anything is written: an unknown name never reaches a row)."""
    rule = next((r for r in offered_rules(settings) if r.name == method), None)
    if rule is None:
        raise PaymentMethodUnavailable(
            f"{LABELS.get(method, 'That payment method')} is not available in this shop. "
            "Choose another way to pay.")
    return rule


def chosen_or_initial(method: str | None, settings: MethodSettings, currency: str) -> str:
    """What the shopper chose, or, for a post without a choice, the pre-selected method."""
    if method:
        return method
    return initial_method(settings, offered_methods(settings, currency)) or "stripe"


@contextmanager
def provider_named(name: str) -> Iterator[PaymentProvider]:
    """The configured provider ``name``; a ``GatewayError`` if its keys are not set."""
    built = build_providers(current_app.config, [name])
    if name not in built:
        raise GatewayError(f"{LABELS.get(name, name)} is not configured", code="not_configured",
                           permanent=True)
    provider = built[name]
    try:
        yield provider
    finally:
        provider.close()


def check_fits(rule: MethodRule, facts: OrderFacts) -> None:
    """Refuse the method unless it fits the order (currency, destination, amount)."""
    if not fits(rule, facts):
        raise PaymentMethodUnavailable(_why_not(rule, facts))


def _why_not(rule: MethodRule, facts: OrderFacts) -> str:
    label = LABELS.get(rule.name, rule.name)
    if rule.domestic_only and (facts.country or "").upper() != facts.store_country.upper():
        return f"{label} is only available for deliveries in {facts.store_country}."
    if rule.max_amount is not None and facts.amount > rule.max_amount:
        return (f"{label} is only available for orders up to "
                f"{format_money(rule.max_amount, facts.currency)}.")
    return f"{label} does not take payments in {facts.currency}. Choose another way to pay."
