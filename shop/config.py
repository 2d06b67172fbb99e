"""Settings read from the environment, with embedded defaults for development and tests."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config_limits import (
    OPEN_CHECKOUT_DEFAULTS,
    RATE_LIMIT_DEFAULTS,
    TESTING_OPEN_CHECKOUTS,
    TESTING_RATE_LIMIT,
)
from .config_providers import provider_config
from .db_setup import engine_options

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

# The Stripe API version every request is sent at (and webhook endpoints must be set to).
# Chosen on purpose: the stripe SDK's major version in pyproject.toml is the one whose
# generated types describe this version; docs/payments.md says how to move both together.
STRIPE_API_VERSION = "2026-10-28.endive"
# The one place where STRIPE_API_VERSION may deliberately differ from the version the
# installed SDK is generated for: {SDK's version: why}. Empty: they agree.
STRIPE_VERSION_EXCEPTIONS: dict[str, str] = {}

SANDBOX_STRIPE_PORT = 8420
SANDBOX_SECRET_KEY = "sk_test_sandbox"  # noqa: S105 - a key the loopback sandbox accepts, not a secret
SANDBOX_PUBLISHABLE_KEY = "pk_test_sandbox"
SANDBOX_WEBHOOK_SECRET = "whsec_sandbox"  # noqa: S105 - same: only the sandbox signs with it
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside development and tests
DEV_BASE_URL = "http://127.0.0.1:5000"
# A production SECRET_KEY signs sessions and reset links: see _secret_key_weakness.
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT = 8
_HOST_NAME = re.compile(r"\.?[a-z0-9-]+(\.[a-z0-9-]+)*")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class ConfigError(RuntimeError):
    """The environment does not describe a shop that can run safely."""


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_secret(name: str, default: str = "") -> str:
    """``name`` from the environment, or the contents of the file named by ``name``_FILE.

    The file form is what Docker/Kubernetes secrets and Vault agents provide; setting both
    is refused rather than guessing which one wins.
    """
    value, path = os.environ.get(name), os.environ.get(f"{name}_FILE")
    if value and path:
        raise ConfigError(f"set {name} or {name}_FILE, not both")
    if not path:
        return value or default
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from exc


def env_list(name: str) -> tuple[str, ...]:
    """A comma-separated list of lowercase identifiers (e.g. ``card,sepa_debit``)."""
    raw = os.environ.get(name, "")
    items = tuple(item.strip() for item in raw.split(",") if item.strip())
    bad = [item for item in items if not re.fullmatch(r"[a-z][a-z0-9_]*", item)]
    if bad:
        raise ConfigError(f"{name} must be comma-separated names like card,sepa_debit, "
                          f"got {raw!r}")
    return items


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'shop.db'}"


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply ``overrides`` (tests)."""
    overrides = dict(overrides or {})
    env = overrides.get("SHOP_ENV") or os.environ.get("SHOP_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"SHOP_ENV must be production, development or testing, got {env!r}")
    relaxed = env != "production"
    secret_key = env_secret("STRIPE_SECRET_KEY")
    sandbox = not secret_key and relaxed
    sandbox_base = f"http://127.0.0.1:{SANDBOX_STRIPE_PORT}"
    config: dict[str, Any] = {
        "SHOP_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": env_secret("SECRET_KEY") or (DEV_SECRET_KEY if relaxed else ""),
        "SQLALCHEMY_DATABASE_URI": env_secret("DATABASE_URL") or _default_database_url(),
        "REDIS_URL": env_secret("REDIS_URL") or None,
        "STRIPE_SANDBOX": sandbox,
        "STRIPE_SECRET_KEY": secret_key or (SANDBOX_SECRET_KEY if sandbox else ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY")
        or (SANDBOX_PUBLISHABLE_KEY if sandbox else ""),
        "STRIPE_WEBHOOK_SECRET": env_secret("STRIPE_WEBHOOK_SECRET")
        or (SANDBOX_WEBHOOK_SECRET if sandbox else ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE")
        or (sandbox_base if sandbox else "https://api.stripe.com"),
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL")
        or (f"{sandbox_base}/js.stripe.com/v3/" if sandbox else "https://js.stripe.com/v3/"),
        "STRIPE_API_VERSION": os.environ.get("STRIPE_API_VERSION", "").strip()
        or STRIPE_API_VERSION,
        "STRIPE_PAYMENT_METHOD_TYPES": env_list("STRIPE_PAYMENT_METHOD_TYPES"),
        "STRIPE_RECEIPTS": env_bool("STRIPE_RECEIPTS", False),
        "STRIPE_TIMEOUT_SECONDS": env_int("STRIPE_TIMEOUT_SECONDS", 10, minimum=1),
        "STRIPE_MAX_NETWORK_RETRIES": env_int("STRIPE_MAX_NETWORK_RETRIES", 2),
        "STRIPE_WEBHOOK_TOLERANCE_SECONDS": 300,
        "HOLD_TTL_MINUTES": env_int("HOLD_TTL_MINUTES", 15, minimum=1),
        # What is left of a hold after a declined payment or a new checkout of the same
        # cart: time to retry, never a fresh HOLD_TTL_MINUTES (services/checkout/place.py).
        "HOLD_RETRY_MINUTES": env_int("HOLD_RETRY_MINUTES", 5, minimum=1),
        # Units of one product one order may hold (owners override it per store).
        "MAX_UNITS_PER_PRODUCT": env_int("MAX_UNITS_PER_PRODUCT", 10, minimum=1),
        "SHOP_STORE_SLUG": os.environ.get("SHOP_STORE_SLUG", "main"),
        # The meta description of pages that have none of their own (search results, link
        # previews); a product page uses the product's text.
        "SHOP_DESCRIPTION": os.environ.get("SHOP_DESCRIPTION")
        or "Freshly roasted coffee and loose-leaf tea from Bean & Leaf, shipped to your door.",
        # Every absolute link in mail and jobs (shop/links.py); required in production.
        "BASE_URL": os.environ.get("BASE_URL") or (DEV_BASE_URL if relaxed else ""),
        "ALLOWED_HOSTS": env_hosts("ALLOWED_HOSTS"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR") or str(INSTANCE_DIR / "mail"),
        "MAX_CONTENT_LENGTH": 256 * 1024,
        # Pooled connections are pinged only after this long unused (db_setup.py), not on
        # every checkout as pool_pre_ping would.
        "DATABASE_PING_AFTER_IDLE_SECONDS": env_int("DATABASE_PING_AFTER_IDLE_SECONDS", 5),
        # "pgbouncer": DATABASE_URL points at a transaction pooler (db_setup.py, deploy/).
        "DATABASE_POOLER": env_choice("DATABASE_POOLER", ("none", "pgbouncer"), "none"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", env == "production"),
        "WTF_CSRF_TIME_LIMIT": None,
        "PRODUCTS_PER_PAGE": env_int("PRODUCTS_PER_PAGE", 12, minimum=1),
        # How long a worker keeps the store row and categories (services/catalog/cache.py).
        "CATALOG_CACHE_SECONDS": env_int("CATALOG_CACHE_SECONDS", 30),
        "SERVER_TIMING": env_bool("SERVER_TIMING", False),
        "UNPAID_ORDER_TTL_HOURS": env_int("UNPAID_ORDER_TTL_HOURS", 24, minimum=1),
        "AUTO_REFUND_OUT_OF_STOCK": env_bool("AUTO_REFUND_OUT_OF_STOCK", True),
        "WEBHOOK_EVENT_RETENTION_DAYS": env_int("WEBHOOK_EVENT_RETENTION_DAYS", 30, minimum=1),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": env_int("MAIL_PORT", 25, minimum=1),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", False),
        "MAIL_FROM": os.environ.get("MAIL_FROM") or "Bean & Leaf <shop@example.com>",
        "SHOP_LOCALE": os.environ.get("SHOP_LOCALE", "en_US"),
        "ACCOUNT_ORDERS_PER_PAGE": 10,
        "PASSWORD_RESET_MAX_AGE_SECONDS": env_int("PASSWORD_RESET_MAX_AGE_SECONDS", 3600,
                                                  minimum=60),
        "STAFF_INVITE_MAX_AGE_SECONDS": env_int("STAFF_INVITE_MAX_AGE_SECONDS", 3 * 86400,
                                                minimum=60),
        "EMAIL_VERIFY_MAX_AGE_SECONDS": env_int("EMAIL_VERIFY_MAX_AGE_SECONDS", 3 * 86400,
                                                minimum=60),
        "CAPTURE_METHOD": env_choice("CAPTURE_METHOD", ("automatic", "manual"), "automatic"),
        "RECONCILE_STUCK_MINUTES": env_int("RECONCILE_STUCK_MINUTES", 15, minimum=1),
        # Admin (owners override hold/unpaid TTLs, refund window and staff refund limit per
        # store in /admin/settings; these are the defaults).
        "REFUND_WINDOW_DAYS": env_int("REFUND_WINDOW_DAYS", 90, minimum=1),
        "STAFF_REFUND_LIMIT": env_int("STAFF_REFUND_LIMIT", 0)
        if os.environ.get("STAFF_REFUND_LIMIT") else None,
        "LOW_STOCK_THRESHOLD": env_int("LOW_STOCK_THRESHOLD", 5),
        # Closed orders untouched this long are archived by the daily job (per store too).
        "ARCHIVE_AFTER_DAYS": env_int("ARCHIVE_AFTER_DAYS", 90, minimum=1),
        # Threshold alerts (services/platform/thresholds.py), in whole percent; owners override
        # them per store in /admin/settings. A ratio over fewer than ALERT_MIN_SAMPLE cases
        # never alerts (a quiet shop is not paged for one decline).
        "ALERT_SUCCESS_RATE_MIN": env_int("ALERT_SUCCESS_RATE_MIN", 90),
        "ALERT_MIN_SAMPLE": env_int("ALERT_MIN_SAMPLE", 20, minimum=1),
        "ALERT_WEBHOOK_FAILURE_MAX": env_int("ALERT_WEBHOOK_FAILURE_MAX", 5),
        "ALERT_HOLD_LAPSE_MAX": env_int("ALERT_HOLD_LAPSE_MAX", 20),
        # Where alerts are POSTed, signed, for stores that set no URL of their own.
        "ALERT_WEBHOOK_URL": os.environ.get("ALERT_WEBHOOK_URL") or None,
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR") or str(INSTANCE_DIR / "uploads"),
        "ADMIN_IMAGE_MAX_BYTES": 2 * 1024 * 1024,
        # Several images per post; the request's body limit is raised to fit them.
        "ADMIN_IMAGES_PER_UPLOAD": 6,
        "MAX_IMAGES_PER_PRODUCT": env_int("MAX_IMAGES_PER_PRODUCT", 12, minimum=1),
        # Refused before decoding: a small file can announce a huge picture (a bomb).
        "MEDIA_MAX_PIXELS": env_int("MEDIA_MAX_PIXELS", 40_000_000, minimum=1),
        "ADMIN_ORDERS_PER_PAGE": 50,
    }
    config.update(_hardening_config(env))
    config.update(provider_config(relaxed))
    config.update(overrides)
    _check(config)
    if "SQLALCHEMY_ENGINE_OPTIONS" not in overrides:
        try:
            config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
                config["SQLALCHEMY_DATABASE_URI"], config.get("DATABASE_POOLER", "none"))
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
    config["BASE_URL"] = config["BASE_URL"].rstrip("/")
    if "TRUSTED_HOSTS" not in overrides:
        config["TRUSTED_HOSTS"] = trusted_hosts(config)
    return config


def env_hosts(name: str) -> list[str]:
    """A comma-separated list of host names (``.example.com`` also allows its subdomains)."""
    hosts = [h.strip().lower() for h in os.environ.get(name, "").split(",") if h.strip()]
    for host in hosts:
        if not _HOST_NAME.fullmatch(host):
            raise ConfigError(f"{name} must be host names separated by commas, without "
                              f"scheme, port or path (like shop.example.com), got {host!r}")
    return hosts


def trusted_hosts(config: dict) -> list[str] | None:
    """The hosts a production request may be addressed to: BASE_URL's and ALLOWED_HOSTS.

    Flask answers 400 to any other Host (after ProxyFix, so X-Forwarded-Host too). Outside
    production every host is accepted: development is reached as localhost, 127.0.0.1...
    """
    if config["SHOP_ENV"] != "production":
        return None
    return [urlsplit(config["BASE_URL"]).hostname, *config.get("ALLOWED_HOSTS", [])]


def _check_base_url(config: dict) -> None:
    url = config.get("BASE_URL") or ""
    if not url:
        raise ConfigError("Production needs BASE_URL, the shop's public address like "
                          "https://shop.example.com: links in e-mails are built from it")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise ConfigError(f"BASE_URL must look like https://shop.example.com, got {url!r}")
    if config["SHOP_ENV"] == "production" and parts.scheme != "https":
        raise ConfigError(f"BASE_URL must start with https:// in production, got {url!r}: "
                          "links in e-mails carry sign-in and reset tokens")


def _secret_key_weakness(key: str) -> str | None:
    """Why ``key`` is too guessable to sign sessions with, or None.

    Length alone lets "aaaa..." through, so a key must also use several different characters
    and not be one short piece repeated. A key from ``secrets.token_urlsafe(48)`` (or 32
    random bytes in hex) always passes; a word or a pattern typed by hand does not.
    """
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return f"uses fewer than {MIN_SECRET_KEY_DISTINCT} different characters"
    if key in (key + key)[1:-1]:
        return "is a short piece repeated"
    return None


def _check_secret_keys(config: dict) -> None:
    hint = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
    for name, keys in (("SECRET_KEY", [config["SECRET_KEY"]]),
                       ("SECRET_KEY_FALLBACKS", config.get("SECRET_KEY_FALLBACKS", ()))):
        for key in keys:
            if key == DEV_SECRET_KEY:
                raise ConfigError(f"{name} must not hold the development default in "
                                  "production")
            weakness = _secret_key_weakness(key)
            if weakness:
                raise ConfigError(f"{name} {weakness}: too easy to guess ({hint})")


def _check(config: dict) -> None:
    _check_locale(config["SHOP_LOCALE"])
    _check_alert_settings(config)
    if config["SHOP_ENV"] != "production":
        if config.get("BASE_URL"):
            _check_base_url(config)
        return
    missing = [
        name
        for name in ("SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
                     "STRIPE_WEBHOOK_SECRET")
        if not config.get(name)
    ]
    if missing:
        raise ConfigError(
            "Production needs these settings: " + ", ".join(missing)
            + " (set SHOP_ENV=development to run with the local sandbox)"
        )
    _check_secret_keys(config)
    _check_base_url(config)


def _check_alert_settings(config: dict) -> None:
    for name in ("ALERT_SUCCESS_RATE_MIN", "ALERT_WEBHOOK_FAILURE_MAX", "ALERT_HOLD_LAPSE_MAX"):
        if not 0 <= int(config[name]) <= 100:
            raise ConfigError(f"{name} is a percentage from 0 to 100, got {config[name]!r}")
    url = config.get("ALERT_WEBHOOK_URL")
    if url and (urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname):
        raise ConfigError(f"ALERT_WEBHOOK_URL must be an http(s) URL, got {url!r}")


def env_limit(name: str, default: str) -> str:
    from limits import parse_many

    value = os.environ.get(name, default).strip()
    try:
        parse_many(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must look like '10 per minute;100 per hour', "
                          f"got {value!r}") from exc
    return value


def _hardening_config(env: str) -> dict:
    """Security, rate-limit and operations settings (see README, docs/operations.md)."""
    production = env == "production"
    limits = {
        name: env_limit(name, TESTING_RATE_LIMIT if env == "testing" else default)
        for name, default in RATE_LIMIT_DEFAULTS.items()
    }
    open_checkouts = {
        name: env_int(name, TESTING_OPEN_CHECKOUTS if env == "testing" else default, minimum=1)
        for name, default in OPEN_CHECKOUT_DEFAULTS.items()
    }
    fallbacks = env_secret("SECRET_KEY_FALLBACKS")
    return {
        **limits,
        **open_checkouts,
        "RATELIMIT_ENABLED": env_bool("RATELIMIT_ENABLED", True),
        # Old keys still accepted for signed cookies while a new SECRET_KEY rolls out.
        "SECRET_KEY_FALLBACKS": [k.strip() for k in fallbacks.split(",") if k.strip()],
        "STRIPE_WEBHOOK_SECRET_PREVIOUS": env_secret("STRIPE_WEBHOOK_SECRET_PREVIOUS"),
        "TRUSTED_PROXIES": env_int("TRUSTED_PROXIES", 0),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        "LOG_FORMAT": _choice("LOG_FORMAT", "json" if production else "plain",
                              {"json", "plain"}),
        "METRICS_TOKEN": env_secret("METRICS_TOKEN"),
        "HSTS_ENABLED": env_bool("HSTS_ENABLED", production),
        "DATABASE_LOCK_TIMEOUT_MS": env_int("DATABASE_LOCK_TIMEOUT_MS", 10_000, minimum=1),
        # An owner's alert webhook may not reach the shop's own network (Redis, PostgreSQL,
        # cloud metadata) in production; development and tests post to loopback receivers.
        "ALERT_WEBHOOK_PRIVATE_OK": env_bool("ALERT_WEBHOOK_PRIVATE_OK", not production),
    }


def _choice(name: str, default: str, allowed: set[str]) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value


def _check_locale(name: str) -> None:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(name)
    except (ValueError, UnknownLocaleError) as exc:
        raise ConfigError(f"SHOP_LOCALE must be a locale like en_US or de_DE, got {name!r}") \
            from exc
