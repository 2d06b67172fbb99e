"""The sandboxes' hosted pages in Chromium: a tester pays with the keyboard-reachable buttons,
and axe finds no serious or critical violation at 375 px and 1280 px."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from shop.providers.base import PaymentRequest, PaymentStatus

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}


def request_for(reference: str, catcher) -> PaymentRequest:
    return PaymentRequest(reference=reference, amount=250_000, currency="NGN",
                          email="ada@example.test", return_url=catcher.url("/orders/tok"))


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("name", ["paystack", "flutterwave"])
def test_a_tester_pays_on_the_hosted_page_and_axe_finds_nothing_blocking(
        chromium, request, catcher, name, width):
    provider = request.getfixturevalue(name)
    reference = f"att-{name}-{width}"
    link = provider.start_payment(request_for(reference, catcher)).redirect_url
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(link)
        violations = [v["id"] for v in Axe().run(page).response["violations"]
                      if v["impact"] in BLOCKING]
        assert violations == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width
        page.get_by_role("button", name="Pay", exact=True).click()
        page.wait_for_url(catcher.url("/orders/tok") + "*")
    finally:
        context.close()
    assert provider.fetch_payment(reference).status is PaymentStatus.SUCCEEDED


