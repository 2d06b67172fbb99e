"""The Stripe API version is chosen on purpose: the setting, the SDK's generated types and the
dependency bound agree, or the difference is listed with its reason."""

import tomllib
from importlib.metadata import version

import pytest
from packaging.requirements import Requirement
from stripe._api_version import _ApiVersion

from shop import ROOT
from shop.config import STRIPE_API_VERSION, STRIPE_VERSION_EXCEPTIONS, ConfigError, load_config


def test_the_pinned_version_is_the_one_the_installed_sdk_is_generated_for():
    sdk = _ApiVersion.CURRENT
    if sdk != STRIPE_API_VERSION:
        reason = STRIPE_VERSION_EXCEPTIONS.get(sdk, "")
        assert reason.strip(), (
            f"the stripe SDK is generated for {sdk} but STRIPE_API_VERSION is "
            f"{STRIPE_API_VERSION}: bump both (docs/payments.md, 'Upgrading the API version') "
            "or list the SDK's version in STRIPE_VERSION_EXCEPTIONS with the reason")


def test_pyproject_bounds_the_sdk_to_the_installed_major():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    stripe_req = next(Requirement(d) for d in deps if Requirement(d).name == "stripe")
    installed = version("stripe")
    major = int(installed.split(".")[0])
    assert installed in stripe_req.specifier
    assert f"{major + 1}.0.0" not in stripe_req.specifier, "a new major may speak another version"
    assert f"{major - 1}.99.0" not in stripe_req.specifier


def test_the_setting_defaults_to_the_pinned_version_and_can_be_overridden(monkeypatch):
    monkeypatch.delenv("STRIPE_API_VERSION", raising=False)
    assert load_config({"SHOP_ENV": "testing"})["STRIPE_API_VERSION"] == STRIPE_API_VERSION
    monkeypatch.setenv("STRIPE_API_VERSION", "2025-03-31.basil")
    assert load_config({"SHOP_ENV": "testing"})["STRIPE_API_VERSION"] == "2025-03-31.basil"


@pytest.mark.parametrize("raw, parsed", [
    ("", ()), ("card", ("card",)), (" card , sepa_debit ", ("card", "sepa_debit"))])
def test_payment_method_types_are_parsed(monkeypatch, raw, parsed):
    monkeypatch.setenv("STRIPE_PAYMENT_METHOD_TYPES", raw)
    assert load_config({"SHOP_ENV": "testing"})["STRIPE_PAYMENT_METHOD_TYPES"] == parsed


def test_bad_payment_method_types_are_refused(monkeypatch):
    monkeypatch.setenv("STRIPE_PAYMENT_METHOD_TYPES", "card;DROP TABLE")
    with pytest.raises(ConfigError, match="STRIPE_PAYMENT_METHOD_TYPES"):
        load_config({"SHOP_ENV": "testing"})
