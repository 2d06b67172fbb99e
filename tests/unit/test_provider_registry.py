"""The registry: which providers settings enable, and the rules it hands the checkout."""

from __future__ import annotations

import pytest

from shop.config import ConfigError, load_config
from shop.config_providers import provider_config
from shop.domain.payment_methods.payment_choice import OrderFacts, methods_for
from shop.providers.registry import build_providers, configured_methods, method_rules

PROVIDER_ENV = ("PAYSTACK_SECRET_KEY", "PAYSTACK_PUBLIC_KEY", "PAYSTACK_API_BASE",
                "FLUTTERWAVE_SECRET_KEY", "FLUTTERWAVE_SECRET_HASH", "FLUTTERWAVE_API_BASE",
                "DEFAULT_PAYMENT_GATEWAY", "COD_MAX_AMOUNT", "COD_FEE")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)


def test_tests_and_dev_point_both_providers_at_the_sandboxes():
    config = load_config({"SHOP_ENV": "testing"})
    assert config["PAYSTACK_API_BASE"] == "http://127.0.0.1:8421"
    assert config["FLUTTERWAVE_API_BASE"] == "http://127.0.0.1:8422"
    assert sorted(build_providers(config)) == ["flutterwave", "paystack", "stripe"]
    assert config["DEFAULT_PAYMENT_GATEWAY"] == "stripe" and config["COD_MAX_AMOUNT"] is None


def test_production_without_keys_enables_neither_and_uses_the_real_hosts():
    config = {"PAYSTACK_SECRET_KEY": "", "FLUTTERWAVE_SECRET_KEY": ""}
    assert configured_methods(config) == [] and build_providers(config) == {}
    real = provider_config(relaxed=False)
    assert real["PAYSTACK_API_BASE"] == "https://api.paystack.co"
    assert real["FLUTTERWAVE_API_BASE"] == "https://api.flutterwave.com"
    assert real["PAYSTACK_SECRET_KEY"] == ""


def test_the_store_enables_a_subset(monkeypatch):
    config = load_config({"SHOP_ENV": "testing"})
    assert list(build_providers(config, enabled=["paystack", "cod"])) == ["paystack"]


def test_a_flutterwave_key_without_its_webhook_hash_is_refused(monkeypatch):
    monkeypatch.setenv("FLUTTERWAVE_SECRET_KEY", "FLWSECK-live")
    with pytest.raises(ConfigError, match="FLUTTERWAVE_SECRET_HASH"):
        load_config({"SHOP_ENV": "testing"})


@pytest.mark.parametrize(("name", "value"), [("DEFAULT_PAYMENT_GATEWAY", "paypal"),
                                             ("COD_MAX_AMOUNT", "0"), ("COD_FEE", "-5")])
def test_bad_settings_fail_fast(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config({"SHOP_ENV": "testing"})


def test_rules_from_settings_offer_each_gateway_only_its_currencies(monkeypatch):
    monkeypatch.setenv("COD_MAX_AMOUNT", "2000000")
    config = load_config({"SHOP_ENV": "testing"})
    providers = build_providers(config)
    rules = method_rules(config, providers,
                         ["stripe", "paystack", "flutterwave", "bank_transfer", "cod"])
    lagos = OrderFacts(amount=2_500_000, currency="NGN", country="NG", store_country="NG")
    assert methods_for(lagos, rules) == ["stripe", "paystack", "flutterwave", "bank_transfer"]
    euro = OrderFacts(amount=1_000, currency="CHF", country="CH", store_country="CH")
    assert methods_for(euro, rules) == ["stripe", "bank_transfer", "cod"]


def test_an_enabled_gateway_without_credentials_is_not_offered():
    config = {"PAYSTACK_SECRET_KEY": "", "COD_MAX_AMOUNT": None}
    rules = method_rules(config, build_providers(config), ["paystack", "cod"])
    assert [rule.name for rule in rules] == ["cod"]
