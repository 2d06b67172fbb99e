"""Cash on delivery and bank transfer in the real browser: the shopper chooses the method at
checkout and reads what to do on the order page; staff record the cash or the transfer on
the confirmation pages. axe checks each new page."""

from __future__ import annotations

import re
import secrets
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from shop.extensions import db
from shop.models import Store, StoreSettings
from shop.models.types import utcnow

from ...factories import make_product
from ..flows import add_to_cart, fill_address, load_order, order_token
from ..test_accessibility import Audit

pytestmark = pytest.mark.e2e

BANK = "Bean & Leaf Ltd\nIBAN GB33 BUKB 2020 1555 5555 55"


@pytest.fixture
def offline_shop(admin_site):
    """The demo store offering cash on delivery (with a fee) and bank transfer for this
    test; as it was afterwards, for the other browser tests."""
    app = admin_site.app
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "main"))
        row = db.session.get(StoreSettings, store_id)
        created = row is None
        if created:
            row = StoreSettings(store_id=store_id)
            db.session.add(row)
        before = (row.payment_methods, row.cod_fee, row.bank_account)
        row.payment_methods = ["stripe", "cod", "bank_transfer"]
        row.cod_fee, row.bank_account = 200, BANK
        product = make_product(db.session.get(Store, store_id),
                               name=f"Offline Blend {secrets.token_hex(3)}",
                               price=1500, stock=20)
        db.session.commit()
        shop = SimpleNamespace(app=app, base_url=admin_site.base_url, slug=product.slug)
        db.session.remove()
    yield shop
    with app.app_context():
        row = db.session.get(StoreSettings, store_id)
        if created:
            db.session.delete(row)
        else:
            row.payment_methods, row.cod_fee, row.bank_account = before
        db.session.commit()
        db.session.remove()


def place(page, shop, method_label: str) -> str:
    add_to_cart(page, shop.base_url, shop.slug)
    page.goto(f"{shop.base_url}/checkout")
    fill_address(page)
    page.get_by_label(re.compile(method_label)).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+$"))
    return order_token(page)


def test_cash_on_delivery_chosen_at_checkout_then_collected(page, admin_page, offline_shop):
    shop, audit, staff = offline_shop, Audit(page), Audit(admin_page)
    token = place(page, shop, r"Cash on delivery \(\+\$2\.00 fee\)")
    expect(page.get_by_role("heading", name="Order confirmed: you pay on delivery")) \
        .to_be_visible()
    expect(page.locator("#payment-method")).to_have_text("Cash on delivery")
    expect(page.locator("#payment-fee")).to_have_text("$2.00")
    audit.check("cod-status")
    order = load_order(shop.app, token)
    admin_page.goto(f"{shop.base_url}/admin/orders/{order.id}")
    expect(admin_page.locator("#payment-method")).to_contain_text("Cash on delivery")
    admin_page.get_by_role("link", name="Cash collected…").click()
    staff.check("cod-collected")
    admin_page.get_by_label(re.compile("I have the cash")).check()
    admin_page.get_by_role("button", name="Record cash collected").click()
    expect(admin_page.locator(".flash-success")).to_contain_text("Cash recorded")
    page.reload()
    expect(page.get_by_role("heading", name="Thank you, your order is paid")).to_be_visible()
    admin_page.goto(f"{shop.base_url}/admin/orders/{order.id}/cod-refused")
    staff.check("cod-refused")
    assert audit.problems + staff.problems == []


def test_bank_transfer_instructions_then_a_partial_and_the_rest(page, admin_page,
                                                                 offline_shop):
    shop, audit, staff = offline_shop, Audit(page), Audit(admin_page)
    token = place(page, shop, "Bank transfer")
    expect(page.get_by_role("heading", name="Awaiting your bank transfer")).to_be_visible()
    expect(page.locator("#transfer-reference")).to_have_text(re.compile(r"RF\d\d SO\d"))
    expect(page.locator("#transfer-account")).to_contain_text("IBAN GB33")
    audit.check("transfer-instructions")
    order = load_order(shop.app, token)
    url = f"{shop.base_url}/admin/orders/{order.id}/transfer-received"
    admin_page.goto(f"{shop.base_url}/admin/orders/{order.id}")
    admin_page.get_by_role("link", name="Transfer received…").click()
    staff.check("transfer-received")
    admin_page.get_by_label("Amount received").fill("5.00")
    admin_page.get_by_label("Date received").fill(utcnow().date().isoformat())
    admin_page.get_by_label("Reference on the transfer").fill("BANK 123")
    admin_page.get_by_label(re.compile("I have checked the transfer")).check()
    admin_page.get_by_role("button", name="Record the transfer").click()
    expect(admin_page.locator(".flash-success")).to_contain_text("still owed")
    page.reload()
    expect(page.locator("#transfer-received")).to_have_text("$5.00")
    rest = f"{(order.total - 500) / 100:.2f}"
    admin_page.goto(url)
    admin_page.get_by_label("Amount received").fill(rest)
    admin_page.get_by_label("Date received").fill(utcnow().date().isoformat())
    admin_page.get_by_label(re.compile("I have checked the transfer")).check()
    admin_page.get_by_role("button", name="Record the transfer").click()
    expect(admin_page.locator(".flash-success")).to_contain_text("the order is paid")
    page.reload()
    expect(page.get_by_role("heading", name="Thank you, your order is paid")).to_be_visible()
    assert audit.problems + staff.problems == []


def record_transfer(admin_page, amount: str) -> None:
    admin_page.get_by_label("Amount received").fill(amount)
    admin_page.get_by_label("Date received").fill(utcnow().date().isoformat())
    admin_page.get_by_label(re.compile("I have checked the transfer")).check()
    admin_page.get_by_role("button", name="Record the transfer").click()


def test_a_part_paid_transfer_canceled_by_the_job_then_the_rest_arrives(page, admin_page,
                                                                        offline_shop):
    """The job cancels a part-paid transfer whose hold ran out; the rest recorded later is
    kept in the books but flagged for a refund, and the order stays canceled."""
    from shop.services.payments.transfer_owed import cancel_part_paid_transfer

    shop, audit, staff = offline_shop, Audit(page), Audit(admin_page)
    token = place(page, shop, "Bank transfer")
    order = load_order(shop.app, token)
    detail = f"{shop.base_url}/admin/orders/{order.id}"
    admin_page.goto(f"{detail}/transfer-received")
    record_transfer(admin_page, "5.00")
    expect(admin_page.locator(".flash-success")).to_contain_text("still owed")
    with shop.app.app_context():  # the unpaid-order job's step for this one order
        assert cancel_part_paid_transfer(order_id=order.id, actor="system:auto-cancel") \
            == "closed"
        db.session.remove()
    page.reload()
    expect(page.get_by_role("heading", name="This order was canceled")).to_be_visible()
    expect(page.get_by_text(re.compile(r"We received \$5\.00 by bank transfer"))) \
        .to_be_visible()
    audit.check("transfer-canceled-part-paid")
    admin_page.goto(detail)
    expect(admin_page.locator(".alert-warn")).to_contain_text("Canceled with $5.00")
    admin_page.get_by_role("link", name="Transfer received…").click()
    expect(admin_page.locator("#transfer-called-off")).to_contain_text("This order is canceled.")
    staff.check("transfer-received-canceled")
    record_transfer(admin_page, f"{(order.total - 500) / 100:.2f}")
    expect(admin_page.locator(".flash-success")).to_have_text(
        "This order was canceled: the transfer is recorded and flagged for a refund.")
    expect(admin_page.locator(".alert-warn")).to_contain_text("received after the order was "
                                                              "canceled")
    staff.check("order-transfer-refund-owed")
    assert audit.problems + staff.problems == []


def test_checkout_summary_adds_the_cod_fee_while_cod_is_chosen(page, offline_shop):
    shop, audit = offline_shop, Audit(page)
    add_to_cart(page, shop.base_url, shop.slug)
    page.goto(f"{shop.base_url}/checkout")
    fill_address(page)
    fee_row, total = page.locator("#summary-cod-fee-row"), page.locator("#summary-total")
    expect(fee_row).to_be_hidden()
    without = total.inner_text()
    page.get_by_label(re.compile(r"Cash on delivery \(\+\$2\.00 fee\)")).check()
    expect(fee_row).to_be_visible()
    expect(page.locator("#summary-cod-fee")).to_have_text("$2.00")
    expect(total).not_to_have_text(without)
    audit.check("checkout-cod-fee")
    with_fee = total.inner_text()
    page.get_by_label("Bank transfer").check()
    expect(fee_row).to_be_hidden()
    expect(total).to_have_text(without)
    page.get_by_label(re.compile("Cash on delivery")).check()
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(re.compile(r"/orders/[^/?]+$"))
    order = load_order(shop.app, order_token(page))
    assert with_fee == f"${order.total / 100:,.2f}"  # the summary said what is owed
    assert audit.problems == []
