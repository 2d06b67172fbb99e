"""/healthz, /readyz and /metrics, including each readiness failure."""

import logging

import pytest
from flask_migrate import downgrade
from prometheus_client.parser import text_string_to_metric_families

from shop import create_app
from shop.extensions import db

from ..conftest import app_config, build_schema
from ..production import BASE_URL, production_app
from ..services import free_port
from ..shopper import Shopper


def test_healthz_needs_nothing_but_the_process(tmp_path):
    broken = create_app(app_config(f"sqlite:///{tmp_path}/no/such/dir/shop.db",
                                   "http://127.0.0.1:9", tmp_path))
    response = broken.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_readyz_when_everything_is_there(client, store):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready",
                                   "checks": {"database": "ok", "migrations": "ok"},
                                   "stripe_api_version": "2026-10-28.endive",
                                   "rate_limits": "per-process"}


def test_readyz_without_a_database(tmp_path):
    broken = create_app(app_config(f"sqlite:///{tmp_path}/no/such/dir/shop.db",
                                   "http://127.0.0.1:9", tmp_path))
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == "unreachable"
    assert "no/such/dir" not in response.get_data(as_text=True)  # no connection details


def test_readyz_with_migrations_behind(tmp_path):
    behind = create_app(app_config(f"sqlite:///{tmp_path}/behind.db", "http://127.0.0.1:9",
                                   tmp_path))
    build_schema(behind)
    with behind.app_context():
        downgrade(revision="0003")
    response = behind.test_client().get("/readyz")
    assert response.status_code == 503
    migrations = response.get_json()["checks"]["migrations"]
    assert migrations.startswith("at 0003, head is ")


PER_PROCESS_WARNING = "rate limits are per process"


def test_production_without_redis_warns_that_limits_are_per_process(monkeypatch, tmp_path,
                                                                     caplog):
    with caplog.at_level(logging.WARNING, logger="shop.ratelimit"):
        app = production_app(monkeypatch, tmp_path)
    [warning] = [r for r in caplog.records if PER_PROCESS_WARNING in r.getMessage()]
    assert warning.levelno == logging.WARNING
    build_schema(app)
    response = app.test_client().get("/readyz", base_url=BASE_URL)
    # Weaker limits are no reason to take the instance out of the balancer.
    assert response.status_code == 200
    assert response.get_json()["rate_limits"] == "per-process"


def test_production_with_redis_shares_its_limits(monkeypatch, tmp_path, caplog, redis_url):
    with caplog.at_level(logging.WARNING, logger="shop.ratelimit"):
        app = production_app(monkeypatch, tmp_path, REDIS_URL=redis_url)
    assert not [r for r in caplog.records if PER_PROCESS_WARNING in r.getMessage()]
    build_schema(app)
    response = app.test_client().get("/readyz", base_url=BASE_URL)
    assert response.status_code == 200
    assert response.get_json()["rate_limits"] == "shared"


def test_limits_are_per_process_while_redis_is_away(app, tmp_path, private_redis):
    private_redis.start()
    shop = create_app({**app_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                    app.config["STRIPE_API_BASE"], tmp_path),
                       "REDIS_URL": private_redis.url})
    client = shop.test_client()
    assert client.get("/readyz").get_json()["rate_limits"] == "shared"
    private_redis.stop()
    client.get("/orders/no-such-order/pay")  # a limited route: the limiter meets the outage
    body = client.get("/readyz").get_json()
    assert (body["checks"]["redis"], body["rate_limits"]) == ("unreachable", "per-process")


def test_readyz_with_redis_down(app, tmp_path):
    down = create_app({**app_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                    app.config["STRIPE_API_BASE"], tmp_path),
                       "REDIS_URL": f"redis://127.0.0.1:{free_port()}/3"})
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "migrations": "ok",
                                             "redis": "unreachable"}


def samples(client, name: str, **labels) -> float:
    text = client.get("/metrics").get_data(as_text=True)
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total


def test_metrics_count_what_happened(client, shopper, product):
    created = samples(client, "shop_state_changes_total", entity="order",
                      action="order_created")
    checkouts = samples(client, "shop_checkout_duration_seconds_count", outcome="placed")
    shopper.add(product, 2)
    shopper.checkout()
    assert samples(client, "shop_state_changes_total", entity="order",
                   action="order_created") == created + 1
    assert samples(client, "shop_checkout_duration_seconds_count",
                   outcome="placed") == checkouts + 1
    assert samples(client, "shop_payment_attempts", state="initiated") == 1
    assert samples(client, "shop_inventory_holds", state="active") == 1
    assert samples(client, "shop_inventory_holds", state="expired") == 0
    rejected = samples(client, "shop_webhook_events_total", outcome="invalid_signature")
    client.post("/webhooks/stripe", data=b"{}", content_type="application/json")
    assert samples(client, "shop_webhook_events_total",
                   outcome="invalid_signature") == rejected + 1
    text = client.get("/metrics").get_data(as_text=True)
    for name in ("shop_webhook_processing_seconds", "shop_job_failures_total",
                 "shop_outbox_backlog", "shop_request_duration_seconds"):
        assert name in text


def test_a_rolled_back_change_is_not_counted(client, store, product):
    from .test_faults_database import FailOn

    before = samples(client, "shop_state_changes_total", entity="order")
    shopper = Shopper(client)
    shopper.add(product)
    form = shopper.checkout_form()
    with FailOn(db.engine, "UPDATE CARTS"):
        assert shopper.submit_checkout(form).status_code == 503
    assert samples(client, "shop_state_changes_total", entity="order") == before


@pytest.mark.parametrize("env,token,auth,status", [
    ("production", "", None, 404),
    ("production", "s3cret-token", None, 401),
    ("production", "s3cret-token", "Bearer wrong", 401),
    ("production", "s3cret-token", "Bearer s3cret-token", 200),
    ("testing", "", None, 200),
])
def test_metrics_are_protected_in_production(client, store, monkeypatch, env, token, auth,
                                             status):
    monkeypatch.setitem(client.application.config, "SHOP_ENV", env)
    monkeypatch.setitem(client.application.config, "METRICS_TOKEN", token)
    response = client.get("/metrics", headers={"Authorization": auth} if auth else {})
    assert response.status_code == status
