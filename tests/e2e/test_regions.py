"""Checkout to a US state in a real browser: the country starts on the store's own, a
missing state is refused beside its field, and axe passes the form at 375 and 1280 px."""

import pytest
from playwright.sync_api import expect

from .flows import add_to_cart, load_order, order_token, sign_in_after_sign_up
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_checkout_to_a_us_state(live_shop, screen, request):
    base_url, app = live_shop
    page = request.getfixturevalue(screen)
    audit = Audit(page)
    add_to_cart(page, base_url, "assam-breakfast")
    page.goto(f"{base_url}/checkout")
    expect(page.get_by_label("Country")).to_have_value("US")  # the store's, not the first
    expect(page.get_by_label("State / province")).to_have_value("")
    audit.check("checkout-region")
    page.get_by_label("Email").fill("katherine@example.com")
    page.get_by_label("Full name").fill("Katherine Johnson")
    page.get_by_label("Address", exact=True).fill("1 Congress Ave")
    page.get_by_label("City").fill("Austin")
    page.get_by_label("Postal code").fill("78701")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.locator("#region-error")).to_have_text("Choose a state for this address.")
    expect(page.get_by_label("State / province")).to_have_attribute("aria-invalid", "true")
    audit.check("checkout-region-missing")
    page.get_by_label("State / province").select_option(label="Texas")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
    expect(page.get_by_text("Austin, Texas 78701, United States")).to_be_visible()
    order = load_order(app, order_token(page))
    assert (order.ship_country, order.ship_region, order.tax_rate_bp) == ("US", "US-TX", 625)
    assert audit.problems == [], "\n".join(audit.problems)


def test_the_state_list_follows_the_country(live_shop, page):
    """With JavaScript the list offers only the chosen country's regions, resets a choice
    the new country cannot have, and turns itself off for a country without a list; the
    order still goes through with the server's check."""
    base_url, app = live_shop
    add_to_cart(page, base_url, "assam-breakfast")
    page.goto(f"{base_url}/checkout")
    region = page.get_by_label("State / province")
    expect(region.locator("optgroup[label='United States']")).not_to_have_attribute("hidden", "")
    expect(region.locator("optgroup[label='Canada']")).to_have_attribute("hidden", "")
    region.select_option(label="Texas")
    page.get_by_label("Country").select_option(label="Canada")
    expect(region).to_have_value("")  # Texas is not in Canada
    expect(region.locator("optgroup[label='United States']")).to_have_attribute("disabled", "")
    region.select_option(label="Ontario")
    expect(region).to_have_value("CA-ON")
    page.get_by_label("Country").select_option(label="Germany")
    expect(region).to_be_disabled()
    expect(region).to_have_value("")
    page.get_by_label("Email").fill("lise@example.com")
    page.get_by_label("Full name").fill("Lise Meitner")
    page.get_by_label("Address", exact=True).fill("Kaiser-Wilhelm-Str. 1")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
    order = load_order(app, order_token(page))
    assert (order.ship_country, order.ship_region) == ("DE", "")


def test_the_address_book_filters_states_too(live_shop, page):
    base_url, app = live_shop
    page.goto(f"{base_url}/account/register")
    page.get_by_label("Your name").fill("Annie Easley")
    page.get_by_label("Email").fill("annie@example.com")
    page.get_by_label("Password", exact=True).fill("centaur rocket 1963")
    page.get_by_label("Repeat the password").fill("centaur rocket 1963")
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, app, "annie@example.com", "centaur rocket 1963")
    page.goto(f"{base_url}/account/addresses")
    region = page.get_by_label("State / province")
    page.get_by_label("Country").select_option(label="Canada")
    expect(region.locator("optgroup[label='Canada']")).not_to_have_attribute("hidden", "")
    expect(region.locator("optgroup[label='United States']")).to_have_attribute("hidden", "")
