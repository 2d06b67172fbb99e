"""Shipping on the checkout form in a real browser: the totals follow country and method at
once with JavaScript, and on "Update total" without it; the address and shipping are changed
from the payment page (a new order, the old PaymentIntent canceled); and the pages involved
pass axe at 375 and 1280 px."""

from __future__ import annotations

import re

import pytest
import stripe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.domain.money import format_money
from shop.domain.pricing import PricedLine, quote
from shop.extensions import db
from shop.models import Product, Store
from shop.services.platform.settings import effective_settings

from .flows import (
    PAY,
    STATUS_URL,
    add_to_cart,
    checkout,
    expect_paid,
    fill_address,
    intent_of,
    load_order,
    order_token,
    orders_count,
    pay,
)
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e

FIGURES = ("shipping", "tax", "total")


def expected(app, slug: str, quantity: int, country: str, method: str,
             region: str = "") -> dict:
    """The server's figures for that cart and destination: quote() at the store's rates."""
    with app.app_context():
        product = db.session.scalar(select(Product).where(Product.slug == slug))
        rates = effective_settings(db.session.scalar(select(Store.id).where(
            Store.slug == "main"))).rates
        line = PricedLine(product.id, product.name, product.price, quantity)
        db.session.remove()
    q = quote([line], country=country, region=region, shipping_method=method, rates=rates)
    return {"shipping": format_money(q.shipping, q.currency) if q.shipping else "Free",
            "tax": format_money(q.tax, q.currency), "total": format_money(q.total, q.currency)}


def displayed(page: Page) -> dict:
    return {key: page.locator(f"#summary-{key}").inner_text() for key in FIGURES}


def expect_displayed(page: Page, figures: dict) -> None:
    for key in FIGURES:
        expect(page.locator(f"#summary-{key}")).to_have_text(figures[key])


def pay_page_figures(page: Page) -> dict:
    """The payment page's summary: the order as the server priced it."""
    totals = page.locator(".summary .totals")
    return {"shipping": totals.locator("div:has(dt:text-is('Shipping')) dd").inner_text(),
            "tax": totals.locator("div:has(dt:has-text('Tax')) dd").inner_text(),
            "total": totals.locator(".grand dd").inner_text()}


def choose(page: Page, country: str, method: str, region: str | None = None) -> None:
    page.get_by_label("Country").select_option(country)
    if region is not None:  # "": none, for a country whose addresses name no region
        page.get_by_label("State / province").select_option(region)
    page.get_by_role("radio", name=re.compile(f"^{method}")).check()


def test_totals_follow_country_and_method_at_once_and_match_the_order(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "jasmine-pearls", 2)
    page.goto(f"{base_url}/checkout")
    expect(page.get_by_role("button", name="Update total")).to_be_hidden()
    fill_address(page)
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    expect_displayed(page, expected(app, "jasmine-pearls", 2, "US", "standard", "US-VA"))
    choose(page, "US", "Express")
    expect_displayed(page, expected(app, "jasmine-pearls", 2, "US", "express", "US-VA"))
    expect(page.locator("#summary-destination")).to_have_text(
        "Express shipping to Virginia, United States.")
    expect(page.locator("[data-method-price='express']")).to_have_text(
        expected(app, "jasmine-pearls", 2, "US", "express", "US-VA")["shipping"])
    choose(page, "US", "Express", "US-TX")  # another state, another tax
    expect_displayed(page, expected(app, "jasmine-pearls", 2, "US", "express", "US-TX"))
    expect(page.locator("#summary-tax-label")).to_have_text("Tax (6.25%)")
    choose(page, "US", "Express", "")
    expect(page.locator("#summary-total")).to_have_text("—")
    expect(page.locator("#summary-destination")).to_have_text(
        "Choose a state or province to see the tax and total.")
    choose(page, "DE", "Express")
    figures = expected(app, "jasmine-pearls", 2, "DE", "express")
    expect_displayed(page, figures)
    expect(page.locator("#summary-tax-label")).to_have_text("Tax (19%)")
    expect(page.locator("#summary-destination")).to_have_text("Express shipping to Germany.")
    assert posts == []  # all of it without asking the server
    shown = displayed(page)
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    assert pay_page_figures(page) == shown == figures
    order = load_order(app, order_token(page))
    assert (order.ship_country, order.shipping_method) == ("DE", "express")
    assert format_money(order.total, order.currency) == shown["total"]


def test_update_total_without_javascript(live_shop, chromium):
    base_url, app = live_shop
    context = chromium.new_context(java_script_enabled=False,
                                   viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        add_to_cart(page, base_url, "coffee-journal", 3)
        page.goto(f"{base_url}/checkout")
        fill_address(page)
        before = orders_count(app)
        choose(page, "CA", "Express", "CA-ON")
        page.get_by_role("button", name="Update total").click()
        figures = expected(app, "coffee-journal", 3, "CA", "express", "CA-ON")
        expect_displayed(page, figures)
        expect(page.get_by_label("Full name")).to_have_value("Grace Hopper")
        expect(page.get_by_label("Country")).to_have_value("CA")
        expect(page.get_by_role("radio", name=re.compile("^Express"))).to_be_checked()
        assert orders_count(app) == before
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
        assert pay_page_figures(page) == figures
        assert orders_count(app) == before + 1
    finally:
        context.close()


def test_changing_the_address_from_the_payment_page(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "ethiopia-yirgacheffe", 2)
    checkout(page, base_url)
    old = order_token(page)
    old_intent = intent_of(app, old)
    page.get_by_role("link", name="Edit address or shipping").click()
    assert page.url == f"{base_url}/checkout?order={old}"
    expect(page.get_by_label("Full name")).to_have_value("Grace Hopper")
    expect(page.get_by_label("Address", exact=True)).to_have_value("1 Navy Yard")
    expect(page.get_by_label("Email")).to_have_value("grace@example.com")
    expect(page.get_by_label("Country")).to_have_value("US")
    expect(page.get_by_label("State / province")).to_have_value("US-VA")
    expect(page.get_by_role("radio", name=re.compile("^Standard"))).to_be_checked()
    choose(page, "CA", "Express", "CA-ON")
    page.get_by_label("City").fill("Toronto")
    shown = displayed(page)
    assert shown == expected(app, "ethiopia-yirgacheffe", 2, "CA", "express", "CA-ON")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    new = order_token(page)
    assert new != old and pay_page_figures(page) == shown
    expect(page.get_by_text("Toronto")).to_be_visible()
    client = stripe.StripeClient("sk_test_sandbox",
                                 base_addresses={"api": app.config["STRIPE_API_BASE"]})
    assert client.v1.payment_intents.retrieve(old_intent).status == "canceled"
    assert load_order(app, old).status == "canceled"
    pay(page)
    expect_paid(page)
    # Neither order can be changed any more: each link leads to its status page.
    for token, heading in ((new, "Thank you, your order is paid"),
                           (old, "This order was canceled")):
        page.goto(f"{base_url}/checkout?order={token}")
        expect(page).to_have_url(STATUS_URL)
        assert order_token(page) == token
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page.get_by_role("link", name="Edit address or shipping")).to_have_count(0)


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_checkout_and_payment_pages_at_375_and_1280px(live_shop, screen, request):
    base_url, _app = live_shop
    page = request.getfixturevalue(screen)
    audit = Audit(page)
    add_to_cart(page, base_url, "french-press-1l")
    page.goto(f"{base_url}/checkout")
    choose(page, "GB", "Express")
    audit.check("checkout-shipping")
    checkout(page, base_url)
    audit.check("payment-with-edit-link")
    page.get_by_role("link", name="Edit address or shipping").click()
    expect(page.get_by_label("Full name")).to_have_value("Grace Hopper")
    audit.check("checkout-editing")
    page.get_by_label("Full name").fill("")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_text("Enter the name to ship to.")).to_be_visible()
    audit.check("checkout-editing-errors")
    assert audit.problems == [], "\n".join(audit.problems)
