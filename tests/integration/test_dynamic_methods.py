"""Dynamic payment methods: a method that settles later (ACH Direct Debit, a US bank account)
goes through the same state machine as a card, ``processing`` first, then paid or failed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import InventoryHold, Order, PaymentAttempt

from ..shopper import Shopper, intent_id_from_secret, post_event, sandbox_events
from .payment_scenarios import sandbox_post

ACCOUNT_OK = "000123456789"  # Stripe's test account: processing, then succeeded
ACCOUNT_CLOSED = "000111111113"  # processing, then payment_failed
ROUTING = "110000000"


def pay_by_bank_debit(stripe_client, client_secret: str, account: str) -> str:
    """What the Payment Element does for a bank debit: a method with the account holder,
    then a confirm carrying the mandate the shopper accepted."""
    method = stripe_client.v1.payment_methods.create(params={
        "type": "us_bank_account",
        "us_bank_account": {"account_number": account, "routing_number": ROUTING,
                            "account_holder_type": "individual"},
        "billing_details": {"name": "Ada Lovelace", "email": "ada@example.com"}})
    intent = stripe_client.v1.payment_intents.confirm(
        intent_id_from_secret(client_secret), params={
            "payment_method": method.id, "return_url": "http://shop.test/",
            "mandate_data": {"customer_acceptance": {
                "type": "online", "online": {"ip_address": "127.0.0.1",
                                             "user_agent": "Mozilla/5.0"}}}})
    return intent.status


def deliver_latest(client, stripe_client, intent_id: str, event_type: str) -> None:
    [event, *_] = sandbox_events(stripe_client, intent_id, event_type)[::-1]
    assert post_event(client, event).status_code == 200


def state(token: str) -> tuple[str, str, str]:
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.token == token))
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id))
    return order.status, order.payment_status, attempt.status


@pytest.mark.parametrize(("account", "settled_event", "final"), [
    (ACCOUNT_OK, "payment_intent.succeeded", ("paid", "paid", "captured")),
    # A failed debit leaves the order ready to pay again, as a declined card does.
    (ACCOUNT_CLOSED, "payment_intent.payment_failed", ("pending", "failed", "initiated")),
], ids=["processing-then-succeeded", "processing-then-failed"])
def test_a_debit_that_settles_later(client, stripe_client, stripe_sandbox, product,
                                    account, settled_event, final):
    shopper = Shopper(client)
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    intent_id = intent_id_from_secret(secret)
    intent = stripe_client.v1.payment_intents.retrieve(intent_id)
    assert intent.automatic_payment_methods.enabled is True
    assert "us_bank_account" in intent.payment_method_types  # turned on for USD

    assert pay_by_bank_debit(stripe_client, secret, account) == "processing"
    deliver_latest(client, stripe_client, intent_id, "payment_intent.processing")
    assert state(token) == ("pending", "processing", "authorizing")
    page = client.get(f"/orders/{token}").get_data(as_text=True)
    assert "Confirming your payment" in page and "bank debit" in page

    sandbox_post(stripe_sandbox.url, intent_id, "_settle", {})  # the bank answers
    deliver_latest(client, stripe_client, intent_id, settled_event)
    assert state(token) == final
    holds = db.session.scalars(select(InventoryHold.status)).all()
    assert holds == (["converted"] if final[0] == "paid" else ["active"])


def test_a_method_is_offered_only_for_its_currencies(stripe_client):
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 1000, "currency": "eur", "automatic_payment_methods": {"enabled": True}})
    assert intent.payment_method_types == ["card", "sepa_debit"]  # no ACH for euros
