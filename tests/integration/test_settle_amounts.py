"""The settle function checks Stripe's figures against the attempt before anything is paid.

A signed ``payment_intent.succeeded`` is applied from its own copy of the intent, so its
amount and currency are checked like a fetched intent's: a mismatch leaves the order unpaid,
flagged for staff, with an ``amount_mismatch`` alert and an audit row. Partial captures that
staff asked for in manual-capture mode still settle.
"""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import AuditEvent, Order, PaymentAttempt, StaffAlert
from shop.providers.stripe_gateway import gateway

from ..payments import Api, count, fresh
from ..shopper import CARD_OK, intent_id_from_secret, post_event, sandbox_events
from .payment_scenarios import IntentDriver


@pytest.fixture
def placed(shopper, product):
    """A checked-out order (two bags) whose PaymentIntent exists at Stripe, unpaid."""
    shopper.add(product, 2)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    return db.session.scalar(select(Order).where(Order.token == token)), secret


def succeeded_event(stripe_client, intent_id: str, **changes) -> dict:
    """A signed-as-Stripe ``payment_intent.succeeded`` for our intent, with ``changes``, at
    the API version the shop speaks: its own copy of the intent is what gets applied."""
    intent = stripe_client.v1.payment_intents.retrieve(intent_id).to_dict()
    intent.update({"status": "succeeded", "amount_received": intent["amount"], **changes})
    return {"id": f"evt_forged_{intent_id}_{sorted(changes)}", "object": "event",
            "type": "payment_intent.succeeded", "created": 1, "livemode": False,
            "api_version": gateway().api_version, "data": {"object": intent}}


def mismatch_state(order_id: int):
    order = fresh(Order, order_id)
    alerts = db.session.scalars(select(StaffAlert).where(StaffAlert.order_id == order_id)).all()
    audits = db.session.scalars(select(AuditEvent.reason).where(
        AuditEvent.entity_type == "order", AuditEvent.entity_id == order_id,
        AuditEvent.action == "amount_mismatch")).all()
    return order, [a.kind for a in alerts], audits


def assert_flagged_unpaid(order_id: int, words: str) -> None:
    order, alerts, audits = mismatch_state(order_id)
    assert (order.status, order.payment_status, order.paid_at) == ("pending", "unpaid", None)
    assert order.attention and words in order.attention
    assert alerts == ["amount_mismatch"]
    assert len(audits) == 1 and words in audits[0]
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id == order_id))
    assert attempt.status == "initiated"


def test_a_signed_success_for_one_cent_does_not_pay(client, placed, stripe_client):
    order, secret = placed
    assert order.total > 1
    event = succeeded_event(stripe_client, intent_id_from_secret(secret), amount=1,
                            amount_received=1)
    response = post_event(client, event)
    assert response.status_code == 200
    assert_flagged_unpaid(order.id, "Stripe reported $0.01")
    # The same forged event again (a retry) flags nothing twice.
    assert post_event(client, {**event, "id": event["id"] + "_again"}).status_code == 200
    assert_flagged_unpaid(order.id, "Stripe reported $0.01")
    assert count(StaffAlert) == 1


def test_a_success_that_received_less_than_the_amount_does_not_pay(client, placed,
                                                                   stripe_client):
    order, secret = placed
    event = succeeded_event(stripe_client, intent_id_from_secret(secret), amount_received=50)
    assert post_event(client, event).status_code == 200
    assert_flagged_unpaid(order.id, "Stripe received $0.50")


def test_a_success_in_another_currency_does_not_pay(client, placed, stripe_client):
    order, secret = placed
    event = succeeded_event(stripe_client, intent_id_from_secret(secret), currency="jpy")
    assert post_event(client, event).status_code == 200
    assert_flagged_unpaid(order.id, "in JPY, not USD")


def test_the_real_success_still_pays(client, placed, stripe_client, stripe_sandbox):
    order, secret = placed
    driver = IntentDriver(stripe_client, stripe_sandbox.url, secret)
    driver.confirm_ok()
    [event] = sandbox_events(stripe_client, driver.intent_id, "payment_intent.succeeded")
    assert post_event(client, event).status_code == 200
    paid = fresh(Order, order.id)
    assert (paid.status, paid.payment_status, paid.attention) == ("paid", "paid", None)
    assert count(StaffAlert) == 0


def test_the_status_page_checks_the_intent_it_fetches(shopper, placed, stripe_client,
                                                      browser):
    """The intent's amount was changed at Stripe before the shopper paid it: the return to
    the status page asks Stripe, sees a paid intent for the wrong amount, and pays nothing."""
    order, secret = placed
    intent_id = intent_id_from_secret(secret)
    stripe_client.v1.payment_intents.update(intent_id, params={"amount": 100})
    browser.confirm(secret, CARD_OK)
    assert stripe_client.v1.payment_intents.retrieve(intent_id).status == "succeeded"
    response = shopper.return_from_stripe(order.token, intent_id)
    assert response.status_code == 303
    assert_flagged_unpaid(order.id, "Stripe reported $1.00")
    assert shopper.status(order.token)["payment_status"] == "unpaid"


def test_a_partial_capture_staff_asked_for_settles(manual_capture, clean_app, client, placed,
                                                   stripe_client, stripe_sandbox, store):
    from ..factories import make_user

    order, secret = placed
    driver = IntentDriver(stripe_client, stripe_sandbox.url, secret)
    driver.confirm_ok_manual()
    [authorized] = sandbox_events(stripe_client, driver.intent_id,
                                  "payment_intent.amount_capturable_updated")
    assert post_event(client, authorized).status_code == 200
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id == order.id))
    assert attempt.status == "authorized"

    api = Api.staff(clean_app, make_user(store=store))
    part = order.total - 500
    response = api.post("/capture", {"attempt_id": attempt.id, "amount": part})
    assert response.status_code == 200, response.get_json()
    # Stripe's own success event (amount_received < amount) then changes nothing and flags
    # nothing: it is what staff asked for.
    [succeeded] = sandbox_events(stripe_client, driver.intent_id, "payment_intent.succeeded")
    assert succeeded["data"]["object"]["amount_received"] == part
    assert post_event(client, succeeded).status_code == 200
    paid = fresh(Order, order.id)
    assert (paid.status, paid.payment_status, paid.attention) == ("paid", "paid", None)
    assert count(StaffAlert) == 0

    # A success claiming less than staff captured is flagged.
    forged = copy.deepcopy(succeeded)
    forged["id"] += "_forged"
    forged["data"]["object"]["amount_received"] = part - 100
    assert post_event(client, forged).status_code == 200
    _order, alerts, _audits = mismatch_state(order.id)
    assert alerts == ["amount_mismatch"]
    assert fresh(Order, order.id).payment_status == "paid"  # what was captured stays


def test_a_manual_authorization_captured_partly_outside_the_shop_is_flagged(
        manual_capture, client, placed, stripe_client, stripe_sandbox):
    """Nobody in the shop asked for a partial capture: the success does not pay the order."""
    order, secret = placed
    driver = IntentDriver(stripe_client, stripe_sandbox.url, secret)
    driver.confirm_ok_manual()
    stripe_client.v1.payment_intents.capture(driver.intent_id,
                                             params={"amount_to_capture": 100})
    [succeeded] = sandbox_events(stripe_client, driver.intent_id, "payment_intent.succeeded")
    assert post_event(client, succeeded).status_code == 200
    order, alerts, _audits = mismatch_state(order.id)
    assert order.payment_status == "unpaid" and alerts == ["amount_mismatch"]
