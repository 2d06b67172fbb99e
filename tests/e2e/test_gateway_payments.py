"""Paystack and Flutterwave in the real browser: the checkout's radio, the provider's hosted
page (its sandbox, signing its webhooks to the live shop), the way back, and a retry after a
declined card; a payment abandoned there whose hold lapses; staff refunds, part then the
rest, from the admin order page. axe checks the pages this adds (the pay page's link, the
hosted stand-in, the expired order, the refund page)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select

from sandbox.process import SandboxProcess
from shop.extensions import db
from shop.models import InventoryHold, Order, PaymentAttempt, Store, StoreSettings
from shop.security import content_security_policy

from ..gateways import FLW_HASH, FLW_KEY, PAYSTACK_KEY
from .flows import add_to_cart, expect_paid, fill_address, load_order, order_token
from .test_accessibility import Audit

pytestmark = pytest.mark.e2e

LABEL = {"paystack": "Paystack", "flutterwave": "Flutterwave"}


@pytest.fixture(scope="module")
def gateways(live_shop, tmp_path_factory) -> Iterator[dict[str, SandboxProcess]]:
    """Both sandboxes delivering to the live shop, and its store offering them (this module
    only: the other browser tests keep the Payment Element alone)."""
    base_url, app = live_shop
    tmp = tmp_path_factory.mktemp("e2e-gateways")

    def start(name: str, args: list[str]) -> SandboxProcess:
        return SandboxProcess([*args, "--webhook-url", f"{base_url}/webhooks/{name}",
                               "--webhook-delay", "0.2", "--quiet"], tmp / f"{name}.log",
                              module=f"sandbox.{name}", ready_prefix=f"{name}-sandbox ready on ")

    processes = {"paystack": start("paystack", ["--secret", PAYSTACK_KEY]),
                 "flutterwave": start("flutterwave", ["--secret", FLW_KEY,
                                                      "--secret-hash", FLW_HASH])}
    saved = {key: app.config[key] for key in ("PAYSTACK_SECRET_KEY", "PAYSTACK_API_BASE",
                                              "FLUTTERWAVE_SECRET_KEY",
                                              "FLUTTERWAVE_SECRET_HASH", "FLUTTERWAVE_API_BASE")}
    app.config.update({
        "PAYSTACK_SECRET_KEY": PAYSTACK_KEY, "PAYSTACK_API_BASE": processes["paystack"].url,
        "FLUTTERWAVE_SECRET_KEY": FLW_KEY, "FLUTTERWAVE_SECRET_HASH": FLW_HASH,
        "FLUTTERWAVE_API_BASE": processes["flutterwave"].url})
    # The checkout's answer redirects to the sandboxes' pages: the policy must allow them.
    talisman = app.extensions["talisman"]
    saved_policy = talisman.content_security_policy
    talisman.content_security_policy = content_security_policy(app.config)
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "main"))
        row = db.session.get(StoreSettings, store_id) or StoreSettings(store_id=store_id)
        previous = row.payment_methods
        row.payment_methods = ["stripe", "paystack", "flutterwave"]
        db.session.add(row)
        db.session.commit()
        db.session.remove()
    yield processes
    with app.app_context():
        row = db.session.get(StoreSettings, store_id)
        if previous is None and row is not None:
            db.session.execute(delete(StoreSettings).where(StoreSettings.store_id == store_id))
        elif row is not None:
            row.payment_methods = previous
        db.session.commit()
        db.session.remove()
    app.config.update(saved)
    talisman.content_security_policy = saved_policy
    for process in processes.values():
        process.stop()


def choose_and_go(page: Page, base_url: str, provider: str, sandbox_url: str) -> None:
    add_to_cart(page, base_url, "assam-breakfast")
    page.goto(f"{base_url}/checkout")
    fill_address(page)
    page.get_by_label(LABEL[provider], exact=True).check()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(re.compile("^" + re.escape(sandbox_url)))
    expect(page.get_by_role("heading", name=f"{LABEL[provider]} sandbox checkout")).to_be_visible()


@pytest.mark.parametrize("provider", ["paystack", "flutterwave"])
def test_pay_on_the_hosted_page(live_shop, gateways, page, provider):
    base_url, app = live_shop
    audit = Audit(page)
    choose_and_go(page, base_url, provider, gateways[provider].url)
    audit.check(f"{provider}-hosted-page")
    page.get_by_role("button", name="Pay", exact=True).click()
    expect_paid(page)
    order = load_order(app, order_token(page))
    assert (order.payment_method, order.payment_status) == (provider, "paid")
    assert audit.problems == []


@pytest.mark.parametrize("provider", ["paystack", "flutterwave"])
def test_declined_then_paid_on_a_new_attempt(live_shop, gateways, page, provider):
    base_url, app = live_shop
    audit = Audit(page)
    choose_and_go(page, base_url, provider, gateways[provider].url)
    page.get_by_role("button", name="Decline the card").click()
    expect(page.get_by_role("heading", name="Payment failed")).to_be_visible()
    token = order_token(page)
    page.get_by_role("link", name="Try another card").click()
    expect(page.get_by_role("heading", name=f"Pay with {LABEL[provider]}")).to_be_visible()
    audit.check(f"{provider}-pay-page")
    page.get_by_role("link", name=f"Continue to {LABEL[provider]}").click()
    page.get_by_role("button", name="Pay", exact=True).click()
    expect_paid(page)
    with app.app_context():
        order = load_order(app, token)
        statuses = list(db.session.scalars(select(PaymentAttempt.status).where(
            PaymentAttempt.order_id == order.id).order_by(PaymentAttempt.id)))
        db.session.remove()
    assert statuses == ["failed", "captured"]
    assert audit.problems == []


def lapse_and_expire(app, token: str) -> int:
    """The shopper's hold runs out: moved into the past, then the two steps of the expiry
    job (the minute job hands a hosted-page order on; the provider is asked, then it closes)."""
    from datetime import timedelta

    from sqlalchemy import update

    from shop.models.types import utcnow
    from shop.services.inventory.expiry import close_lapsed_orders, expire_lapsed_orders
    from shop.services.platform.tx import write_transaction

    with app.app_context():
        with write_transaction() as session:
            order_id = session.scalar(select(Order.id).where(Order.token == token))
            session.execute(update(InventoryHold).where(InventoryHold.order_id == order_id)
                            .values(expires_at=utcnow() - timedelta(minutes=1)))
        expire_lapsed_orders()
        assert close_lapsed_orders(order_ids=[order_id]).closed == [order_id]
        db.session.remove()
    return order_id


@pytest.mark.parametrize("provider", ["paystack", "flutterwave"])
def test_abandoned_on_the_hosted_page_then_the_hold_lapses(live_shop, gateways, page,
                                                           provider):
    base_url, app = live_shop
    audit = Audit(page)
    choose_and_go(page, base_url, provider, gateways[provider].url)
    page.get_by_role("button", name="Cancel payment").click()
    page.wait_for_url(re.compile("^" + re.escape(base_url)))
    with app.app_context():  # wherever it lands, the order is the newest of its method
        token = db.session.scalar(select(Order.token).where(
            Order.payment_method == provider).order_by(Order.id.desc()))
        db.session.remove()
    order_id = lapse_and_expire(app, token)
    page.goto(f"{base_url}/orders/{token}")
    expect(page.get_by_role("heading", name="This order expired before it was paid")) \
        .to_be_visible()
    audit.check(f"{provider}-expired")
    order = load_order(app, token)
    with app.app_context():
        holds = set(db.session.scalars(select(InventoryHold.status).where(
            InventoryHold.order_id == order_id)))
        attempts = list(db.session.scalars(select(PaymentAttempt.status).where(
            PaymentAttempt.order_id == order_id)))
        db.session.remove()
    assert order.status == "expired"
    assert holds == {"released"}  # the stock counts as available again
    assert attempts == ["canceled"]
    assert audit.problems == []


# Staff refunds, part then the rest, from the admin order page.


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


@pytest.fixture
def admin_page(chromium, live_shop):
    """An owner of the demo store, signed in in a browser of their own (the admin tests'
    fixtures live under admin/; the sandboxes here must not be started twice: a restarted
    sandbox numbers its transactions from 1 again)."""
    import secrets

    from shop.models import Role

    from ..factories import PASSWORD, make_user

    base_url, app = live_shop
    email = f"refunder.{secrets.token_hex(3)}@example.com"
    with app.app_context():
        make_user(email, store=db.session.scalar(select(Store).where(Store.slug == "main")),
                  role=Role.OWNER)
        db.session.remove()
    context = chromium.new_context()
    page = context.new_page()
    page.goto(base_url + "/admin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + "/admin/")
    yield page
    context.close()


@pytest.mark.parametrize("provider", ["paystack", "flutterwave"])
def test_staff_refund_partial_then_full(live_shop, gateways, page, admin_page, provider):
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
