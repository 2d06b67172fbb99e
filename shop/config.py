"""Settings read from the environment, with embedded defaults for development and tests."""

from __future__ import annotations

import os
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"

SANDBOX_STRIPE_PORT = 8420
SANDBOX_SECRET_KEY = "sk_test_sandbox"  # noqa: S105 - a key the loopback sandbox accepts, not a secret
SANDBOX_PUBLISHABLE_KEY = "pk_test_sandbox"
SANDBOX_WEBHOOK_SECRET = "whsec_sandbox"  # noqa: S105 - same: only the sandbox signs with it
DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused outside development and tests

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


def _default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'shop.db'}"


def load_config(overrides: dict | None = None) -> dict:
    """Build the Flask config from the environment, then apply ``overrides`` (tests)."""
    overrides = dict(overrides or {})
    env = overrides.get("SHOP_ENV") or os.environ.get("SHOP_ENV", "production")
    if env not in {"production", "development", "testing"}:
        raise ConfigError(f"SHOP_ENV must be production, development or testing, got {env!r}")
    relaxed = env != "production"
    secret_key = os.environ.get("STRIPE_SECRET_KEY", "")
    sandbox = not secret_key and relaxed
    sandbox_base = f"http://127.0.0.1:{SANDBOX_STRIPE_PORT}"
    config = {
        "SHOP_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or (DEV_SECRET_KEY if relaxed else ""),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or _default_database_url(),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "STRIPE_SANDBOX": sandbox,
        "STRIPE_SECRET_KEY": secret_key or (SANDBOX_SECRET_KEY if sandbox else ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY")
        or (SANDBOX_PUBLISHABLE_KEY if sandbox else ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET")
        or (SANDBOX_WEBHOOK_SECRET if sandbox else ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE")
        or (sandbox_base if sandbox else "https://api.stripe.com"),
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL")
        or (f"{sandbox_base}/js.stripe.com/v3/" if sandbox else "https://js.stripe.com/v3/"),
        "STRIPE_TIMEOUT_SECONDS": env_int("STRIPE_TIMEOUT_SECONDS", 10, minimum=1),
        "STRIPE_MAX_NETWORK_RETRIES": env_int("STRIPE_MAX_NETWORK_RETRIES", 2),
        "STRIPE_WEBHOOK_TOLERANCE_SECONDS": 300,
        "HOLD_TTL_MINUTES": env_int("HOLD_TTL_MINUTES", 15, minimum=1),
        "SHOP_STORE_SLUG": os.environ.get("SHOP_STORE_SLUG", "main"),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR") or str(INSTANCE_DIR / "mail"),
        "MAX_CONTENT_LENGTH": 256 * 1024,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", env == "production"),
        "WTF_CSRF_TIME_LIMIT": None,
        "PRODUCTS_PER_PAGE": 12,
    }
    config.update(overrides)
    _check(config)
    return config


def _check(config: dict) -> None:
    if config["SHOP_ENV"] != "production":
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
    if config["SECRET_KEY"] == DEV_SECRET_KEY:
        raise ConfigError("SECRET_KEY must not be the development default in production")
