"""axe finds no serious or critical violation on any shopper page, on a 375 px wide phone,
and no page scrolls sideways there. Each page is kept as a screenshot in test-artifacts/."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import User
from shop.services.accounts.passwords import reset_token_for

from ..shopper import CARD_DECLINED, CARD_OK, CARD_PROCESSING
from .flows import (
    CONTINUE,
    PAY,
    add_to_cart,
    checkout,
    expect_paid,
    order_token,
    pay,
    shot,
    sign_in_after_sign_up,
    start_three_d_secure,
    wait_until,
)

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


class Audit:
    def __init__(self, page: Page):
        self.page = page
        self.axe = Axe()
        self.problems: list[str] = []
        self.pages: list[str] = []

    def check(self, name: str) -> None:
        """Audit the page as it is now."""
        self.page.wait_for_load_state("load")
        self.pages.append(name)
        width = self.page.viewport_size["width"]
        shot(self.page, f"a11y-{width}-{name}")
        results = self.axe.run(self.page)
        for violation in results.response["violations"]:
            if violation["impact"] in BLOCKING:
                targets = [node["target"] for node in violation["nodes"]][:3]
                self.problems.append(f"{name}: {violation['id']} ({violation['impact']}) "
                                     f"{violation['help']} at {targets}")
        # Against the screen's width, not innerWidth: a mobile browser widens its layout
        # viewport to fit content that overflows, which would hide the very problem.
        overflow = self.page.evaluate("() => document.documentElement.scrollWidth") - width
        if overflow > 0:
            self.problems.append(f"{name}: scrolls sideways by {overflow}px at {width}px")


def test_every_shopper_page_at_375px(live_shop, phone):
    base_url, app = live_shop
    page, audit = phone, Audit(phone)
    page.goto(base_url + "/")
    audit.check("home")
    page.goto(base_url + "/?category=tea")
    audit.check("category")
    page.goto(base_url + "/products/assam-breakfast")
    audit.check("product")
    add_to_cart(page, base_url, "assam-breakfast")
    audit.check("cart")
    page.goto(base_url + "/checkout")
    audit.check("checkout")
    page.get_by_role("button", name="Continue to payment").click()
    audit.check("checkout-with-errors")
    checkout(page, base_url, email="axe@example.com")
    audit.check("payment")
    pay(page, CARD_DECLINED)
    expect(page.locator("#payment-message")).to_be_visible()
    audit.check("payment-declined")
    token = order_token(page)
    page.goto(f"{base_url}/orders/{token}")
    audit.check("order-status-unpaid")
    page.goto(f"{base_url}/orders/{token}/pay")
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    pay(page, CARD_OK)
    expect_paid(page)
    audit.check("order-status-paid")
    page.goto(base_url + "/orders/lookup")
    audit.check("order-lookup")
    page.get_by_role("button", name="Email me the link").click()
    audit.check("order-lookup-errors")

    page.goto(base_url + "/account/register")
    audit.check("register")
    page.get_by_label("Your name").fill("Mary Jackson")
    page.get_by_label("Email").fill("mary@example.com")
    page.get_by_label("Password", exact=True).fill("wind tunnel 1958")
    page.get_by_label("Repeat the password").fill("wind tunnel 1958")
    page.get_by_role("button", name="Create account").click()
    audit.check("register-sent")
    sign_in_after_sign_up(page, app, "mary@example.com", "wind tunnel 1958")
    add_to_cart(page, base_url, "paper-filters-100")
    checkout(page, base_url, email=None, save_address=True)
    pay(page, CARD_OK)
    expect_paid(page)
    page.goto(base_url + "/account/orders")
    audit.check("account-orders")
    page.get_by_role("link", name=re.compile(r"^Order \d+")).first.click()
    audit.check("account-order")
    page.goto(base_url + "/account/addresses")
    audit.check("account-addresses")
    page.get_by_role("link", name=re.compile("^Edit")).first.click()
    audit.check("account-address-edit")
    page.goto(base_url + "/account/security")
    audit.check("account-security")
    page.get_by_role("button", name="Sign out", exact=True).click()
    page.goto(base_url + "/account/login")
    audit.check("login")
    page.goto(base_url + "/account/password/forgot")
    audit.check("password-forgot")
    page.get_by_label("Email").fill("mary@example.com")
    page.get_by_role("button", name="Email me a reset link").click()
    audit.check("password-forgot-sent")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "mary@example.com"))
        token = reset_token_for(user)
        db.session.remove()
    page.goto(f"{base_url}/account/password/reset/{token}")
    audit.check("password-reset")
    page.goto(f"{base_url}/account/password/reset/not-a-token")
    audit.check("password-reset-invalid")
    page.goto(f"{base_url}/products/no-such-thing")
    audit.check("not-found")
    assert audit.problems == [], "\n".join(audit.problems)
    assert len(audit.pages) == 25


def test_the_audit_does_catch_problems(live_shop, phone):
    """Proof that the audit above can fail: a page with known faults does not pass it."""
    base_url, _app = live_shop
    phone.goto(base_url + "/")
    phone.evaluate("""() => {
        const main = document.getElementById('main');
        main.insertAdjacentHTML('beforeend', '<img src="/static/none.png"><button></button>');
        document.body.style.minWidth = '600px'; }""")
    audit = Audit(phone)
    audit.check("deliberately-broken")
    assert any("image-alt (critical)" in p for p in audit.problems), audit.problems
    assert any("button-name (critical)" in p for p in audit.problems), audit.problems
    assert any("scrolls sideways" in p for p in audit.problems), audit.problems


def test_closed_order_page_offers_to_rebuild_the_cart(live_shop, phone):
    """The canceled-order page, audited too, and its "Rebuild my cart" works without JS."""
    base_url, app = live_shop
    page, audit = phone, Audit(phone)
    add_to_cart(page, base_url, "earl-grey-supreme", 2)
    checkout(page, base_url)
    first = order_token(page)
    # Checking out the same cart again replaces the unpaid order (it is canceled).
    checkout(page, base_url)
    wait_until(page, lambda: order_token(page) != first, "a second order")
    page.goto(f"{base_url}/orders/{first}")
    expect(page.get_by_role("heading", name="This order was canceled")).to_be_visible()
    audit.check("order-status-canceled")
    page.get_by_role("button", name="Rebuild my cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text("We put the items of your order back in your cart.")).to_be_visible()
    assert audit.problems == [], "\n".join(audit.problems)


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_interrupted_payment_pages_at_375_and_1280px(live_shop, screen, request):
    """The pages of an interrupted payment: "Continue verification", the status page once it
    offers a way forward, and the waiting page of a payment the bank is processing."""
    base_url, _app = live_shop
    page = request.getfixturevalue(screen)
    audit = Audit(page)
    page.clock.install()
    token = start_three_d_secure(live_shop, page, "assam-breakfast")
    page.reload()
    expect(page.get_by_role("button", name=CONTINUE)).to_be_enabled()
    audit.check("payment-continue-verification")
    page.goto(f"{base_url}/orders/{token}")
    page.clock.fast_forward(31_000)
    expect(page.get_by_role("link", name="Check on your payment")).to_be_visible()
    audit.check("order-status-way-forward")
    add_to_cart(page, base_url, "paper-filters-100")
    checkout(page, base_url)
    pay(page, CARD_PROCESSING)
    expect(page.get_by_role("heading", name="Confirming your payment…")).to_be_visible()
    page.goto(f"{base_url}/orders/{order_token(page)}/pay")
    page.clock.fast_forward(31_000)
    expect(page.get_by_text("This is taking longer than usual.")).to_be_visible()
    audit.check("payment-processing")
    assert audit.problems == [], "\n".join(audit.problems)
