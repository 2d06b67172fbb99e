"""A Paystack or Flutterwave payment refunded by staff in the real browser, part then the
rest, from the admin order page; the provider's sandbox confirms each refund by webhook and
the shopper's order page shows what came back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from ..flows import expect_paid, load_order, order_token
from ..test_accessibility import Audit
from ..test_gateway_payments import LABEL, choose_and_go, gateways  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def refund(admin: Page, base_url: str, order_id: int, amount: str | None, who: str) -> None:
    admin.goto(f"{base_url}/admin/orders/{order_id}")
    admin.get_by_role("link", name="Refund…").click()
    expect(admin.get_by_role("heading", name=re.compile(r"^Refund order"))).to_be_visible()
    if amount is None:
        admin.get_by_label("Everything that is left").check()
    else:
        admin.get_by_label("An amount").check()
        admin.get_by_label("Amount", exact=True).fill(amount)
    admin.get_by_label("Reason").select_option("requested_by_customer")
    admin.get_by_role("button", name="Review the refund").click()
    admin.get_by_label("I have checked the amount").check()
    admin.get_by_role("button", name=re.compile(r"^Refund \$")).click()
    expect(admin.get_by_role("status")).to_contain_text(
        re.compile(f"Refunded|sent to {who} and is pending"))


def shown_once_confirmed(page: Page, url: str, selector: str, text: str) -> None:
    """The provider's webhook confirms the refund a moment later: reload until it did."""
    for _ in range(30):
        page.goto(url)
        if page.locator(selector).count() and page.locator(selector).inner_text() == text:
            return
        page.wait_for_timeout(500)  # polling the webhook's effect
    expect(page.locator(selector)).to_have_text(text)


@pytest.mark.parametrize("provider", ["paystack", "flutterwave"])
def test_staff_refund_partial_then_full(live_shop, gateways, page, admin_page,  # noqa: F811
                                        admin_site, provider):
    base_url, app = live_shop
    staff = Audit(admin_page)
    choose_and_go(page, base_url, provider, gateways[provider].url)
    page.get_by_role("button", name="Pay", exact=True).click()
    expect_paid(page)
    token = order_token(page)
    order = load_order(app, token)
    admin_url = f"{base_url}/admin/orders/{order.id}"
    status_url = f"{base_url}/orders/{token}"

    refund(admin_page, base_url, order.id, "1.00", LABEL[provider])
    staff.check(f"{provider}-refund")
    shown_once_confirmed(admin_page, admin_url, "#money-refunded", "$1.00")
    shown_once_confirmed(page, status_url, "#refunded-amount", "$1.00")
    expect(page.get_by_role("heading", name="Part of your order was refunded")).to_be_visible()

    refund(admin_page, base_url, order.id, None, LABEL[provider])
    shown_once_confirmed(admin_page, admin_url, "#money-refunded", money(order.total))
    shown_once_confirmed(page, status_url, "#refunded-amount", money(order.total))
    expect(page.get_by_role("heading", name="Your order was refunded")).to_be_visible()
    assert load_order(app, token).payment_status == "refunded"
    assert staff.problems == []
