"""Stripe hosted Checkout in a real browser: chosen at checkout, paid on the sandbox's hosted
page, back to a paid order; canceled then retried; and the Payment Element page's way out to
the hosted page when Stripe.js does not load. The shop's pages on the way pass axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import PaymentAttempt, SentEmail, StripeEvent

from .flows import (
    PAY,
    add_to_cart,
    expect_paid,
    fill_address,
    load_order,
    order_token,
    shot,
    succeeded_charges,
    wait_until,
)
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e

HOSTED_LABEL = "Card on Stripe's secure page"
HOSTED_PAGE = re.compile(r"/checkout\.stripe\.com/c/pay/cs_test_")


def choose_hosted_checkout(page: Page, base_url: str, audit: Audit) -> None:
    page.goto(f"{base_url}/checkout")
    fill_address(page)
    page.get_by_label(HOSTED_LABEL).check()
    audit.check("checkout-hosted-chosen")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(HOSTED_PAGE)
    expect(page.get_by_role("heading", name="Stripe sandbox Checkout")).to_be_visible()


def attempt_of(app, token: str) -> PaymentAttempt:
    order = load_order(app, token)
    with app.app_context():
        attempt = db.session.scalar(select(PaymentAttempt).where(
            PaymentAttempt.order_id == order.id).order_by(PaymentAttempt.id.desc()).limit(1))
        db.session.expunge_all()
        db.session.remove()
        return attempt


def counted(app, model, *where) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
        return n


def test_paid_on_stripes_hosted_page(live_shop, page):
    base_url, app = live_shop
    audit = Audit(page)
    add_to_cart(page, base_url, "assam-breakfast", 2)
    choose_hosted_checkout(page, base_url, audit)
    shot(page, "hosted-checkout-page")
    page.get_by_role("button", name=PAY).click()
    expect_paid(page)
    audit.check("hosted-checkout-paid")
    token = order_token(page)
    order = load_order(app, token)
    assert (order.status, order.payment_status, order.payment_method) == (
        "paid", "paid", "stripe_checkout")
    attempt = attempt_of(app, token)
    assert attempt.session_id and attempt.provider_reference
    assert succeeded_charges(app, attempt.provider_reference) == 1
    # The sandbox's signed events reach the live shop too: applied, one effect.
    wait_until(page, lambda: counted(app, StripeEvent,
                                     StripeEvent.type == "checkout.session.completed") >= 1,
               "checkout.session.completed delivered")
    receipts = (SentEmail.order_id == order.id, SentEmail.kind == "receipt")
    wait_until(page, lambda: counted(app, SentEmail, *receipts) >= 1, "the receipt e-mail")
    page.wait_for_timeout(1000)  # the other reports of the payment have arrived by now
    assert counted(app, SentEmail, *receipts) == 1
    assert audit.problems == [], "\n".join(audit.problems)


def test_canceled_on_stripes_page_then_retried(live_shop, page):
    base_url, app = live_shop
    audit = Audit(page)
    add_to_cart(page, base_url, "assam-breakfast")
    choose_hosted_checkout(page, base_url, audit)
    session_url = page.url
    page.get_by_role("link", name="Cancel and go back").click()
    expect(page).to_have_url(re.compile(r"/orders/[^/?]+\?checkout=canceled$"))
    expect(page.get_by_text("Nothing was charged, and your items are still reserved"))\
        .to_be_visible()
    audit.check("hosted-checkout-canceled")
    token = order_token(page)
    assert load_order(app, token).payment_status == "unpaid"
    page.get_by_role("link", name="Try again").click()
    expect(page).to_have_url(session_url)  # the same session, still open
    page.get_by_role("button", name=PAY).click()
    expect_paid(page)
    assert load_order(app, token).payment_status == "paid"
    assert audit.problems == [], "\n".join(audit.problems)


def test_stripe_js_blocked_the_pay_page_switches_to_hosted_checkout(live_shop, page):
    base_url, app = live_shop
    audit = Audit(page)
    page.route(re.compile(r"/js\.stripe\.com/"), lambda route: route.abort())
    add_to_cart(page, base_url, "assam-breakfast")
    page.goto(f"{base_url}/checkout")
    fill_address(page)
    page.get_by_role("button", name="Continue to payment").click()  # the Payment Element
    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
    expect(page.locator("#payment-needs-js")).to_be_visible()
    fallback = page.get_by_role("button", name="Continue on Stripe's secure page")
    expect(fallback).to_be_visible()
    audit.check("pay-page-stripe-js-blocked")
    token = order_token(page)
    assert load_order(app, token).payment_method == "stripe"
    fallback.click()
    expect(page).to_have_url(HOSTED_PAGE)
    page.get_by_role("button", name=PAY).click()
    expect_paid(page)
    order = load_order(app, token)
    assert (order.payment_method, order.payment_status) == ("stripe_checkout", "paid")
    assert audit.problems == [], "\n".join(audit.problems)


def test_abandoned_on_stripes_page_expires_with_its_hold(live_shop, page):
    import httpx

    from shop.models import InventoryHold

    from .test_gateway_payments import lapse_and_expire

    base_url, app = live_shop
    audit = Audit(page)
    add_to_cart(page, base_url, "assam-breakfast")
    choose_hosted_checkout(page, base_url, audit)
    session_url = page.url
    page.goto(base_url + "/")  # the shopper walks away from Stripe's page
    token = newest_hosted_token(app)
    order_id = lapse_and_expire(app, token)
    page.goto(f"{base_url}/orders/{token}")
    expect(page.get_by_role("heading", name="This order expired before it was paid")) \
        .to_be_visible()
    audit.check("hosted-checkout-expired")
    with app.app_context():
        holds = set(db.session.scalars(select(InventoryHold.status).where(
            InventoryHold.order_id == order_id)))
        db.session.remove()
    assert holds == {"released"}  # its stock is available again
    assert attempt_of(app, token).status == "canceled"
    assert load_order(app, token).status == "expired"
    # The session was expired at Stripe first: its page takes no money now.
    assert httpx.post(session_url, data={"card": "4242424242424242"},
                      timeout=10).status_code == 409
    assert audit.problems == [], "\n".join(audit.problems)


def newest_hosted_token(app) -> str:
    """The newest hosted-Checkout order's token (the shopper never came back to a page of
    ours that names it)."""
    from shop.models import Order

    with app.app_context():
        token = db.session.scalar(select(Order.token).where(
            Order.payment_method == "stripe_checkout").order_by(Order.id.desc()).limit(1))
        db.session.remove()
    return token
