"""Variants in the browser: the demo's coffees come in 250 g / 1 kg × whole bean / ground.
Choose one, add it, check out and pay; the variant's own stock pays for it. The product page
with its choice passes axe at 375 and 1280 px."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, OrderLine, ProductVariant

from .flows import checkout, expect_paid, order_token, pay, shot
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e

SLUG = "colombia-huila"
CHOSEN = "1 kg · ground"


def stock_of(app, sku: str) -> int:
    with app.app_context():
        stock = db.session.scalar(select(ProductVariant.stock_on_hand)
                                  .where(ProductVariant.sku == sku))
        db.session.remove()
    return stock


def test_choose_a_variant_add_it_and_pay(live_shop, page):
    base_url, app = live_shop
    sku = f"{SLUG}-1kg-ground"
    before = stock_of(app, sku)
    page.goto(f"{base_url}/products/{SLUG}")
    choice = page.get_by_role("group", name="Choose an option")
    # The first variant in stock is chosen already: the form works without a click or JS.
    expect(choice.get_by_role("radio", name="250 g · whole bean")).to_be_checked()
    choice.get_by_role("radio", name=CHOSEN).check()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text(CHOSEN, exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="$97.00")).to_be_visible()  # 2 × $48.50
    shot(page, "variants-cart")
    checkout(page, base_url)
    pay(page)
    expect_paid(page)
    token = order_token(page)
    with app.app_context():
        lines = db.session.execute(
            select(OrderLine.name, OrderLine.sku, OrderLine.unit_price, OrderLine.quantity)
            .join(Order).where(Order.token == token)).all()
        db.session.remove()
    assert [tuple(line) for line in lines] == [(f"Colombia Huila — {CHOSEN}", sku, 4850, 2)]
    assert stock_of(app, sku) == before - 2


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_the_product_page_with_variants_passes_axe(live_shop, screen, request):
    base_url, _app = live_shop
    page = request.getfixturevalue(screen)
    audit = Audit(page)
    page.goto(f"{base_url}/products/ethiopia-yirgacheffe")
    expect(page.get_by_role("group", name="Choose an option")).to_be_visible()
    audit.check("product-variants")
    assert audit.problems == [], "\n".join(audit.problems)
