"""Small parts of the Stripe contract: why each cancel happens, why the shop refunds, and
what the shop tells Stripe about an order (ids, never the status page's token)."""

from __future__ import annotations

from sqlalchemy import select

from shop.domain.states import OrderStatus
from shop.extensions import db
from shop.models import Order, PaymentAttempt
from shop.services.inventory.expiry import close_unpaid_order
from shop.services.payments.capture import void_payment
from shop.services.refunds.refunds import OUT_OF_STOCK_ACTOR, refund_payment

from ..shopper import CARD_OK, Shopper, intent_id_from_secret
from .money_scenarios import pay


def intent_of(order_id: int) -> str:
    db.session.rollback()
    return db.session.scalar(select(PaymentAttempt.provider_reference).where(
        PaymentAttempt.order_id == order_id))


def order_id(token: str) -> int:
    return db.session.scalar(select(Order.id).where(Order.token == token))


def test_a_superseded_checkout_cancels_its_intent_as_a_duplicate(client, product,
                                                               stripe_client):
    shopper = Shopper(client)
    shopper.add(product, 1)
    first = order_id(shopper.checkout())
    old_intent = intent_of(first)
    shopper.add(product, 1)  # the cart changed; checking out again replaces the order
    shopper.checkout()
    canceled = stripe_client.v1.payment_intents.retrieve(old_intent)
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "duplicate")


def test_an_abandoned_unpaid_order_is_canceled_as_abandoned(client, product, stripe_client):
    shopper = Shopper(client)
    shopper.add(product, 1)
    first = order_id(shopper.checkout())
    assert close_unpaid_order(order_id=first, target=OrderStatus.CANCELED,
                              actor="system:auto-cancel", reason="unpaid") == "closed"
    canceled = stripe_client.v1.payment_intents.retrieve(intent_of(first))
    assert canceled.cancellation_reason == "abandoned"


def test_a_staff_void_is_canceled_as_requested_by_customer(clean_app, client, product,
                                                         stripe_client, browser,
                                                         manual_capture):
    shopper = Shopper(client)
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    browser.confirm(secret, CARD_OK)
    shopper.return_from_stripe(token, intent_id_from_secret(secret))
    attempt = db.session.scalar(select(PaymentAttempt))
    void_payment(attempt_id=attempt.id, actor="staff:ada", reason="customer asked")
    canceled = stripe_client.v1.payment_intents.retrieve(attempt.provider_reference)
    assert canceled.cancellation_reason == "requested_by_customer"


def test_an_out_of_stock_refund_says_why_in_metadata(clean_app, product, stripe_client,
                                                   stripe_sandbox):
    paid = pay(clean_app, stripe_client, stripe_sandbox.url, product)
    attempt_id = db.session.scalar(select(PaymentAttempt.id))
    row = refund_payment(attempt_id=attempt_id, reason="requested_by_customer",
                         actor=OUT_OF_STOCK_ACTOR)
    refund = stripe_client.v1.refunds.retrieve(row.provider_reference)
    assert refund.reason == "requested_by_customer"
    assert refund.metadata.to_dict() == {
        "transaction_id": str(row.id), "attempt_id": str(attempt_id),
        "order_id": str(paid.order_id), "shop_reason": "out_of_stock"}


def test_a_staff_refund_has_no_shop_reason(clean_app, product, stripe_client, stripe_sandbox):
    pay(clean_app, stripe_client, stripe_sandbox.url, product)
    row = refund_payment(attempt_id=db.session.scalar(select(PaymentAttempt.id)), amount=100,
                         actor="staff:ada")
    assert "shop_reason" not in stripe_client.v1.refunds.retrieve(
        row.provider_reference).metadata.to_dict()


def test_the_intent_names_the_order_by_id_and_number_never_by_its_token(client, product,
                                                                      stripe_client):
    shopper = Shopper(client)
    shopper.add(product, 1)
    token = shopper.checkout()
    order = db.session.scalar(select(Order).where(Order.token == token))
    intent = stripe_client.v1.payment_intents.retrieve(intent_of(order.id))
    metadata = intent.metadata.to_dict()
    assert metadata["order_id"] == str(order.id) and metadata["order_number"] == order.number
    assert set(metadata) == {"order_id", "order_number", "store_id", "attempt_id"}
    assert token not in str(intent.to_dict())
    assert intent.receipt_email is None  # the shop mails its own receipt (STRIPE_RECEIPTS=0)
