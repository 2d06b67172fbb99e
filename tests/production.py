"""An app built as production builds it: from the environment, with SHOP_ENV=production."""

from __future__ import annotations

from shop import create_app

BASE_URL = "https://shop.example"
# Test-only values; the key is shaped like secrets.token_urlsafe(32) output.
PRODUCTION_ENV = {"SECRET_KEY": "q8Zt-3vLr_X1mWc9Pd0aNy7KbEhQj2Us",
                  "STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
                  "STRIPE_WEBHOOK_SECRET": "whsec_live", "BASE_URL": BASE_URL}


def production_app(monkeypatch, tmp_path, **env: str):
    """``create_app`` in production with PRODUCTION_ENV, a SQLite file and ``env`` on top."""
    for name in ("REDIS_URL", "ALLOWED_HOSTS", "TRUSTED_PROXIES", "SECRET_KEY_FALLBACKS"):
        monkeypatch.delenv(name, raising=False)
    values = {**PRODUCTION_ENV, "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}",
              "MAIL_OUTBOX_DIR": str(tmp_path / "mail"), **env}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return create_app({"SHOP_ENV": "production"})
