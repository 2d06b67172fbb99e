"""A shop owner at work in a real browser: sign in, find an order by e-mail, ship it."""

import re

import pytest
from playwright.sync_api import expect

from shop.extensions import db
from shop.models import AuditEvent, Order

from .conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def test_sign_in_from_the_admin_link(chromium, admin_site):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(admin_site.base_url + "/admin/orders")
    expect(page).to_have_url(re.compile(r"/account/login\?next="))
    shot(page, "admin-login")
    page.get_by_label("Email").fill("owner@bean-and-leaf.example")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    context.close()
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, admin_site.base_url, "/admin/orders")
    expect(page.get_by_role("heading", name="Orders", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Admin sections")).to_be_visible()
    context.close()


def test_find_an_order_by_email_and_ship_it(admin_page, admin_site):
    page = admin_page
    page.goto(admin_site.base_url + "/admin/")
    page.get_by_role("navigation", name="Admin sections").get_by_role(
        "link", name="Orders").click()
    page.get_by_label("Search").fill("Find.Me@example.com")
    page.get_by_role("button", name="Show orders").click()
    rows = page.get_by_role("region", name="Orders").get_by_role("row")
    expect(rows).to_have_count(2)  # the header and the one order
    shot(page, "admin-order-search")
    page.get_by_role("link", name=admin_site.order_number).click()
    expect(page.get_by_role("heading", name=f"Order {admin_site.order_number}")).to_be_visible()

    page.get_by_label("Carrier").select_option("UPS")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_text("Enter the tracking number from the shipping label.")) \
        .to_be_visible()
    expect(page.get_by_label("Tracking number")).to_have_attribute("aria-invalid", "true")
    shot(page, "admin-ship-error")

    page.get_by_label("Tracking number").fill("1Z 999 AA1 0123456784")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.get_by_role("status")).to_contain_text("Shipped with UPS 1Z 999 AA1 0123456784")
    expect(page.locator("#order-status")).to_contain_text("shipped")
    expect(page.locator("#shipment")).to_contain_text("UPS 1Z 999 AA1 0123456784")
    shot(page, "admin-shipped")

    with admin_site.app.app_context():
        order = db.session.get(Order, admin_site.order_id)
        assert (order.status, order.carrier, order.tracking_number) == \
            ("shipped", "UPS", "1Z 999 AA1 0123456784")
        actors = {e.actor for e in db.session.query(AuditEvent).filter_by(
            entity_type="order", entity_id=order.id, to_state="shipped")}
        assert actors == {"staff:owner@bean-and-leaf.example"}
        db.session.remove()
