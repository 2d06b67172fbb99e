"""The money half of the admin in a real browser: a partial refund the shopper then sees, the
replay of a webhook that failed for real, and axe on the money pages in every state."""

from __future__ import annotations

import re

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from sandbox.patches import PROCESSING_CARD
from shop.extensions import db
from shop.models import AuditEvent, Order, Store, StripeEvent
from shop.providers.stripe_gateway import StripeGateway
from shop.services.payments.settle import ensure_payment_intent

from ...factories import make_product
from ...integration.payment_scenarios import sandbox_post
from ...payments import make_order as unpaid_order
from ...services import free_port
from .conftest import DESKTOP, PHONE, live_stripe, shot, webhooks_done
from .test_admin_accessibility import serious

pytestmark = pytest.mark.e2e


def test_partial_refund_from_the_order_page(admin_page, admin_site, money_site, chromium):
    page = admin_page
    page.goto(f"{admin_site.base_url}/admin/orders/{money_site.order_id}")
    expect(page.locator("#money-captured")).to_have_text("$49.00")
    expect(page.get_by_role("rowheader", name="CAPTURE")).to_be_visible()
    page.get_by_role("link", name="Refund…").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Refund order"))).to_be_visible()
    page.get_by_label("An amount").check()
    page.get_by_label("Amount", exact=True).fill("12.50")
    page.get_by_label("Reason").select_option("requested_by_customer")
    page.get_by_label("Note (kept in the order's history)").fill("One bag arrived torn")
    page.get_by_role("button", name="Review the refund").click()
    expect(page.get_by_role("heading", name="Refund $12.50 to the customer's card?")) \
        .to_be_visible()
    shot(page, "admin-refund-review")
    page.get_by_role("button", name="Refund $12.50").click()
    expect(page.get_by_text("Tick the box to confirm the amount")).to_be_visible()
    page.get_by_label("I have checked the amount").check()
    page.get_by_role("button", name="Refund $12.50").click()
    expect(page.get_by_role("status")).to_contain_text("Refunded $12.50.")
    expect(page.locator("#money-refunded")).to_have_text("$12.50")
    expect(page.locator("#payment-status")).to_contain_text("partially refunded")
    shot(page, "admin-refunded")

    with admin_site.app.app_context():
        order = db.session.get(Order, money_site.order_id)
        token = order.token
        actors = set(db.session.scalars(select(AuditEvent.actor).where(
            AuditEvent.entity_type == "order", AuditEvent.entity_id == order.id,
            AuditEvent.to_state == "partially_refunded")))
        assert actors == {"staff:owner@bean-and-leaf.example"}
        db.session.remove()

    shopper = chromium.new_context(viewport={"width": 375, "height": 812})
    status = shopper.new_page()
    status.goto(f"{admin_site.base_url}/orders/{token}")
    expect(status.get_by_role("heading", name="Part of your order was refunded")).to_be_visible()
    expect(status.locator("#refunded-amount")).to_have_text("$12.50")
    shot(status, "shopper-partially-refunded")
    shopper.close()


@pytest.fixture
def failed_delivery(admin_site):
    """A shopper pays while the shop cannot reach Stripe: the sandbox delivers
    payment_intent.processing (a hint: the shop must ask Stripe for the intent), processing
    it fails each time, and the sandbox gives up. The payment then goes through (its
    succeeded event needs no call to Stripe and is applied)."""
    app = admin_site.app
    with app.app_context():
        webhooks_done(app)
        store = db.session.scalar(select(Store).where(Store.slug == "main"))
        product = make_product(store, name="Replay Test Blend", price=1800, stock=5)
        order = unpaid_order(store, product, capture_method="automatic",
                             email="replay.me@example.com")
        intent_id = ensure_payment_intent(order_id=order.id).provider_reference
        order_id = order.id
        db.session.remove()
    saved = app.extensions["stripe_gateway"]
    app.extensions["stripe_gateway"] = StripeGateway({
        **app.config, "STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
        "STRIPE_MAX_NETWORK_RETRIES": 0})
    try:
        stripe = live_stripe(app)
        method = stripe.v1.payment_methods.create(params={"type": "card", "card": {
            "number": PROCESSING_CARD, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
        stripe.v1.payment_intents.confirm(intent_id, params={"payment_method": method.id})
        event_id = _wait_until_given_up(app.config["STRIPE_API_BASE"], intent_id)
    finally:
        app.extensions["stripe_gateway"] = saved
    sandbox_post(app.config["STRIPE_API_BASE"], intent_id, "_settle", {"success": "true"})
    return order_id, event_id


def _wait_until_given_up(sandbox_url: str, intent_id: str, timeout: float = 60.0) -> str:
    """The id of the processing event once the sandbox stopped retrying its delivery."""
    import time

    stripe_client_events = requests.get(f"{sandbox_url}/v1/events", timeout=10, params={
        "type": "payment_intent.processing", "limit": 100},
        headers={"Authorization": "Bearer sk_test_sandbox"}).json()["data"]
    [event] = [e for e in stripe_client_events if e["data"]["object"]["id"] == intent_id]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliveries = requests.get(f"{sandbox_url}/_config/deliveries",
                                  params={"event": event["id"]}, timeout=10).json()["data"]
        if deliveries and all(d["delivered"] is False for d in deliveries):
            return event["id"]
        time.sleep(0.2)  # polling a condition, not hoping for timing
    raise AssertionError(f"the sandbox kept retrying {event['id']}")


def test_replay_a_failed_webhook(admin_page, admin_site, failed_delivery):
    order_id, event_id = failed_delivery
    page = admin_page
    with admin_site.app.app_context():
        row = db.session.get(StripeEvent, event_id)
        assert (row.outcome, row.tries) == ("failed", 4)
        db.session.remove()
    page.goto(f"{admin_site.base_url}/admin/")
    expect(page.get_by_text("Failed webhooks to replay")).to_be_visible()
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Webhooks").click()
    page.get_by_label("Outcome").select_option("failed")
    page.get_by_role("button", name="Show events").click()
    row = page.get_by_role("row").filter(has_text=event_id)
    expect(row).to_contain_text("GatewayError")
    shot(page, "admin-webhook-failed")
    row.get_by_role("button", name=re.compile("^Replay")).click()
    expect(page.get_by_role("status")).to_contain_text(f"Event {event_id} replayed: processed.")
    expect(page.get_by_role("row").filter(has_text=event_id)).to_contain_text("processed")
    shot(page, "admin-webhook-replayed")
    page.goto(f"{admin_site.base_url}/admin/orders/{order_id}")
    expect(page.locator("#payment-status")).to_contain_text("paid")
    expect(page.get_by_text("webhook replayed")).to_be_visible()


MONEY_PAGES = {
    "order-with-ledger": lambda s: f"/admin/orders/{s.order_id}",
    "payment-detail": lambda s: f"/admin/payments/{s.attempt_id}",
    "capture": lambda s: f"/admin/payments/{s.authorized_attempt_id}/capture",
    "void": lambda s: f"/admin/payments/{s.authorized_attempt_id}/void",
    "refund": lambda s: f"/admin/payments/{s.attempt_id}/refund",
    "reconcile": lambda s: "/admin/payments/reconciliation",
    "failed-webhooks": lambda s: "/admin/webhooks?outcome=failed",
}


def _check(page, name: str) -> None:
    width = page.viewport_size["width"]
    shot(page, f"admin-money-{name}-{width}")
    assert serious(Axe().run(page)) == []
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} is {overflow}px wide at {width}px"


@pytest.mark.parametrize("admin_page", [DESKTOP, PHONE], indirect=True,
                         ids=["desktop", "phone"])
@pytest.mark.parametrize("name", list(MONEY_PAGES))
def test_money_pages_pass_axe(admin_page, admin_site, money_site, name):
    response = admin_page.goto(admin_site.base_url + MONEY_PAGES[name](money_site))
    assert response.status == 200
    _check(admin_page, name)


@pytest.mark.parametrize("admin_page", [DESKTOP, PHONE], indirect=True,
                         ids=["desktop", "phone"])
def test_refund_review_and_errors_pass_axe(admin_page, admin_site, money_site):
    page = admin_page
    page.goto(f"{admin_site.base_url}/admin/payments/{money_site.attempt_id}/refund")
    page.get_by_label("Chosen items").check()
    page.get_by_label("Units of Money Test Blend to refund").fill("1")
    page.get_by_label("Reason").select_option("duplicate")
    page.get_by_role("button", name="Review the refund").click()
    expect(page.locator("#refund-breakdown")).to_contain_text("Items: $24.50")
    _check(page, "refund-review")
    page.get_by_label("An amount").check()
    page.get_by_label("Amount", exact=True).fill("5000.00")
    page.get_by_role("button", name="Check the amount again").click()
    expect(page.get_by_role("alert")).to_contain_text("more than is left to refund")
    _check(page, "refund-refused")
    page.get_by_label("Amount", exact=True).fill("")
    page.get_by_role("button", name="Review the refund").click()
    expect(page.get_by_text("Enter the amount to refund.")).to_be_visible()
    _check(page, "refund-field-error")
