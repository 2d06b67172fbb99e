"""A guest finds an order again; a registered shopper sees their history; a keyboard-only
shopper checks out."""

import re

import pytest
from playwright.sync_api import Page, expect

from ..shopper import CARD_OK, outbox
from .flows import (
    PAY,
    add_to_cart,
    checkout,
    expect_paid,
    load_order,
    order_token,
    pay,
    shot,
    sign_in_after_sign_up,
)

pytestmark = pytest.mark.e2e

SENT = "If an order matches, we have e-mailed its link to that address."


def test_guest_finds_the_order_by_number_and_email(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "sencha-kyoto")
    checkout(page, base_url, email="lookup@example.com")
    pay(page, CARD_OK)
    expect_paid(page)
    order = load_order(app, order_token(page))
    page.context.clear_cookies()  # another day, another device
    page.goto(base_url + "/")
    page.get_by_role("link", name="Find an order").click()
    expect(page.get_by_role("heading", name="Find your order")).to_be_visible()
    page.get_by_label("Order number").fill(order.number)
    page.get_by_label("Email used for the order").fill("someone@example.com")
    page.get_by_role("button", name="Email me the link").click()
    # The same answer for a wrong pair as for a right one: nothing is shown, only mailed.
    expect(page.get_by_role("status")).to_contain_text(SENT)
    shot(page, "lookup-sent")
    page.get_by_role("link", name="try again").click()
    page.get_by_label("Order number").fill(order.number)
    page.get_by_label("Email used for the order").fill("LOOKUP@example.com")
    page.get_by_role("button", name="Email me the link").click()
    expect(page.get_by_role("status")).to_contain_text(SENT)
    [mail] = [m for m in outbox(app) if m["Subject"].startswith("The link to your order")]
    assert mail["To"] == "lookup@example.com"
    page.goto(re.search(r"http\S+/orders/\S+", mail.get_body(("plain",)).get_content())[0])
    expect(page).to_have_url(f"{base_url}/orders/{order.token}")
    expect(page.get_by_role("heading", name="Thank you, your order is paid")).to_be_visible()


def test_registered_shopper_sees_history(live_shop, page):
    base_url, app = live_shop
    page.goto(base_url + "/")
    page.get_by_role("link", name="Create account").click()
    page.get_by_label("Your name").fill("Katherine Johnson")
    page.get_by_label("Email").fill("katherine@example.com")
    page.get_by_label("Password", exact=True).fill("orbital mechanics 1962")
    page.get_by_label("Repeat the password").fill("orbital mechanics 1962")
    shot(page, "register")
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, app, "katherine@example.com", "orbital mechanics 1962")

    add_to_cart(page, base_url, "espresso-blend")
    page.get_by_role("link", name="Check out").click()
    expect(page.get_by_label("Email")).to_have_value("katherine@example.com")
    checkout(page, base_url, email=None, save_address=True)
    pay(page, CARD_OK)
    expect_paid(page)
    token = order_token(page)
    number = load_order(app, token).number

    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your orders")).to_be_visible()
    row = page.get_by_role("row", name=re.compile(f"Order {number}"))
    expect(row).to_contain_text("Paid")
    shot(page, "account-orders")
    page.get_by_label("Show").select_option("shipped")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("No orders with that status.")).to_be_visible()
    page.get_by_label("Show").select_option("")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name=f"Order {number}").click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()
    expect(page.locator('[data-step="paid"]')).to_have_class("step done")
    shot(page, "account-order")
    page.get_by_role("link", name="Addresses").click()
    expect(page.locator(".address-card").first).to_contain_text("Default Grace Hopper, 1 Navy Yard")
    assert load_order(app, token).user_id is not None


def tab_to(page: Page, matches: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies the JS predicate ``matches(el)``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {matches})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {matches}")


def labelled(text: str) -> str:
    return (f"el.labels && el.labels.length && el.labels[0].textContent.trim() === {text!r}")


def named(text: str) -> str:
    return f"el.textContent.trim().startsWith({text!r})"


def test_keyboard_only_checkout(live_shop, page):
    base_url, app = live_shop
    page.goto(f"{base_url}/products/gift-card-box")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, labelled("Quantity"))
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    tab_to(page, named("Add to cart"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    tab_to(page, named("Check out"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Checkout")).to_be_visible()
    for label, text in [("Email", "ada@example.com"), ("Full name", "Ada Lovelace"),
                        ("Address", "12 Engine Street"), ("City", "London"),
                        ("Postal code", "N1 9GU")]:
        tab_to(page, labelled(label))
        page.keyboard.type(text)
    tab_to(page, labelled("Country"))
    page.keyboard.type("United Kingdom")
    expect(page.get_by_label("Country")).to_have_value("GB")
    tab_to(page, named("Continue to payment"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    tab_to(page, labelled("Card number"))
    page.keyboard.type(CARD_OK)
    page.keyboard.press("Tab")
    page.keyboard.type("1234")
    page.keyboard.press("Tab")
    page.keyboard.type("123")
    shot(page, "keyboard-payment")
    tab_to(page, named("Pay "))
    page.keyboard.press("Enter")
    expect_paid(page)
    order = load_order(app, order_token(page))
    assert (order.ship_country, order.payment_status) == ("GB", "paid")


def test_everything_but_the_card_form_works_without_javascript(live_shop, chromium):
    base_url, app = live_shop
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(base_url + "/")
        page.get_by_role("link", name="Brewing", exact=True).click()
        page.get_by_role("link", name="Paper Filters (100)").click()
        page.get_by_role("button", name="Add to cart").click()
        page.get_by_role("link", name="Check out").click()
        page.get_by_role("button", name="Continue to payment").click()
        expect(page.get_by_text("Please correct the fields marked below.")).to_be_visible()
        checkout_without_js(page)
        expect(page.get_by_text("Card payment needs JavaScript,")).to_be_visible()
        token = order_token(page)
        page.goto(f"{base_url}/orders/{token}")  # the link in the e-mails
        expect(page.get_by_role("heading", name="Awaiting payment")).to_be_visible()
        shot(page, "no-javascript-status")
    finally:
        context.close()


def checkout_without_js(page: Page) -> None:
    page.get_by_label("Email").fill("nojs@example.com")
    page.get_by_label("Full name").fill("Dorothy Vaughan")
    page.get_by_label("Address", exact=True).fill("4 Fortran Way")
    page.get_by_label("City").fill("Hampton")
    page.get_by_label("Postal code").fill("23666")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("State / province").select_option("US-VA")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
