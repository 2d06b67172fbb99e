"""Saved cards in the browser: save one while paying, pay again without typing the number,
add one through a SetupIntent (3-D Secure), remove it and see it gone; axe on the pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from ..shopper import CARD_3DS, CARD_OK
from .flows import PAY, add_to_cart, checkout, enter_card, expect_paid, shot, sign_in_after_sign_up

pytestmark = pytest.mark.e2e

PASSWORD = "punched cards 1890"
SAVED_VISA = "Visa ending in 4242, expires 12/2034"
SAVED_3DS = "Visa ending in 3155, expires 12/2034"


def sign_up(page: Page, live_shop, email: str) -> None:
    base_url, app = live_shop
    page.goto(base_url + "/account/register")
    page.get_by_label("Your name").fill("Dorothy Vaughan")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, app, email, PASSWORD)


def to_payment(page: Page, base_url: str) -> None:
    add_to_cart(page, base_url, "espresso-blend")
    checkout(page, base_url, email=None)


def saved_cards(page: Page):
    return page.get_by_role("list", name="Saved cards").get_by_role("listitem")


def test_save_pay_again_without_the_number_then_remove(live_shop, page):
    base_url, _app = live_shop
    sign_up(page, live_shop, "dorothy@example.com")
    to_payment(page, base_url)
    enter_card(page, CARD_OK)
    page.get_by_label("Save this card for next time").check()
    page.get_by_role("button", name=PAY).click()
    expect_paid(page)

    to_payment(page, base_url)
    saved = page.get_by_role("radio", name=SAVED_VISA, exact=True)
    expect(saved).to_be_checked()
    expect(page.get_by_label("Card number")).to_be_hidden()
    shot(page, "saved-card-payment")
    page.get_by_role("button", name=PAY).click()  # no number typed
    expect_paid(page)

    page.goto(base_url + "/account/")
    page.get_by_role("link", name="Saved cards").click()
    expect(saved_cards(page)).to_have_count(1)
    expect(saved_cards(page).first).to_contain_text("Visa ending in 4242, expires 12/2034")
    page.get_by_role("button", name="Remove Visa ending in 4242").click()
    expect(page.get_by_text("Your Visa ending in 4242 was removed.")).to_be_visible()
    expect(saved_cards(page)).to_have_count(0)
    expect(page.get_by_text("You have no saved cards yet.")).to_be_visible()

    to_payment(page, base_url)
    expect(page.get_by_role("radio", name=SAVED_VISA, exact=True)).to_have_count(0)
    expect(page.get_by_label("Card number")).to_be_visible()


def test_add_a_card_with_3d_secure_then_pay_with_it(live_shop, page):
    base_url, _app = live_shop
    sign_up(page, live_shop, "savedcard3ds@example.com")
    page.goto(base_url + "/account/payment-methods")
    page.get_by_role("link", name="Add a card").click()
    expect(page.get_by_role("button", name="Save card")).to_be_enabled()
    enter_card(page, CARD_3DS)
    page.get_by_role("button", name="Save card").click()
    page.get_by_role("dialog").get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_text("Your Visa ending in 3155 is saved.")).to_be_visible()
    expect(saved_cards(page)).to_have_count(1)

    to_payment(page, base_url)
    expect(page.get_by_role("radio", name=SAVED_3DS, exact=True)).to_be_checked()
    page.get_by_role("button", name=PAY).click()
    # The bank asks again for this payment: a saved card does not skip 3-D Secure.
    page.get_by_role("dialog").get_by_role("button", name="Complete authentication").click()
    expect_paid(page)


@pytest.mark.parametrize("width", [375, 1280])
def test_saved_card_pages_pass_axe(live_shop, chromium, width):
    base_url, _app = live_shop
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    axe, problems = Axe(), []

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        shot(page, f"a11y-{width}-{name}")
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                problems.append(f"{name}: {violation['id']} {violation['help']}")
        if page.evaluate("() => document.documentElement.scrollWidth") > width:
            problems.append(f"{name}: scrolls sideways at {width}px")

    try:
        sign_up(page, live_shop, f"axe{width}@example.com")
        page.goto(base_url + "/account/payment-methods")
        check("saved-cards-empty")
        page.get_by_role("link", name="Add a card").click()
        expect(page.get_by_role("button", name="Save card")).to_be_enabled()
        check("add-a-card")
        enter_card(page, CARD_OK)
        page.get_by_role("button", name="Save card").click()
        expect(saved_cards(page)).to_have_count(1)
        check("saved-cards")
        to_payment(page, base_url)
        expect(page.get_by_role("radio", name=SAVED_VISA, exact=True)).to_be_checked()
        check("payment-with-saved-cards")
    finally:
        context.close()
    assert not problems, problems
