"""Paying interrupted in a real browser: a reload, a closed tab or an abandoned 3-D Secure
always ends on a way forward, never on a page that waits for ever; Back after paying never
shows the card form again."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from shop.models import InventoryHold, Order
from shop.models.types import utcnow
from shop.orders.messages import RESERVATION_EXPIRED, THREE_D_SECURE
from shop.services.platform.tx import write_transaction

from ..shopper import CARD_OK
from .flows import (
    CONTINUE,
    PAY,
    add_to_cart,
    checkout,
    expect_paid,
    intent_of,
    order_token,
    pay,
    payment_error,
    shot,
    start_three_d_secure,
    succeeded_charges,
)

pytestmark = pytest.mark.e2e

def test_reload_in_the_middle_of_three_d_secure(live_shop, page):
    _base_url, app = live_shop
    token = start_three_d_secure(live_shop, page, "assam-breakfast")
    page.reload()
    expect(page.get_by_role("heading", name="Your bank is waiting for you")).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    shot(page, "3ds-interrupted")
    page.get_by_role("button", name=CONTINUE).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()  # the bank's check again, on the same payment
    dialog.get_by_role("button", name="Complete authentication").click()
    expect_paid(page)
    assert succeeded_charges(app, intent_of(app, token)) == 1


def test_tab_closed_in_the_middle_of_three_d_secure(live_shop, page):
    base_url, app = live_shop
    tab = page.context.new_page()
    tab.set_default_timeout(15_000)
    token = start_three_d_secure(live_shop, tab, "earl-grey-supreme")
    tab.close()
    # The shopper comes back from the order e-mail: the status page waits a little, then
    # offers a way forward instead of "Confirming…" for ever.
    page.clock.install()
    page.goto(f"{base_url}/orders/{token}")
    expect(page.get_by_role("heading", name="Confirming your payment…")).to_be_visible()
    check = page.get_by_role("link", name="Check on your payment")
    expect(check).to_be_hidden()
    page.clock.fast_forward(31_000)
    expect(check).to_be_visible()
    expect(page.get_by_text("Questions? Write to us at")).to_be_visible()
    shot(page, "status-way-forward")
    check.click()
    page.get_by_role("button", name=CONTINUE).click()
    page.get_by_role("dialog").get_by_role("button", name="Fail authentication").click()
    # The bank said no: the card form again, with why, on the same payment.
    expect(payment_error(page)).to_have_text(THREE_D_SECURE)
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    pay(page, CARD_OK)
    expect_paid(page)
    assert succeeded_charges(app, intent_of(app, token)) == 1


def test_three_d_secure_abandoned_for_twenty_minutes(live_shop, page):
    base_url, app = live_shop
    token = start_three_d_secure(live_shop, page, "stoneware-mug")
    page.goto(base_url + "/")  # the shopper wanders off...
    with app.app_context(), write_transaction() as session:  # ...for twenty minutes
        order_id = session.scalar(select(Order.id).where(Order.token == token))
        session.execute(update(InventoryHold).where(InventoryHold.order_id == order_id)
                        .values(expires_at=utcnow() - timedelta(minutes=5)))
    page.goto(f"{base_url}/orders/{token}/pay")
    # The stock may be gone: told so, and the cart is still there to check out again.
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text(RESERVATION_EXPIRED)).to_be_visible()
    shot(page, "3ds-abandoned")
    checkout(page, base_url)
    pay(page, CARD_OK)
    expect_paid(page)
    assert order_token(page) != token
    assert succeeded_charges(app, intent_of(app, token)) == 0


def test_back_after_paying_shows_the_order_not_the_card_form(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "colombia-huila")
    checkout(page, base_url)
    pay(page, CARD_OK)
    expect_paid(page)
    page.go_back()
    expect_paid(page)
    expect(page.get_by_label("Card number")).to_have_count(0)
    assert succeeded_charges(app, intent_of(app, order_token(page))) == 1
