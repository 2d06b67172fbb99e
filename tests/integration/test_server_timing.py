"""Server-Timing (SERVER_TIMING): the request's time, the part of it spent at Stripe, which
the benchmarks subtract to get the shop's own overhead, and the worker's CPU time for it;
absent unless switched on."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, PaymentAttempt

TIMING = re.compile(
    r"^app;dur=(\d+\.\d{2}), stripe;dur=(\d+\.\d{2}), cpu;dur=(\d+\.\d{2})$")


@pytest.fixture
def server_timing(clean_app):
    clean_app.config["SERVER_TIMING"] = True
    yield
    clean_app.config["SERVER_TIMING"] = False


def durations(response) -> tuple[float, float]:
    header = response.headers.get("Server-Timing")
    assert header is not None, "no Server-Timing header"
    match = TIMING.match(header)
    assert match, header
    app_ms, cpu_ms = float(match[1]), float(match[3])
    # The CPU clock runs only while the request's thread runs: never longer than its wall time.
    assert 0 < cpu_ms <= app_ms
    return app_ms, float(match[2])


def test_checkout_reports_its_time_at_stripe(server_timing, shopper, product):
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form())
    assert response.status_code == 303
    app_ms, stripe_ms = durations(response)
    # The checkout created a PaymentIntent at the sandbox: that call is the Stripe time.
    db.session.rollback()
    intent_id = db.session.scalar(select(PaymentAttempt.provider_reference).join(
        Order, Order.id == PaymentAttempt.order_id).where(Order.cart_id.is_not(None)))
    assert intent_id and intent_id.startswith("pi_")
    assert stripe_ms > 0
    assert app_ms >= stripe_ms


def test_a_page_without_stripe_calls_reports_zero_stripe_time(server_timing, client, product):
    response = client.get(f"/products/{product.slug}")
    assert response.status_code == 200
    app_ms, stripe_ms = durations(response)
    assert app_ms > 0
    assert stripe_ms == 0


def test_no_header_when_switched_off(clean_app, shopper, product):
    assert not clean_app.config["SERVER_TIMING"]
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form())
    assert response.status_code == 303
    assert "Server-Timing" not in response.headers
    assert "Server-Timing" not in shopper.client.get("/").headers
