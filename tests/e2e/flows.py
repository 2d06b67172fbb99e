"""What a shopper does in the browser, step by step, and what the tests then check."""

from __future__ import annotations

import re
import time

import stripe
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, User

from ..browser import ARTIFACTS
from ..shopper import CARD_3DS, CARD_OK

PAY = re.compile(r"^Pay ")
CONTINUE = re.compile("^Continue verification$")
STATUS_URL = re.compile(r"/orders/[^/?]+$")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def add_to_cart(page: Page, base_url: str, slug: str, quantity: int = 1) -> None:
    page.goto(f"{base_url}/products/{slug}")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()


def wait_for_account(app, email: str, timeout: float = 10.0) -> None:
    """The account a sign-up makes after its answer was sent exists (a browser is faster
    than the person it stands in for)."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while not db.session.scalar(select(User.id).where(User.email == email)):
            db.session.rollback()
            if time.monotonic() > deadline:
                raise AssertionError(f"no account for {email} {timeout} s after signing up")
            time.sleep(0.05)
        db.session.remove()


def sign_in_after_sign_up(page: Page, app, email: str, password: str) -> None:
    """Signing up answers "check your email" (the same for a taken address); then sign in."""
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    wait_for_account(app, email)
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()


def fill_address(page: Page, email: str | None = "grace@example.com") -> None:
    if email is not None:
        page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Address", exact=True).fill("1 Navy Yard")
    page.get_by_label("City").fill("Arlington")
    page.get_by_label("Postal code").fill("22202")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("State / province").select_option("US-VA")


def checkout(page: Page, base_url: str, email: str | None = "grace@example.com",
             save_address: bool = False) -> None:
    """From a filled cart to the payment page, as a guest (or signed in: ``email=None``)."""
    page.goto(f"{base_url}/checkout")
    fill_address(page, email)
    if save_address:
        page.get_by_label("Save this address in my account").check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    expect(page.locator("#payment-needs-js")).to_be_hidden()


def enter_card(page: Page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label(re.compile("Expiration")).fill("12 / 34")
    page.get_by_label(re.compile("Security code")).fill("123")


def pay(page: Page, number: str = CARD_OK) -> None:
    enter_card(page, number)
    page.get_by_role("button", name=PAY).click()


def payment_error(page: Page):
    """The payment page's one place for errors."""
    return page.locator("#payment-message")


def expect_paid(page: Page) -> None:
    expect(page).to_have_url(STATUS_URL)
    expect(page.get_by_role("heading", name="Thank you, your order is paid")).to_be_visible()


def order_token(page: Page) -> str:
    return re.search(r"/orders/([^/?]+)", page.url).group(1)


def load_order(app, token: str) -> Order:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.token == token))
        db.session.expunge_all()
        db.session.remove()
        return order


def intent_of(app, token: str) -> str:
    with app.app_context():
        intent = db.session.scalar(select(PaymentAttempt.provider_reference).join(Order).where(
            Order.token == token))
        db.session.remove()
        return intent


def orders_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count(Order.id)))
        db.session.remove()
        return count


def charges_for(app, intent_id: str) -> list[dict]:
    """Every charge the sandbox made for ``intent_id`` (failed ones too)."""
    client = stripe.StripeClient("sk_test_sandbox",
                                 base_addresses={"api": app.config["STRIPE_API_BASE"]})
    charges = client.v1.charges.list(params={"limit": 100}).auto_paging_iter()
    return [c.to_dict() for c in charges if c.to_dict().get("payment_intent") == intent_id]


def succeeded_charges(app, intent_id: str) -> int:
    return sum(1 for c in charges_for(app, intent_id) if c["status"] == "succeeded")


def wait_until(page: Page, condition, what: str, timeout_ms: int = 10_000) -> None:
    """Let Playwright dispatch events (route handlers run then) until ``condition()`` holds."""
    waited = 0
    while not condition():
        if waited >= timeout_ms:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(25)
        waited += 25


def start_three_d_secure(live_shop, page: Page, slug: str) -> str:
    """Pay with a 3-D Secure card and stop at the bank's dialog; returns the order token."""
    base_url, app = live_shop
    add_to_cart(page, base_url, slug)
    checkout(page, base_url)
    pay(page, CARD_3DS)
    expect(page.get_by_role("dialog")).to_be_visible()
    token = order_token(page)
    # The shop hears of it from Stripe's webhook: the order is now "being confirmed".
    wait_until(page, lambda: load_order(app, token).payment_status == "processing",
               "the requires_action webhook")
    return token
