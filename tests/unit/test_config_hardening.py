"""Secrets from the environment or from *_FILE files; production refuses unsafe settings."""

import pytest

from shop.config import DEV_SECRET_KEY, ConfigError, env_secret, load_config

# Test-only keys, shaped like secrets.token_urlsafe(32) output.
STRONG_KEY = "q8Zt-3vLr_X1mWc9Pd0aNy7KbEhQj2Us"  # noqa: S105
OLD_KEY = "M4xk-Vb7Rz_0pTq2WnEy9Lc5HdJg1Aos"  # noqa: S105
PRODUCTION = {"SECRET_KEY": STRONG_KEY, "STRIPE_SECRET_KEY": "sk_live_x",
              "STRIPE_PUBLISHABLE_KEY": "pk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
              "BASE_URL": "https://shop.example.com"}
SECRET_NAMES = ["SECRET_KEY", "SECRET_KEY_FALLBACKS", "STRIPE_SECRET_KEY",
                "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET",
                "STRIPE_WEBHOOK_SECRET_PREVIOUS", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in SECRET_NAMES + ["SHOP_ENV", "RATELIMIT_CHECKOUT_PER_IP", "LOG_FORMAT",
                                "BASE_URL", "ALLOWED_HOSTS"]:
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
    secret.write_text(f"{STRONG_KEY}\n")  # files usually end with a newline
    monkeypatch.setenv(f"{name}_FILE", str(secret))
    assert load_config({"SHOP_ENV": "production"})[config_key] == STRONG_KEY


def test_secret_key_fallbacks_from_a_file(monkeypatch, tmp_path):
    production_env(monkeypatch)
    (tmp_path / "old").write_text(f"{OLD_KEY}, {STRONG_KEY[::-1]}\n")
    monkeypatch.setenv("SECRET_KEY_FALLBACKS_FILE", str(tmp_path / "old"))
    assert load_config({"SHOP_ENV": "production"})["SECRET_KEY_FALLBACKS"] == \
        [OLD_KEY, STRONG_KEY[::-1]]


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


@pytest.mark.parametrize("key,reason", [
    ("abc", "shorter than 32 characters"),
    ("k" * 40, "fewer than 8 different characters"),
    ("abcd" * 10, "fewer than 8 different characters"),
    ("Passw0rd!" * 4, "a short piece repeated"),
    ("0123456789abcdef" * 2, "a short piece repeated"),
])
def test_production_refuses_a_guessable_secret_key(monkeypatch, key, reason):
    production_env(monkeypatch, SECRET_KEY=key)
    with pytest.raises(ConfigError, match=f"SECRET_KEY (is|uses) {reason}") as refused:
        load_config({"SHOP_ENV": "production"})
    assert key not in str(refused.value) and "token_urlsafe" in str(refused.value)


def test_production_refuses_a_guessable_fallback_key(monkeypatch):
    production_env(monkeypatch, SECRET_KEY_FALLBACKS=f"{OLD_KEY},changeme")
    with pytest.raises(ConfigError, match="SECRET_KEY_FALLBACKS is shorter"):
        load_config({"SHOP_ENV": "production"})


def test_generated_secret_keys_are_accepted(monkeypatch):
    import secrets

    for key in [secrets.token_urlsafe(32) for _ in range(100)] + \
               [secrets.token_hex(16) for _ in range(100)]:
        production_env(monkeypatch, SECRET_KEY=key)
        assert load_config({"SHOP_ENV": "production"})["SECRET_KEY"] == key


def test_development_keeps_its_default_key_and_base_url():
    config = load_config({"SHOP_ENV": "development"})
    assert config["SECRET_KEY"] == DEV_SECRET_KEY
    assert config["BASE_URL"] == "http://127.0.0.1:5000" and config["TRUSTED_HOSTS"] is None


@pytest.mark.parametrize("base_url,message", [
    (None, "Production needs BASE_URL"),
    ("", "Production needs BASE_URL"),
    ("http://shop.example.com", "must start with https:// in production"),
    ("shop.example.com", "must look like https://shop.example.com"),
    ("https://", "must look like https://shop.example.com"),
    ("https://shop.example.com/?next=x", "must look like https://shop.example.com"),
    ("https://user:pw@shop.example.com", "must look like https://shop.example.com"),
    ("ftp://shop.example.com", "must look like https://shop.example.com"),
])
def test_production_refuses_a_missing_or_plain_http_base_url(monkeypatch, base_url, message):
    production_env(monkeypatch, BASE_URL=base_url)
    with pytest.raises(ConfigError, match=message):
        load_config({"SHOP_ENV": "production"})


def test_production_trusts_the_base_url_host_and_allowed_hosts(monkeypatch):
    production_env(monkeypatch, BASE_URL="https://Shop.Example.com:8443/",
                   ALLOWED_HOSTS=" www.shop.example.com, .cdn.example.net ")
    config = load_config({"SHOP_ENV": "production"})
    assert config["BASE_URL"] == "https://Shop.Example.com:8443"
    assert config["TRUSTED_HOSTS"] == ["shop.example.com", "www.shop.example.com",
                                       ".cdn.example.net"]


@pytest.mark.parametrize("hosts", ["https://www.example.com", "www.example.com:443",
                                   "example.com/shop", "*.example.com", "a b"])
def test_malformed_allowed_hosts_are_refused(monkeypatch, hosts):
    monkeypatch.setenv("ALLOWED_HOSTS", hosts)
    with pytest.raises(ConfigError, match="ALLOWED_HOSTS must be host names"):
        load_config({"SHOP_ENV": "development"})
