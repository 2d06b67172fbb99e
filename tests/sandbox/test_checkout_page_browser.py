"""The sandbox's hosted Checkout page in Chromium: a tester picks a card with the keyboard
reachable controls and pays, and axe finds no serious or critical violation at 375 px and
1280 px; the shop's return page is a stand-in routed inside the browser."""

from __future__ import annotations

import time

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
SHOP = "http://shop.test"


def _session(client) -> str:
    return client.v1.checkout.sessions.create(params={
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "eur", "unit_amount": 1999,
                                       "product_data": {"name": "Teapot"}}, "quantity": 1}],
        "client_reference_id": "order-7", "success_url": SHOP + "/orders/t?s={CHECKOUT_SESSION_ID}",
        "cancel_url": SHOP + "/orders/t?canceled=1",
        "expires_at": int(time.time()) + 3600}).id


def _blocking(page) -> list[str]:
    return [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING]


@pytest.mark.parametrize("width", [375, 1280])
def test_a_tester_pays_on_the_hosted_checkout_and_axe_finds_nothing_blocking(
        chromium, client, width):
    session_id = _session(client)
    url = client.v1.checkout.sessions.retrieve(session_id).url
    context = chromium.new_context(viewport={"width": width, "height": 800})
    context.route(SHOP + "/**", lambda route: route.fulfill(
        status=200, content_type="text/html",
        body="<!doctype html><html lang=en><title>shop</title><p>Back at the shop</p>"))
    page = context.new_page()
    try:
        page.goto(url)
        assert _blocking(page) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.get_by_label("Visa 0002: declined by the bank").check()
        page.get_by_role("button", name="Pay 19.99 EUR").click()
        page.get_by_role("alert").wait_for()
        assert "declined" in page.get_by_role("alert").inner_text()
        assert _blocking(page) == []
        page.get_by_label("Visa 4242: pays").check()
        page.get_by_role("button", name="Pay 19.99 EUR").click()
        page.wait_for_url(f"{SHOP}/orders/t?s={session_id}")
    finally:
        context.close()
    done = client.v1.checkout.sessions.retrieve(session_id)
    assert (done.status, done.payment_status) == ("complete", "paid")


def test_cancel_in_the_browser_goes_back_to_the_shop_and_leaves_the_session_open(
        chromium, client):
    session_id = _session(client)
    url = client.v1.checkout.sessions.retrieve(session_id).url
    context = chromium.new_context(viewport={"width": 375, "height": 800})
    context.route(SHOP + "/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<p>Back at the shop</p>"))
    page = context.new_page()
    try:
        page.goto(url)
        page.get_by_role("link", name="Cancel and go back").click()
        page.wait_for_url(SHOP + "/orders/t?canceled=1")
    finally:
        context.close()
    assert client.v1.checkout.sessions.retrieve(session_id).status == "open"
