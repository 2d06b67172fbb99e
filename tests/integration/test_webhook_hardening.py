"""Webhook secret rotation, and every JSON error code the endpoints document (README)."""

import json
import time

import pytest
from sqlalchemy import event, func, select

from shop.extensions import db
from shop.models import StripeEvent
from shop.providers.stripe_gateway import InvalidWebhook, StripeGateway

from ..shopper import post_event, sign
from .test_webhook_endpoint import event as make_event
from .test_webhook_endpoint import post_raw


def gateway(current: str, previous: str = "") -> StripeGateway:
    return StripeGateway({"STRIPE_SECRET_KEY": "sk_test_x", "STRIPE_API_BASE": "http://x",
                          "STRIPE_MAX_NETWORK_RETRIES": 0, "STRIPE_TIMEOUT_SECONDS": 1,
                          "STRIPE_WEBHOOK_SECRET": current,
                          "STRIPE_WEBHOOK_SECRET_PREVIOUS": previous,
                          "STRIPE_WEBHOOK_TOLERANCE_SECONDS": 300})


def test_rotation_accepts_the_new_and_the_previous_secret_only():
    payload = json.dumps(make_event()).encode()
    rotating = gateway("whsec_new", previous="whsec_old")
    for secret in ("whsec_new", "whsec_old"):
        assert rotating.verify_webhook(payload, sign(payload, secret=secret))["id"]
    with pytest.raises(InvalidWebhook):
        rotating.verify_webhook(payload, sign(payload, secret="whsec_other"))
    with pytest.raises(InvalidWebhook):  # once rotation is over the old secret is refused
        gateway("whsec_new").verify_webhook(payload, sign(payload, secret="whsec_old"))


def test_rotation_through_the_endpoint(client, store, monkeypatch):
    app = client.application
    rotated = gateway("whsec_brand_new", previous=app.config["STRIPE_WEBHOOK_SECRET"])
    monkeypatch.setitem(app.extensions, "stripe_gateway", rotated)
    old = post_event(client, make_event("evt_old", "customer.created"))
    new = post_event(client, make_event("evt_new", "customer.created"),
                     secret="whsec_brand_new")
    assert (old.status_code, new.status_code) == (200, 200)
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 2


def error_code(response) -> tuple[int, str]:
    body = response.get_json()
    assert set(body["error"]) >= {"code", "message"} and body["error"]["message"]
    return response.status_code, body["error"]["code"]


class Raise:
    def __init__(self, engine, sql, exc):
        self.engine, self.sql, self.exc = engine, sql, exc

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._raise)

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._raise)

    def _raise(self, conn, cursor, statement, *args):
        if statement.upper().startswith(self.sql):
            raise self.exc


def test_every_documented_webhook_error_code(client, store):
    from sqlalchemy.exc import OperationalError

    payload = json.dumps(make_event("evt_x", "customer.created")).encode()
    assert error_code(post_raw(client, payload, None)) == (400, "invalid_signature")
    assert error_code(client.get("/webhooks/stripe")) == (405, "method_not_allowed")
    big = b"{" + b" " * (300 * 1024) + b"}"
    assert error_code(post_raw(client, big, sign(big))) == (413, "request_entity_too_large")
    with Raise(db.engine, "INSERT INTO STRIPE_EVENTS", RuntimeError("bug")):
        assert error_code(post_raw(client, payload, sign(payload))) == (500, "internal_error")
    with Raise(db.engine, "INSERT INTO STRIPE_EVENTS",
               OperationalError("x", {}, Exception("lock timeout"))):
        assert error_code(post_raw(client, payload, sign(payload))) == \
            (503, "service_unavailable")
    ok = post_raw(client, payload, sign(payload, timestamp=int(time.time())))
    assert ok.status_code == 200  # and after all of that, the event still goes through
