import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, Product

from .conftest import ARTIFACTS

pytestmark = pytest.mark.e2e


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_buy_with_three_d_secure_card(live_shop, page):
    base_url, app = live_shop
    page.goto(base_url + "/")
    expect(page.get_by_role("heading", name="All products")).to_be_visible()
    page.get_by_role("link", name="Coffee", exact=True).click()
    page.get_by_role("link", name="Ethiopia Yirgacheffe").click()
    shot(page, "product")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    page.get_by_role("link", name="Check out").click()

    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_label("Address", exact=True).fill("1 Navy Yard")
    page.get_by_label("City").fill("Arlington")
    page.get_by_label("Postal code").fill("22202")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("State / province").select_option("US-VA")
    shot(page, "checkout")
    page.get_by_role("button", name="Continue to payment").click()

    expect(page.get_by_role("heading", name="Payment", exact=True)).to_be_visible()
    # 2 × $16.50 + $5.00 shipping + Virginia's 5.3 % tax on $38.00 = $40.01
    expect(page.get_by_text("$40.01").first).to_be_visible()
    page.get_by_label("Card number").fill("4000 0025 0000 3155")
    page.get_by_label(re.compile("Expiration")).fill("12 / 34")
    page.get_by_label(re.compile("Security code")).fill("123")
    shot(page, "payment")
    page.get_by_role("button", name=re.compile("^Pay")).click()

    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    shot(page, "three-d-secure")
    dialog.get_by_role("button", name="Complete authentication").click()

    expect(page).to_have_url(re.compile(r"/orders/[^/?]+$"))
    expect(page.get_by_role("heading", name="Thank you, your order is paid")).to_be_visible()
    shot(page, "paid")

    token = page.url.rsplit("/", 1)[1]
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.token == token))
        assert (order.status, order.payment_status, order.total) == ("paid", "paid", 4001)
        coffee = db.session.scalar(select(Product).where(Product.slug == "ethiopia-yirgacheffe"))
        assert coffee.stock_on_hand == 38
        db.session.remove()
