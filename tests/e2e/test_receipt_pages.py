"""The receipt and payment-history pages at 375 and 1280 px: axe finds nothing serious,
nothing scrolls sideways, and the receipt link downloads a PDF that reads as the receipt."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from ..shopper import CARD_OK
from .flows import add_to_cart, checkout, expect_paid, pay, sign_in_after_sign_up
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("screen", ["phone", "page"])
def test_receipt_and_payment_history_pages(live_shop, screen, request):
    base_url, app = live_shop
    page = request.getfixturevalue(screen)
    audit = Audit(page)
    email = f"katherine-{screen}@example.com"
    page.goto(base_url + "/account/register")
    page.get_by_label("Your name").fill("Katherine Johnson")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("orbital math 1962")
    page.get_by_label("Repeat the password").fill("orbital math 1962")
    page.get_by_role("button", name="Create account").click()
    sign_in_after_sign_up(page, app, email, "orbital math 1962")
    add_to_cart(page, base_url, "assam-breakfast")
    checkout(page, base_url, email=None)
    pay(page, CARD_OK)
    expect_paid(page)
    receipt = page.get_by_role("link", name=re.compile(r"^Receipt R-\d{6}"))
    expect(receipt).to_be_visible()
    audit.check("order-status-receipt")
    answer = page.request.get(base_url + receipt.get_attribute("href"))
    assert answer.headers["content-type"] == "application/pdf"
    text = PdfReader(io.BytesIO(answer.body())).pages[0].extract_text()
    assert "Assam Breakfast" in text and "Paid with Visa ending in 4242" in text

    page.get_by_role("button", name="E-mail me the receipt again").click()
    expect(page.get_by_text("We are e-mailing your receipt")).to_be_visible()

    page.goto(base_url + "/account/orders")
    page.get_by_role("link", name="Payments").click()
    expect(page.get_by_role("heading", name="Your payments")).to_be_visible()
    expect(page.get_by_text("1 payment and refund found.")).to_be_visible()
    audit.check("account-payments")
    page.get_by_label("From").fill("2026-05-02")
    page.get_by_label("To").fill("2026-05-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("The end date must be on or after the start date.")).to_be_visible()
    audit.check("account-payments-bad-filter")
    page.get_by_role("link", name="Orders").click()
    page.get_by_role("link", name=re.compile(r"^Order \d+")).first.click()
    expect(page.get_by_role("link", name=re.compile(r"^Receipt R-\d{6}"))).to_be_visible()
    audit.check("account-order-receipt")
    assert audit.problems == [], "\n".join(audit.problems)
