"""The demo shop looks like a shop: home, product, cart, checkout and payment at 375 px and
1280 px, kept as `test-artifacts/showcase-<width>-<page>.png`. Each page shows its pictures
(decoded, not broken), reads without scrolling sideways and passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .flows import add_to_cart, checkout
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e


def pictures_shown(page: Page) -> int:
    """How many pictures the page's main part shows; fails on any that did not decode."""
    for image in page.locator("main img").all():
        image.scroll_into_view_if_needed()  # lazy pictures load once near the screen
    page.wait_for_function(
        "() => [...document.querySelectorAll('main img')].every(i => i.complete)")
    loaded = page.eval_on_selector_all(
        "main img", "imgs => imgs.map(i => [i.currentSrc || i.src, i.naturalWidth])")
    broken = [src for src, width in loaded if width == 0]
    assert broken == [], f"pictures that did not load: {broken}"
    return len(loaded)


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_the_demo_shop_at_375_and_1280px(live_shop, screen, request):
    base_url, _app = live_shop
    page: Page = request.getfixturevalue(screen)
    width = page.viewport_size["width"]
    audit = Audit(page)

    def keep(name: str) -> None:
        audit.check(f"showcase-{name}")
        page.screenshot(path=str(_artifact(f"showcase-{width}-{name}")), full_page=True)

    page.goto(base_url + "/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert pictures_shown(page) >= 12  # a page of product cards, each with its picture
    keep("home")
    page.goto(base_url + "/products/ethiopia-yirgacheffe")
    expect(page.get_by_role("heading", name="Ethiopia Yirgacheffe")).to_be_visible()
    assert pictures_shown(page) >= 1
    keep("product")
    add_to_cart(page, base_url, "ethiopia-yirgacheffe", 2)
    keep("cart")
    page.goto(base_url + "/checkout")
    keep("checkout")
    checkout(page, base_url, email="showcase@example.com")
    keep("payment")
    assert audit.problems == [], "\n".join(audit.problems)


def _artifact(name: str):
    from ..browser import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{name}.png"
