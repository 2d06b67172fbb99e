"""Build the enabled providers and their choice rules from settings (one place for both)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..domain.payment_methods.payment_choice import MethodRule
from .base import PaymentProvider


def configured_methods(config: Mapping[str, Any]) -> list[str]:
    """The methods whose provider credentials are set (secrets stay in the environment).

    Stripe's key is set in every running app (production requires it; development and tests
    get the loopback sandbox's): it gives the Payment Element and hosted Checkout."""
    names = []
    if config.get("STRIPE_SECRET_KEY"):
        names += ["stripe", "stripe_checkout"]
    if config.get("PAYSTACK_SECRET_KEY"):
        names.append("paystack")
    if config.get("FLUTTERWAVE_SECRET_KEY") and config.get("FLUTTERWAVE_SECRET_HASH"):
        names.append("flutterwave")
    return names


def build_providers(config: Mapping[str, Any],
                    enabled: Iterable[str] | None = None) -> dict[str, PaymentProvider]:
    """The providers that are configured and (when ``enabled`` is given) enabled by the store.

    Imports each provider module only when it is built, so a store that uses neither never
    loads its HTTP client. Stripe's provider wraps the app's gateway (one SDK client per app):
    hosted Checkout (``stripe_checkout``) is the same account and has no provider of its own.
    """
    wanted = set(configured_methods(config))
    if enabled is not None:
        wanted &= set(enabled)
    timeout = float(config.get("PROVIDER_TIMEOUT_SECONDS", 10))
    providers: dict[str, PaymentProvider] = {}
    if "stripe" in wanted:
        from .stripe import StripeProvider

        providers["stripe"] = StripeProvider()
    if "paystack" in wanted:
        from .paystack import PaystackProvider

        providers["paystack"] = PaystackProvider(secret_key=config["PAYSTACK_SECRET_KEY"],
                                                 api_base=config["PAYSTACK_API_BASE"],
                                                 timeout=timeout)
    if "flutterwave" in wanted:
        from .flutterwave import FlutterwaveProvider

        providers["flutterwave"] = FlutterwaveProvider(
            secret_key=config["FLUTTERWAVE_SECRET_KEY"],
            secret_hash=config["FLUTTERWAVE_SECRET_HASH"],
            api_base=config["FLUTTERWAVE_API_BASE"], timeout=timeout)
    return providers


def method_rules(config: Mapping[str, Any], providers: Mapping[str, PaymentProvider],
                 enabled: Iterable[str]) -> list[MethodRule]:
    """The choice rules of the ``enabled`` methods, in that order.

    A gateway takes its own currencies (none listed: any, as Stripe); hosted Checkout and
    bank transfer any currency the store sells in; cash on delivery only at home and up to
    COD_MAX_AMOUNT. A gateway that is enabled but not configured is left out rather than
    offered and failing at payment time.
    """
    rules = []
    for name in enabled:
        if name in providers:
            rules.append(MethodRule(name, currencies=providers[name].capabilities.currencies
                                    or None))
        elif name == "cod":
            rules.append(MethodRule(name, domestic_only=True,
                                    max_amount=config.get("COD_MAX_AMOUNT")))
        elif name in ("stripe_checkout", "bank_transfer"):
            rules.append(MethodRule(name))
    return rules
