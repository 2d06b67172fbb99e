"""The payment methods section of /admin/settings in a real browser: a refused save shows
its error beside the table, a valid one is saved; axe on the refused page at both widths
(the settings page itself is in the admin sweep)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Store, StoreSettings

from .conftest import DESKTOP, PHONE, shot
from .test_admin_accessibility import serious

pytestmark = pytest.mark.e2e


@pytest.fixture
def defaults_after(admin_site):
    yield
    with admin_site.app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "main"))
        row = db.session.get(StoreSettings, store_id)
        if row is not None:
            row.payment_methods = row.default_payment_method = row.cod_max_amount = None
            db.session.commit()
        db.session.remove()


@pytest.mark.parametrize("admin_page", [PHONE, DESKTOP], indirect=True,
                         ids=["phone", "desktop"])
def test_a_refused_save_is_accessible_and_a_valid_one_saved(admin_page, admin_site,
                                                            defaults_after):
    page = admin_page
    page.goto(admin_site.base_url + "/admin/settings")
    section = page.locator("#payment-settings")
    expect(section.get_by_role("heading", name="Payment methods")).to_be_visible()
    section.get_by_label("Offer Card", exact=True).uncheck()
    section.get_by_label("Offer Card on Stripe's secure page").uncheck()
    section.get_by_role("button", name="Save payment methods").click()
    expect(page.get_by_text("Enable at least one payment method")).to_be_visible()
    width = page.viewport_size["width"]
    shot(page, f"admin-payment-settings-refused-{width}")
    assert serious(Axe().run(page)) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    section = page.locator("#payment-settings")
    section.get_by_label("Offer Card", exact=True).check()
    section.get_by_label("Offer Cash on delivery").check()
    section.get_by_label("Pre-selected at checkout").select_option("cod")
    section.get_by_label("Cash on delivery: largest order").fill("300.00")
    section.get_by_role("button", name="Save payment methods").click()
    expect(page.get_by_text("Payment settings saved: 3 changes.")).to_be_visible()
    expect(page.locator("#method-cod")).to_contain_text("Configured")
