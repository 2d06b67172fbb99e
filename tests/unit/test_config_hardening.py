"""Secrets from the environment or from *_FILE files; production refuses unsafe settings."""

import pytest

from shop.config import DEV_SECRET_KEY, ConfigError, env_secret, load_config

PRODUCTION = {"SECRET_KEY": "k" * 40, "STRIPE_SECRET_KEY": "sk_live_x",
              "STRIPE_PUBLISHABLE_KEY": "pk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x"}
SECRET_NAMES = ["SECRET_KEY", "SECRET_KEY_FALLBACKS", "STRIPE_SECRET_KEY",
                "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                "STRIPE_WEBHOOK_SECRET_PREVIOUS", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in SECRET_NAMES + ["SHOP_ENV", "RATELIMIT_CHECKOUT_PER_IP", "LOG_FORMAT"]:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"{name}_FILE", raising=False)


def production_env(monkeypatch, **values):
    for name, value in {**PRODUCTION, **values}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.mark.parametrize("name,config_key", [
    ("SECRET_KEY", "SECRET_KEY"), ("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY"),
    ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET"),
    ("STRIPE_WEBHOOK_SECRET_PREVIOUS", "STRIPE_WEBHOOK_SECRET_PREVIOUS"),
    ("DATABASE_URL", "SQLALCHEMY_DATABASE_URI"), ("REDIS_URL", "REDIS_URL"),
    ("METRICS_TOKEN", "METRICS_TOKEN"),
])
def test_each_secret_can_come_from_a_file(monkeypatch, tmp_path, name, config_key):
    production_env(monkeypatch, **{name: None})
    secret = tmp_path / name.lower()
    secret.write_text("from-a-file-value\n")  # files usually end with a newline
    monkeypatch.setenv(f"{name}_FILE", str(secret))
    assert load_config({"SHOP_ENV": "production"})[config_key] == "from-a-file-value"


def test_secret_key_fallbacks_from_a_file(monkeypatch, tmp_path):
    production_env(monkeypatch)
    (tmp_path / "old").write_text("old-one, old-two\n")
    monkeypatch.setenv("SECRET_KEY_FALLBACKS_FILE", str(tmp_path / "old"))
    assert load_config({"SHOP_ENV": "production"})["SECRET_KEY_FALLBACKS"] == \
        ["old-one", "old-two"]


def test_both_the_value_and_the_file_is_refused(monkeypatch, tmp_path):
    (tmp_path / "key").write_text("x")
    monkeypatch.setenv("SECRET_KEY", "y")
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "key"))
    with pytest.raises(ConfigError, match="not both"):
        env_secret("SECRET_KEY")


def test_an_unreadable_file_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot be read"):
        env_secret("SECRET_KEY")


@pytest.mark.parametrize("missing", ["SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                                     "STRIPE_SECRET_KEY"])
def test_production_refuses_to_start_without(monkeypatch, missing):
    production_env(monkeypatch, **{missing: None})
    with pytest.raises(ConfigError, match=missing):
        load_config({"SHOP_ENV": "production"})


def test_production_refuses_the_development_secret_key(monkeypatch):
    production_env(monkeypatch, SECRET_KEY=DEV_SECRET_KEY)
    with pytest.raises(ConfigError, match="development default"):
        load_config({"SHOP_ENV": "production"})
    production_env(monkeypatch, SECRET_KEY_FALLBACKS=DEV_SECRET_KEY)
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS"):
        load_config({"SHOP_ENV": "production"})


def test_production_defaults_are_the_safe_ones(monkeypatch):
    production_env(monkeypatch)
    config = load_config({"SHOP_ENV": "production"})
    assert config["SESSION_COOKIE_SECURE"] and config["SESSION_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" and config["HSTS_ENABLED"]
    assert config["MAX_CONTENT_LENGTH"] == 256 * 1024 and config["LOG_FORMAT"] == "json"
    assert config["RATELIMIT_CHECKOUT_PER_IP"] == "30 per minute;300 per hour"


@pytest.mark.parametrize("env", ["development", "testing"])
def test_cookies_are_not_secure_only_in_development_and_testing(env):
    config = load_config({"SHOP_ENV": env})
    assert not config["SESSION_COOKIE_SECURE"] and not config["HSTS_ENABLED"]
    assert config["LOG_FORMAT"] == "plain"


def test_a_malformed_rate_limit_is_refused(monkeypatch):
    monkeypatch.setenv("RATELIMIT_CHECKOUT_PER_IP", "lots please")
    with pytest.raises(ConfigError, match="RATELIMIT_CHECKOUT_PER_IP"):
        load_config({"SHOP_ENV": "development"})
