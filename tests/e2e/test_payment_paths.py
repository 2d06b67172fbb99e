"""Paying in a real browser: every path a card can take, and no path that charges twice."""

from datetime import timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select, update

from shop.models import InventoryHold, Order
from shop.models.types import utcnow
from shop.orders.messages import NETWORK, RESERVATION_EXPIRED, THREE_D_SECURE
from shop.services.platform.tx import write_transaction

from ..shopper import CARD_3DS, CARD_DECLINED, CARD_OK
from .flows import (
    PAY,
    add_to_cart,
    charges_for,
    checkout,
    enter_card,
    expect_paid,
    intent_of,
    load_order,
    order_token,
    orders_count,
    pay,
    payment_error,
    shot,
    succeeded_charges,
    wait_until,
)

pytestmark = pytest.mark.e2e


def test_happy_path_with_4242(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "espresso-blend", 2)
    checkout(page, base_url)
    shot(page, "pay-4242")
    pay(page, CARD_OK)
    expect_paid(page)
    expect(page.locator('[data-step="paid"]')).to_have_class("step done")
    shot(page, "paid-4242")
    order = load_order(app, order_token(page))
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert succeeded_charges(app, intent_of(app, order.token)) == 1
    expect(page.locator(".cart-link .badge")).to_have_count(0)  # the cart was emptied


def test_three_d_secure_completed(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "assam-breakfast")
    checkout(page, base_url)
    pay(page, CARD_3DS)
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    shot(page, "3ds-dialog")
    dialog.get_by_role("button", name="Complete authentication").click()
    expect_paid(page)
    assert succeeded_charges(app, intent_of(app, order_token(page))) == 1


def test_three_d_secure_failed_then_paid_with_another_card(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "assam-breakfast")
    checkout(page, base_url)
    pay_url = page.url
    pay(page, CARD_3DS)
    page.get_by_role("dialog").get_by_role("button", name="Fail authentication").click()
    expect(payment_error(page)).to_have_text(THREE_D_SECURE)
    expect(payment_error(page)).to_be_focused()
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    shot(page, "3ds-failed")
    assert page.url == pay_url
    pay(page, CARD_OK)
    expect_paid(page)
    token = order_token(page)
    assert succeeded_charges(app, intent_of(app, token)) == 1
    assert load_order(app, token).payment_status == "paid"


def test_three_d_secure_abandoned_says_so_and_can_be_retried(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "paper-filters-100")
    checkout(page, base_url)
    pay(page, CARD_3DS)
    expect(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Escape")  # the shopper closes the bank's window
    expect(payment_error(page)).to_have_text(THREE_D_SECURE)
    page.get_by_role("button", name=PAY).click()
    page.get_by_role("dialog").get_by_role("button", name="Complete authentication").click()
    expect_paid(page)


def test_declined_then_retried(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "gift-card-box")
    checkout(page, base_url)
    pay(page, CARD_DECLINED)
    expect(payment_error(page)).to_contain_text("there are not enough funds on it")
    shot(page, "declined")
    token = order_token(page)
    # Stripe's signed webhook tells the shop; then the order page offers another card.
    wait_until(page, lambda: load_order(app, token).payment_status == "failed",
               "the payment_failed webhook")
    page.get_by_role("link", name="View order status").click()
    expect(page.get_by_role("heading", name="Payment failed")).to_be_visible()
    expect(page.locator(".cart-link .badge")).to_contain_text("1")
    shot(page, "status-failed")
    page.get_by_role("link", name="Try another card").click()
    expect(payment_error(page)).to_contain_text("there are not enough funds on it")
    expect(page.get_by_role("button", name=PAY)).to_be_enabled()
    pay(page, CARD_OK)
    expect_paid(page)
    charges = charges_for(app, intent_of(app, order_token(page)))
    assert sorted(c["status"] for c in charges) == ["failed", "succeeded"]


def pay_twice_and_count(live_shop, page, slug, press_twice) -> None:
    base_url, app = live_shop
    before = orders_count(app)
    add_to_cart(page, base_url, slug)
    checkout(page, base_url)
    enter_card(page, CARD_OK)
    press_twice(page)
    expect_paid(page)
    token = order_token(page)
    assert orders_count(app) == before + 1
    assert [c["status"] for c in charges_for(app, intent_of(app, token))] == ["succeeded"]


def test_double_click_on_pay_charges_once(live_shop, page):
    pay_twice_and_count(live_shop, page, "colombia-huila",
                        lambda p: p.get_by_role("button", name=PAY).dblclick())


def test_clicks_and_submits_in_one_burst_charge_once(live_shop, page):
    # Two clicks and two submits in the same tick, past the button's disabled state.
    pay_twice_and_count(live_shop, page, "espresso-blend", lambda p: p.evaluate("""() => {
        const button = document.getElementById('pay-button');
        button.click(); button.click();
        button.form.requestSubmit();
        button.form.dispatchEvent(new Event('submit', {cancelable: true})); }"""))


def test_refresh_after_pay_charges_once(live_shop, page):
    base_url, app = live_shop
    before = orders_count(app)
    add_to_cart(page, base_url, "earl-grey-supreme")
    checkout(page, base_url)
    held = []

    def hold_the_answer(route):
        # The charge goes through at the sandbox, but the browser never hears back...
        route.fetch()
        held.append(route)

    page.route("**/v1/payment_intents/*/confirm", hold_the_answer)
    pay(page, CARD_OK)
    expect(page.get_by_role("button", name="Processing…")).to_be_disabled()
    wait_until(page, lambda: held, "the confirmation to reach the sandbox")
    # ...and the shopper presses reload.
    page.unroute("**/v1/payment_intents/*/confirm")
    try:
        page.reload()
    except PlaywrightError as exc:
        # Unloading cancels the pending confirmation; the script may then find the intent
        # paid and navigate to the order itself, aborting the reload. Both end on the order.
        assert "ERR_ABORTED" in str(exc), exc
    expect_paid(page)
    shot(page, "refresh-after-pay")
    token = order_token(page)
    assert orders_count(app) == before + 1
    assert [c["status"] for c in charges_for(app, intent_of(app, token))] == ["succeeded"]
    page.goto(f"{base_url}/orders/{token}/pay")  # going back to the card form is not offered
    expect_paid(page)


def test_network_error_before_stripe_then_retry(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "guatemala-antigua")
    checkout(page, base_url)
    page.route("**/v1/payment_intents/*/confirm", lambda route: route.abort("internetdisconnected"))
    pay(page, CARD_OK)
    expect(payment_error(page)).to_have_text(NETWORK)
    shot(page, "network-error")
    assert charges_for(app, intent_of(app, order_token(page))) == []
    page.unroute("**/v1/payment_intents/*/confirm")
    page.get_by_role("button", name=PAY).click()
    expect_paid(page)
    assert succeeded_charges(app, intent_of(app, order_token(page))) == 1


def test_network_error_after_the_charge_does_not_charge_again(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "double-wall-glass")
    checkout(page, base_url)

    def lose_the_answer(route):
        route.fetch()  # Stripe charged the card...
        route.abort("connectionreset")  # ...and the answer was lost on the way back.

    page.route("**/v1/payment_intents/*/confirm", lose_the_answer)
    pay(page, CARD_OK)
    # The page asks Stripe what happened instead of offering to pay again.
    expect_paid(page)
    assert succeeded_charges(app, intent_of(app, order_token(page))) == 1


def test_expired_hold_sends_the_shopper_back_to_the_cart(live_shop, page):
    base_url, app = live_shop
    add_to_cart(page, base_url, "stoneware-mug", 2)
    checkout(page, base_url)
    token = order_token(page)
    with app.app_context(), write_transaction() as session:
        order_id = session.scalar(select(Order.id).where(Order.token == token))
        session.execute(update(InventoryHold).where(InventoryHold.order_id == order_id)
                        .values(expires_at=utcnow() - timedelta(seconds=1)))
    pay(page, CARD_OK)
    expect(page.get_by_role("heading", name="Your cart")).to_be_visible()
    expect(page.get_by_text(RESERVATION_EXPIRED)).to_be_visible()
    shot(page, "reservation-expired")
    assert charges_for(app, intent_of(app, token)) == []
    assert load_order(app, token).status == "pending"  # left for the expiry job
    page.goto(f"{base_url}/orders/{token}")
    expect(page.get_by_role("heading", name="Your reservation has expired")).to_be_visible()
