"""The payment page: a lapsed reservation goes back to the cart, a refresh after Pay never
offers a second charge, and errors come from the one message table."""

import html
import json
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update

from shop.extensions import db
from shop.models import InventoryHold, Order, PaymentAttempt
from shop.models.types import utcnow
from shop.orders.messages import RESERVATION_EXPIRED, THREE_D_SECURE, client_messages

from ..shopper import CARD_3DS, CARD_DECLINED, CARD_OK, CARD_PROCESSING, intent_id_from_secret


@pytest.fixture
def order_token(shopper, product):
    shopper.add(product, 2)
    return shopper.checkout()


def expire_holds() -> None:
    db.session.execute(update(InventoryHold).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_lapsed_reservation_sends_the_shopper_back_to_the_cart(shopper, order_token):
    expire_holds()
    response = shopper.client.get(f"/orders/{order_token}/pay")
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    cart = shopper.client.get("/cart").get_data(as_text=True)
    assert html.escape(RESERVATION_EXPIRED, quote=False) in cart
    assert "Kenya Nyeri" in cart  # the cart is still there to check out again
    status = shopper.status(order_token)
    assert (status["lapsed"], status["can_pay"]) == (True, False)
    page = shopper.client.get(f"/orders/{order_token}").get_data(as_text=True)
    assert "Your reservation has expired" in page and "Back to your cart" in page
    db.session.rollback()
    # Read-only: the order's own state is left for the expiry job.
    assert db.session.scalar(select(Order.status)) == "pending"
    assert db.session.scalar(select(InventoryHold.status)) == "active"


def test_live_reservation_is_not_lapsed(shopper, order_token):
    assert shopper.client.get(f"/orders/{order_token}/pay").status_code == 200
    assert shopper.status(order_token)["lapsed"] is False


def test_refresh_after_pay_shows_the_order_not_a_new_card_form(shopper, browser, order_token):
    secret = shopper.client_secret(order_token)
    assert browser.confirm(secret, CARD_OK).status == "succeeded"
    # Neither the redirect back nor the webhook has arrived: the shopper presses reload.
    response = shopper.client.get(f"/orders/{order_token}/pay")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order_token}"
    db.session.rollback()
    assert db.session.scalar(select(Order.payment_status)) == "paid"
    assert db.session.scalar(select(func.count(PaymentAttempt.id))) == 1
    assert db.session.scalar(select(PaymentAttempt.provider_reference)) == \
        intent_id_from_secret(secret)


def test_a_retry_reuses_the_same_payment_intent(shopper, browser, order_token):
    first = shopper.client_secret(order_token)
    with pytest.raises(Exception, match="insufficient funds|declined"):
        browser.confirm(first, CARD_DECLINED)
    shopper.return_from_stripe(order_token, intent_id_from_secret(first))
    page = shopper.client.get(f"/orders/{order_token}/pay").get_data(as_text=True)
    assert "there are not enough funds on it" in page  # shown in the page's one error place
    again = shopper.client_secret(order_token)
    assert intent_id_from_secret(again) == intent_id_from_secret(first)


def test_the_page_carries_the_message_table(shopper, order_token):
    page = shopper.client.get(f"/orders/{order_token}/pay").get_data(as_text=True)
    raw = re.search(r"data-messages='([^']+)'", page).group(1)
    assert json.loads(html.unescape(raw)) == client_messages()


def test_the_payment_page_is_never_cached(shopper, order_token):
    response = shopper.client.get(f"/orders/{order_token}/pay")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_a_paid_orders_payment_page_sends_the_shopper_to_the_order(shopper, browser,
                                                                   order_token):
    secret = shopper.client_secret(order_token)
    browser.confirm(secret, CARD_OK)
    shopper.return_from_stripe(order_token, intent_id_from_secret(secret))
    assert shopper.status(order_token)["payment_status"] == "paid"
    response = shopper.client.get(f"/orders/{order_token}/pay")  # Back after paying
    assert response.status_code == 303
    assert response.headers["Location"] == f"/orders/{order_token}"
    assert response.headers["Cache-Control"] == "no-store"


def start_three_d_secure(shopper, browser, token: str) -> str:
    """Confirm with a 3-D Secure card and let the shop hear of it; returns the secret."""
    secret = shopper.client_secret(token)
    assert browser.confirm(secret, CARD_3DS).status == "requires_action"
    shopper.return_from_stripe(token, intent_id_from_secret(secret))  # as the webhook would
    assert shopper.status(token)["payment_status"] == "processing"
    return secret


def test_interrupted_three_d_secure_offers_to_continue_verification(shopper, browser,
                                                                     order_token):
    secret = start_three_d_secure(shopper, browser, order_token)
    response = shopper.client.get(f"/orders/{order_token}/pay")  # the shopper reloaded
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Continue verification" in page and 'data-step="verify"' in page
    assert f'data-client-secret="{secret}"' in page
    assert 'id="payment-element"' not in page  # no card form: the intent has a card


def test_verification_failed_elsewhere_shows_the_card_form_with_the_error(shopper, browser,
                                                                          order_token):
    secret = start_three_d_secure(shopper, browser, order_token)
    browser.authenticate(secret, success=False)  # no webhook, no return: only Stripe knows
    page = shopper.client.get(f"/orders/{order_token}/pay").get_data(as_text=True)
    assert 'id="payment-element"' in page
    assert str(escape(THREE_D_SECURE)) in page
    assert shopper.status(order_token)["payment_status"] == "failed"


def test_verification_finished_elsewhere_shows_the_paid_order(shopper, browser, order_token):
    secret = start_three_d_secure(shopper, browser, order_token)
    browser.authenticate(secret, success=True)
    response = shopper.client.get(f"/orders/{order_token}/pay")
    assert response.headers["Location"] == f"/orders/{order_token}"
    assert shopper.status(order_token)["payment_status"] == "paid"


def test_verification_abandoned_past_the_reservation_goes_back_to_the_cart(shopper, browser,
                                                                           order_token):
    start_three_d_secure(shopper, browser, order_token)
    expire_holds()  # twenty minutes later
    response = shopper.client.get(f"/orders/{order_token}/pay")
    assert response.status_code == 303 and response.headers["Location"] == "/cart"
    cart = shopper.client.get("/cart").get_data(as_text=True)
    assert html.escape(RESERVATION_EXPIRED, quote=False) in cart and "Kenya Nyeri" in cart


def test_a_processing_payment_says_so_and_offers_help(shopper, browser, order_token):
    secret = shopper.client_secret(order_token)
    assert browser.confirm(secret, CARD_PROCESSING).status == "processing"
    page = shopper.client.get(f"/orders/{order_token}/pay").get_data(as_text=True)
    assert "Your bank is confirming the payment" in page and 'data-pending="true"' in page
    assert "shop@example.com" in page and f'href="/orders/{order_token}"' in page
    assert 'id="payment-element"' not in page
    status = shopper.client.get(f"/orders/{order_token}").get_data(as_text=True)
    assert "Confirming your payment" in status
    assert f'href="/orders/{order_token}/pay">Check on your payment' in status
