"""The catalog in a browser: the sort and filter form (no script involved), the seeded
pictures loading with their srcset (lazily on the cards, at once for the product's first),
and axe on the catalog and product pages at 375 and 1280 px."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from .test_accessibility import Audit

pytestmark = pytest.mark.e2e


def loaded(page: Page, selector: str) -> None:
    """Wait (Playwright's deadline) until the image is decoded with a real size."""
    page.wait_for_function(
        "s => { const i = document.querySelector(s); return i && i.complete && "
        "i.naturalWidth > 0; }", arg=selector)


def card_prices(page: Page) -> list[Decimal]:
    texts = page.locator(".product-card .price").all_inner_texts()
    return [Decimal(re.sub(r"[^0-9.]", "", text)) for text in texts]


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_sort_filter_and_pictures(live_shop, screen, request):
    base_url, _app = live_shop
    page = request.getfixturevalue(screen)
    audit = Audit(page)
    page.goto(base_url + "/?category=tea")
    audit.check("catalog-tea")

    page.get_by_label("Sort by").select_option(label="Price, high to low")
    page.get_by_label("Lowest price").fill("10")
    page.get_by_label("In stock only").check()
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"sort=price_desc"))
    assert "category=tea" in page.url and "in_stock=1" in page.url and "min_price=10" in page.url
    prices = card_prices(page)
    assert prices and prices == sorted(prices, reverse=True) and min(prices) >= 10
    expect(page.locator(".product-card .stock-out")).to_have_count(0)
    expect(page.get_by_label("Sort by")).to_have_value("price_desc")
    expect(page.get_by_label("In stock only")).to_be_checked()
    audit.check("catalog-filtered")

    page.get_by_label("Lowest price").fill("ten")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("The lowest price was left out: enter an amount like 12.50.")) \
        .to_be_visible()
    expect(page.get_by_label("Lowest price")).to_have_attribute("aria-invalid", "true")
    audit.check("catalog-bad-price")

    cards = page.locator(".product-card img")
    assert cards.count() == page.locator(".product-card").count() > 0
    for n in range(cards.count()):
        image = cards.nth(n)
        assert image.get_attribute("loading") == "lazy"
        assert re.fullmatch(r"/media/products/\S+-card\.webp 480w, /media/products/\S+-full"
                            r"\.webp 1200w", image.get_attribute("srcset"))
        assert image.get_attribute("alt") and image.get_attribute("width") == "480"
    loaded(page, ".product-card img")  # the first card is on screen: it loads

    page.locator(".product-card a").first.click()
    main = page.locator("img.main-image")
    expect(main).to_be_visible()
    assert main.get_attribute("loading") is None
    loaded(page, "img.main-image")
    natural = page.evaluate("() => document.querySelector('img.main-image').currentSrc")
    assert "/media/products/" in natural and natural.endswith(".webp")
    audit.check("product-with-picture")
    assert audit.problems == [], "\n".join(audit.problems)
