"""The search box in a browser: results best match first, a misspelling respelt, the page
for nothing found and for nothing to search for, with axe at 375 and 1280 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .test_accessibility import Audit

pytestmark = pytest.mark.e2e


def search(page: Page, text: str) -> None:
    box = page.get_by_role("searchbox", name="Search products")
    box.fill(text)
    box.press("Enter")
    page.wait_for_load_state("load")


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_search_box_results_and_helpful_pages(live_shop, screen, request):
    base_url, _app = live_shop
    page = request.getfixturevalue(screen)
    audit = Audit(page)
    page.goto(base_url + "/")

    search(page, "espresso")
    expect(page).to_have_url(re.compile(r"[?&]q=espresso"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “espresso”")
    names = page.locator(".product-card h2").all_inner_texts()
    assert sorted(names) == ["Espresso Blend", "Espresso Cups (set of 2)"]
    expect(page.get_by_label("Sort by")).to_have_value("relevance")
    expect(page.get_by_role("searchbox", name="Search products")).to_have_value("espresso")
    audit.check("search-results")

    search(page, "expreso")
    expect(page.get_by_text("Showing results for")).to_contain_text("espresso")
    audit.check("search-respelt")

    search(page, "teapot cosy")
    expect(page.get_by_text("No products match “teapot cosy”")).to_be_visible()
    page.get_by_role("link", name="Tea", exact=True).last.click()
    expect(page).to_have_url(re.compile(r"category=tea"))
    page.go_back()
    audit.check("search-nothing-found")

    search(page, "!!! ***")
    expect(page.get_by_text("There was nothing to search for")).to_be_visible()
    audit.check("search-no-words")
    assert audit.problems == [], "\n".join(audit.problems)
