"""/admin/alerts in a real browser: the badge, the kind filter, resolving with a note, and
axe at phone and desktop width."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from shop.extensions import db
from shop.models import StaffAlert

from .conftest import DESKTOP, PHONE, shot
from .test_admin_accessibility import serious

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("admin_page", [PHONE, DESKTOP], indirect=True,
                         ids=["phone", "desktop"])
def test_alerts_page_is_accessible_at_both_widths(admin_page, admin_site):
    page = admin_page
    page.goto(admin_site.base_url + "/admin/alerts")
    expect(page.get_by_role("heading", name="Alerts", exact=True)).to_be_visible()
    width = page.viewport_size["width"]
    shot(page, f"admin-alerts-{width}")
    assert serious(Axe().run(page)) == []
    # What sticks out, outside the navigation (which scrolls on its own), if anything.
    wide = page.evaluate("""w => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > w && !e.closest('nav'))
        .map(e => `${e.tagName}.${e.className}#${e.id}`).slice(0, 8)""", width)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, wide


def test_an_owner_filters_and_resolves_an_alert(admin_page, admin_site):
    with admin_site.app.app_context():
        alert = StaffAlert(store_id=db.session.get(StaffAlert, admin_site.alert_id).store_id,
                           kind="webhook_failures_high",
                           message="10.0 % of the Stripe webhook events of the last hour "
                                   "failed to process.", figures={"rate": 10.0})
        db.session.add(alert)
        db.session.commit()
        alert_id = alert.id
        db.session.remove()
    page = admin_page
    page.goto(admin_site.base_url + "/admin/")
    nav = page.get_by_role("navigation", name="Admin sections")
    expect(nav.locator("#open-alert-count")).to_be_visible()
    before = int(nav.locator("#open-alert-count").inner_text().split()[0])
    nav.get_by_role("link", name="Alerts").click()

    page.get_by_label("Kind").select_option("webhook_failures_high")
    page.get_by_role("button", name="Show alerts").click()
    expect(page.locator(f"#alert-{alert_id}")).to_be_visible()
    expect(page.locator(f"#alert-{admin_site.alert_id}")).to_have_count(0)

    page.locator(f"#alert-{alert_id}").get_by_role("link", name="Resolve…").click()
    page.get_by_role("button", name="Resolve alert").click()
    expect(page.get_by_text("Say what was done about it.")).to_be_visible()
    expect(page.get_by_label("What was done")).to_have_attribute("aria-invalid", "true")
    assert serious(Axe().run(page)) == []
    shot(page, "admin-alert-resolve-error")

    page.get_by_label("What was done").fill("A bad deploy; rolled back at 14:10.")
    page.get_by_role("button", name="Resolve alert").click()
    expect(page.get_by_role("status")).to_contain_text("Alert resolved.")
    resolved = page.get_by_role("region", name="Resolved alerts")
    expect(resolved).to_contain_text("A bad deploy; rolled back at 14:10.")
    expect(resolved).to_contain_text("staff:owner@bean-and-leaf.example")
    badge = page.get_by_role("navigation", name="Admin sections").locator("#open-alert-count")
    if before > 1:
        expect(badge).to_contain_text(str(before - 1))
    else:
        expect(badge).to_have_count(0)
    shot(page, "admin-alert-resolved")
