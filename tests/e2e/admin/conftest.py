"""The live shop with staff in it: an owner of the demo store who is also staff of a second
store (so the store switcher shows), orders to find, and a signed-in browser."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import Role, StaffAlert, Store
from shop.services.accounts.users import grant_role, set_platform_admin

from ...admin.helpers import make_order, paid_order
from ...factories import PASSWORD, make_product, make_store, make_user
from ..conftest import ARTIFACTS

OWNER = "owner@bean-and-leaf.example"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def admin_site(live_shop):
    base_url, app = live_shop
    with app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == "main"))
        owner = make_user(OWNER, store=store, role=Role.OWNER)
        grant_role(user_id=owner.id, store_id=make_store("second").id, role=Role.STAFF)
        # A platform admin too: the failed-webhooks page then lists the event of no store.
        set_platform_admin(email=OWNER, granted=True, actor="test")
        # Its own product: the shop's demo stock belongs to the checkout tests.
        product = make_product(store, name="Admin Test Blend", price=1650, stock=20)
        order = paid_order(store, product=product, email="find.me@example.com",
                           name="Grace Hopper")
        make_order(store, product=product, email="someone.else@example.com")
        # An open threshold alert for /admin/alerts and its resolve page.
        alert = StaffAlert(store_id=store.id, kind="payment_success_low",
                           message="Only 75.0 % of payments succeeded in the last hour.",
                           figures={"rate": 75.0, "sample": 20, "threshold": 90})
        db.session.add(alert)
        db.session.commit()
        site = SimpleNamespace(base_url=base_url, app=app, order_id=order.id,
                               order_number=order.number, product_id=product.id,
                               alert_id=alert.id)
        db.session.remove()
    return site


def sign_in(page, base_url: str, target: str = "/admin/") -> None:
    page.goto(base_url + target)
    page.get_by_label("Email").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base_url + target)


@pytest.fixture(scope="session")
def owner_state(chromium, admin_site):
    """The signed-in owner's cookies, shared by every admin browser test."""
    context = chromium.new_context()
    page = context.new_page()
    sign_in(page, admin_site.base_url)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def admin_page(chromium, owner_state, request):
    viewport = getattr(request, "param", DESKTOP)
    context = chromium.new_context(viewport=viewport, storage_state=owner_state)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def live_stripe(app):
    """Stripe as the browser's Stripe.js sees it: the live shop's own sandbox."""
    import stripe

    return stripe.StripeClient("sk_test_sandbox",
                               base_addresses={"api": app.config["STRIPE_API_BASE"]})


def webhooks_done(app, timeout: float = 30.0) -> None:
    """Wait until the sandbox has delivered (or given up on) every event: the live shop's
    webhook writes are over, so this thread can write to the SQLite file without meeting a
    writer half-way through a transaction."""
    import time

    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deliveries = requests.get(f"{app.config['STRIPE_API_BASE']}/_config/deliveries",
                                  timeout=10).json()["data"]
        if all(d["delivered"] is not None for d in deliveries):
            db.session.rollback()
            return
        time.sleep(0.1)  # polling a condition
    raise AssertionError("the sandbox is still delivering webhooks")


@pytest.fixture(scope="session")
def money_site(admin_site):
    """Payments made for real in the live shop's sandbox: one captured (refundable), one
    only authorized (to capture or void), and a failed event that matches no store."""
    from shop.models import StripeEvent

    from ...payments import make_order as unpaid_order
    from ...payments import pay

    app = admin_site.app
    with app.app_context():
        store = db.session.scalar(select(Store).where(Store.slug == "main"))
        product = make_product(store, name="Money Test Blend", price=2450, stock=50)
        stripe_client = live_stripe(app)
        captured = pay(stripe_client, unpaid_order(store, product, quantity=2,
                                                   capture_method="automatic",
                                                   email="refund.me@example.com"))
        webhooks_done(app)
        authorized = pay(stripe_client, unpaid_order(store, product, capture_method="manual",
                                                     email="capture.me@example.com"))
        webhooks_done(app)
        assert (captured.status, authorized.status) == ("captured", "authorized")
        db.session.add(StripeEvent(
            id="evt_a11y_failed", type="charge.dispute.created", outcome="failed", tries=3,
            error="GatewayError: Stripe could not be reached", payload="{}"))
        db.session.commit()
        site = SimpleNamespace(attempt_id=captured.id, order_id=captured.order_id,
                               authorized_attempt_id=authorized.id,
                               authorized_order_id=authorized.order_id, product_id=product.id)
        db.session.remove()
    return site
