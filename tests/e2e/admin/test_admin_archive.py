"""Archived orders and the packed / in-transit steps in a real browser, at 375 px and
1280 px: axe finds nothing serious, nothing overflows, the filter round-trips."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from shop.extensions import db
from shop.models import Store
from shop.models.types import utcnow

from ...admin.helpers import make_order
from .conftest import DESKTOP, PHONE, shot
from .test_admin_accessibility import serious

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def archive_site(admin_site):
    with admin_site.app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == "main"))
        gone = make_order(store, status="delivered", payment_status="paid", hold=None,
                          email="archived.buyer@example.com",
                          created_at=utcnow() - timedelta(days=200))
        gone.archived_at = utcnow() - timedelta(days=100)
        moving = make_order(store, status="in_transit", payment_status="paid", hold=None,
                            email="moving.buyer@example.com")
        db.session.commit()
        ids = gone.id, moving.id
        db.session.remove()
    return ids


def check(page, name: str) -> None:
    width = page.viewport_size["width"]
    shot(page, f"{name}-{width}")
    assert serious(Axe().run(page)) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("admin_page", [DESKTOP, PHONE], indirect=True,
                         ids=["desktop", "phone"])
def test_include_archived_orders(admin_page, admin_site, archive_site):
    gone, _moving = archive_site
    admin_page.goto(admin_site.base_url + "/admin/orders")
    assert admin_page.locator(f'a[href="/admin/orders/{gone}"]').count() == 0
    admin_page.get_by_label("Include archived orders").check()
    admin_page.get_by_role("button", name="Show orders").click()
    admin_page.wait_for_url("**include_archived=y**")
    row = admin_page.locator("tr", has=admin_page.locator(f'a[href="/admin/orders/{gone}"]'))
    assert row.locator(".badge-archived").inner_text() == "archived"
    check(admin_page, "admin-orders-archived")


@pytest.mark.parametrize("admin_page", [DESKTOP, PHONE], indirect=True,
                         ids=["desktop", "phone"])
def test_an_order_in_transit(admin_page, admin_site, archive_site):
    _gone, moving = archive_site
    admin_page.goto(f"{admin_site.base_url}/admin/orders/{moving}")
    assert admin_page.locator("#order-status").inner_text() == "in transit"
    assert admin_page.get_by_role("button", name="Mark delivered").is_visible()
    check(admin_page, "admin-order-in-transit")
