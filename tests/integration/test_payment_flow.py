import pytest
import stripe
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    AuditEvent,
    CartItem,
    InventoryHold,
    Order,
    PaymentAttempt,
    Product,
    SentEmail,
    StripeEvent,
)

from ..factories import set_stock
from ..shopper import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    intent_id_from_secret,
    post_event,
    sandbox_events,
)


@pytest.fixture
def order_token(shopper, product):
    shopper.add(product, 2)
    return shopper.checkout()


def order(token):
    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    return db.session.scalar(select(Order).where(Order.token == token))


def test_paid_on_return_from_stripe(shopper, browser, order_token, product):
    secret = shopper.client_secret(order_token)
    assert browser.confirm(secret, CARD_OK).status == "succeeded"
    response = shopper.return_from_stripe(order_token, intent_id_from_secret(secret))
    assert response.status_code == 303
    paid = order(order_token)
    assert (paid.status, paid.payment_status) == ("paid", "paid")
    assert db.session.get(Product, product.id).stock_on_hand == 8
    assert db.session.scalars(select(InventoryHold.status)).all() == ["converted"]
    assert db.session.scalar(select(func.count(CartItem.id))) == 0
    assert db.session.scalar(select(SentEmail.kind)) == "receipt"
    page = shopper.client.get(f"/orders/{order_token}").get_data(as_text=True)
    assert "your order is paid" in page


def test_paid_by_the_webhook_alone(shopper, browser, client, stripe_client, order_token,
                                   product):
    secret = shopper.client_secret(order_token)
    intent_id = intent_id_from_secret(secret)
    browser.confirm(secret, CARD_OK)
    assert order(order_token).payment_status == "unpaid"  # nobody told us yet
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    response = post_event(client, event)
    assert response.status_code == 200 and response.get_json()["outcome"] == "processed"
    assert order(order_token).payment_status == "paid"
    assert db.session.get(Product, product.id).stock_on_hand == 8
    actors = db.session.scalars(select(AuditEvent.actor).where(
        AuditEvent.entity_type == "payment_attempt", AuditEvent.to_state == "captured")).all()
    assert actors == [f"webhook:{event['id']}"]


def test_declined_then_retried_with_another_card(shopper, browser, client, stripe_client,
                                                 order_token, product):
    secret = shopper.client_secret(order_token)
    intent_id = intent_id_from_secret(secret)
    with pytest.raises(stripe.CardError) as declined:
        browser.confirm(secret, CARD_DECLINED)
    assert declined.value.code == "card_declined"
    [failed] = sandbox_events(stripe_client, intent_id, "payment_intent.payment_failed")
    assert post_event(client, failed).status_code == 200
    current = order(order_token)
    assert (current.status, current.payment_status) == ("pending", "failed")
    attempt = db.session.scalar(select(PaymentAttempt))
    assert (attempt.status, attempt.attempt_count) == ("initiated", 1)
    assert attempt.last_error_code == "insufficient_funds"
    assert db.session.scalar(select(func.count(CartItem.id))) == 1  # cart kept
    assert db.session.get(Product, product.id).stock_on_hand == 10
    page = client.get(f"/orders/{order_token}").get_data(as_text=True)
    assert "there are not enough funds on it" in page and "Try another card" in page

    retry_secret = shopper.client_secret(order_token)
    assert retry_secret == secret  # the same PaymentIntent takes the new card
    browser.confirm(secret, CARD_OK)
    shopper.return_from_stripe(order_token, intent_id)
    assert order(order_token).payment_status == "paid"
    assert db.session.get(Product, product.id).stock_on_hand == 8
    # The failure was counted once though both the webhook and the return saw it.
    assert db.session.scalar(select(PaymentAttempt.attempt_count)) == 1


def test_three_d_secure_failed_then_completed(shopper, browser, order_token):
    secret = shopper.client_secret(order_token)
    intent_id = intent_id_from_secret(secret)
    assert browser.confirm(secret, CARD_3DS).status == "requires_action"
    shopper.return_from_stripe(order_token, intent_id)
    assert order(order_token).payment_status == "processing"
    assert shopper.status(order_token)["pending"] is True
    browser.authenticate(secret, success=False)
    shopper.return_from_stripe(order_token, intent_id)
    assert order(order_token).payment_status == "failed"
    attempt = db.session.scalar(select(PaymentAttempt))
    assert attempt.last_error_code == "payment_intent_authentication_failure"
    assert attempt.status == "initiated"
    assert browser.confirm(secret, CARD_3DS).status == "requires_action"
    browser.authenticate(secret, success=True)
    shopper.return_from_stripe(order_token, intent_id)
    assert order(order_token).payment_status == "paid"
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.to_state, AuditEvent.reason)
                              .where(AuditEvent.entity_type == "payment_attempt")
                              .order_by(AuditEvent.id)).all()
    moves = [to for action, to, _ in rows if action == "payment_state_change"]
    assert moves == ["initiated", "authorizing", "initiated", "authorizing", "authorized",
                     "captured"]
    # The failed 3-D Secure is in the attempt's history too, once, with Stripe's code.
    [declined] = [reason for action, _, reason in rows if action == "payment_declined"]
    assert declined.startswith("payment_intent_authentication_failure: ")


def test_duplicate_webhook_is_a_no_op(shopper, browser, client, stripe_client, order_token,
                                      product):
    secret = shopper.client_secret(order_token)
    browser.confirm(secret, CARD_OK)
    [event] = sandbox_events(stripe_client, intent_id_from_secret(secret),
                             "payment_intent.succeeded")
    assert post_event(client, event).get_json()["outcome"] == "processed"
    again = post_event(client, event)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert db.session.get(Product, product.id).stock_on_hand == 8
    assert db.session.scalar(select(func.count(StripeEvent.id))) == 1
    assert db.session.scalar(select(func.count(SentEmail.id))) == 1


def test_return_with_a_foreign_intent_id_changes_nothing(shopper, browser, order_token):
    shopper.client_secret(order_token)
    response = shopper.return_from_stripe(order_token, "pi_someone_else")
    assert response.status_code == 200
    assert order(order_token).payment_status == "unpaid"


def test_redirect_status_alone_never_marks_paid(shopper, order_token):
    secret = shopper.client_secret(order_token)
    shopper.return_from_stripe(order_token, intent_id_from_secret(secret))  # not confirmed
    assert order(order_token).payment_status == "unpaid"


def test_paid_after_the_stock_was_sold_flags_the_order(shopper, browser, order_token,
                                                       product):
    secret = shopper.client_secret(order_token)
    # The hold lapsed and the last units went elsewhere before the card was charged.
    db.session.execute(InventoryHold.__table__.update().values(status="released"))
    set_stock(db.session.get(Product, product.id), 1)
    browser.confirm(secret, CARD_OK)
    shopper.return_from_stripe(order_token, intent_id_from_secret(secret))
    paid = order(order_token)
    # AUTO_REFUND_OUT_OF_STOCK (on): the refund job ran in-process right after the commit.
    assert paid.payment_status == "refunded"
    assert paid.attention.startswith("Paid, out of stock")
    assert db.session.get(Product, product.id).stock_on_hand == 1  # never negative
