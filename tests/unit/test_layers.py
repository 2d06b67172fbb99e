"""The layer rules, as a test over the import graph (``ast``, no import of the code):

- the domain imports no framework, no database and no payment SDK, and nothing above it;
- only the gateway imports ``stripe``, only a provider module (shop/providers/) ``httpx``;
- views (the blueprints) never reach the gateway: services raise errors of their own;
- services import no blueprint module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shop import ROOT

SHOP = ROOT / "shop"
BLUEPRINTS = ("account", "admin", "auth", "cart", "checkout", "media", "orders", "ops",
              "payments", "storefront", "webhooks")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, as absolute dotted names."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(target)
            # ``from . import x`` may import a submodule: count it too.
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def modules_under(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (SHOP / folder).rglob("*.py"))


def offenders(paths: list[Path], forbidden) -> list[str]:
    return [f"{module_name(p)} imports {name}" for p in paths for name in sorted(imports(p))
            if forbidden(name)]


def startswith_any(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_domain_knows_no_framework_database_or_sdk():
    forbidden = ("flask", "flask_login", "flask_wtf", "sqlalchemy", "stripe", "redis", "rq",
                 "shop.models", "shop.services", "shop.extensions",
                 "shop.providers.stripe_gateway")
    assert offenders(modules_under("domain"), lambda n: startswith_any(n, forbidden)) == []


def test_only_the_gateway_imports_stripe():
    # The gateway and the SDK's HTTP client it builds (stripe_http): the Stripe provider's own.
    gateway = {SHOP / "providers" / "stripe_gateway.py", SHOP / "providers" / "stripe_http.py"}
    paths = [p for p in SHOP.rglob("*.py") if p not in gateway]
    assert offenders(paths, lambda n: startswith_any(n, ("stripe",))) == []


def test_only_a_provider_module_imports_its_http_client():
    allowed = {SHOP / "providers" / "paystack.py", SHOP / "providers" / "flutterwave.py"}
    paths = [p for p in SHOP.rglob("*.py") if p not in allowed]
    assert offenders(paths, lambda n: startswith_any(n, ("httpx",))) == []


def test_views_never_reach_the_gateway():
    assert offenders(modules_under(*BLUEPRINTS),
                     lambda n: startswith_any(n, ("shop.providers.stripe_gateway",))) == []


def test_services_import_no_blueprint():
    blueprints = tuple(f"shop.{name}" for name in BLUEPRINTS)
    assert offenders(modules_under("services"), lambda n: startswith_any(n, blueprints)) == []


@pytest.mark.parametrize(("folder", "source", "rule"), [
    ("domain", "from flask import current_app\n",
     test_the_domain_knows_no_framework_database_or_sdk),
    ("admin", "from ..providers.stripe_gateway import GatewayError\n",
     test_views_never_reach_the_gateway),
    ("services/orders", "from ...orders.carriers import CARRIERS\n",
     test_services_import_no_blueprint),
    ("services/payments", "import stripe\n", test_only_the_gateway_imports_stripe),
    ("providers", "import httpx\n", test_only_a_provider_module_imports_its_http_client),
])
def test_each_rule_fails_when_a_forbidden_import_is_added(folder, source, rule):
    intruder = SHOP / folder / "zz_layer_intruder.py"
    intruder.write_text(source, encoding="utf-8")
    try:
        with pytest.raises(AssertionError):
            rule()
    finally:
        intruder.unlink()
