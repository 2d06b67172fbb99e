"""A guest's order joins the account made later with the same address once the e-mailed link
is followed; the pages on the way pass axe at 1280 px (desktop) and 375 px (a phone signed
in to the same account)."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from ..shopper import CARD_OK, outbox
from .flows import (
    add_to_cart,
    checkout,
    expect_paid,
    load_order,
    order_token,
    pay,
    sign_in_after_sign_up,
)
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e

EMAIL = "hedy@example.com"
PASSWORD = "frequency hopping 1942"  # noqa: S105 - test value
BANNER = "Verify your e-mail to see your earlier orders"


def verify_links(app, count: int, timeout: float = 10.0) -> list[str]:
    """The verification links mailed to EMAIL, oldest first, once ``count`` have arrived
    (the mail goes out after the page was answered)."""
    deadline = time.monotonic() + timeout
    while True:
        bodies = [m.get_body(("plain",)).get_content() for m in outbox(app)
                  if m["To"] == EMAIL]
        links = [match[0] for body in bodies
                 if (match := re.search(r"http\S+/account/verify/\S+", body))]
        if len(links) >= count:
            return links
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(links)} of {count} verification e-mails arrived")
        time.sleep(0.05)


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/account/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You are signed in.")).to_be_visible()


def test_a_guest_order_joins_the_account_once_the_emailed_link_is_followed(
        live_shop, page, phone):
    base_url, app = live_shop
    desktop, small = Audit(page), Audit(phone)
    add_to_cart(page, base_url, "assam-breakfast")
    checkout(page, base_url, email=EMAIL)
    pay(page, CARD_OK)
    expect_paid(page)
    number = load_order(app, order_token(page)).number
    mine = page.get_by_role("link", name=f"Order {number}")

    page.goto(base_url + "/account/register")
    page.get_by_label("Your name").fill("Hedy Lamarr")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, app, EMAIL, PASSWORD)
    page.goto(base_url + "/account/orders")
    expect(page.get_by_role("heading", name=BANNER)).to_be_visible()
    expect(mine).to_have_count(0)  # signed in, not yet verified: the guest order is not hers
    desktop.check("account-orders-unverified")

    # The same account on a phone asks for a new link from the banner.
    sign_in(phone, base_url)
    phone.goto(base_url + "/account/orders")
    small.check("account-orders-unverified")
    phone.get_by_role("button", name="Send me a new link").click()
    expect(phone.get_by_role("heading", name="Check your email")).to_be_visible()
    small.check("verify-sent")

    welcome, resent = verify_links(app, 2)[:2]
    assert welcome.startswith(base_url + "/account/verify/")
    page.goto(welcome)
    expect(page.get_by_role("heading", name="Your email is verified")).to_be_visible()
    expect(page.get_by_text("One order you placed as a guest with it is now in your "
                            "account.")).to_be_visible()
    desktop.check("verified")
    page.get_by_role("link", name="See your orders").click()
    expect(mine).to_be_visible()
    expect(page.get_by_role("heading", name=BANNER)).to_have_count(0)
    desktop.check("account-orders-verified")
    mine.click()
    expect(page.get_by_role("heading", name=re.compile(number))).to_be_visible()

    # The phone's newer link still works: nothing left to claim, and it says so plainly.
    phone.goto(resent)
    expect(phone.get_by_role("heading", name="Your email is verified")).to_be_visible()
    expect(phone.get_by_text("now in your account")).to_have_count(0)
    small.check("verified")

    for screen, audit in ((page, desktop), (phone, small)):
        screen.goto(base_url + "/account/verify/not-a-token")
        expect(screen.get_by_role("alert")).to_contain_text("This verification link is not "
                                                            "valid.")
        audit.check("verify-invalid")
        screen.get_by_role("button", name="Send a new link").click()
        expect(screen.get_by_role("heading", name="Check your email")).to_be_visible()
        audit.check("verify-sent-from-invalid")
    assert desktop.problems == [] and small.problems == [], \
        "\n".join(desktop.problems + small.problems)
