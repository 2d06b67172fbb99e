"""The Stripe sandbox, driven through the official SDK the way the shop uses it."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import stripe

from sandbox.process import SandboxProcess

VISA = "4242424242424242"
THREE_DS = "4000002500003155"
AUTH_FAILURE_MESSAGE = ("We are unable to authenticate your payment method. Please choose a "
                        "different payment method and try again.")


def create_intent(client, amount=2500, **extra):
    params = {"amount": amount, "currency": "eur",
              "metadata": {"order_id": str(uuid.uuid4())}, **extra}
    return client.v1.payment_intents.create(
        params=params, options={"idempotency_key": str(uuid.uuid4())})


def browser_confirm(sandbox, intent, pm_id, **extra):
    return sandbox.browser_post(f"/v1/payment_intents/{intent.id}/confirm", {
        "client_secret": intent.client_secret, "payment_method": pm_id,
        "return_url": "http://127.0.0.1/return", **extra})


def event_types(client, intent_id, since):
    events = client.v1.events.list(params={"created": {"gte": since}, "limit": 100})
    return [e.type for e in events.data if e.data.object.id == intent_id]


# --- payments ------------------------------------------------------------------------------

def test_card_payment_succeeds_and_is_logged_as_events(client, sandbox):
    since = int(time.time())
    intent = create_intent(client, description="Order 42", receipt_email="shopper@example.com",
                           automatic_payment_methods={"enabled": "false"},
                           statement_descriptor="SHOP")
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(intent.id + "_secret_")

    result = browser_confirm(sandbox, intent, sandbox.card(VISA))
    assert result.status == 200, result.body
    assert result.body["status"] == "succeeded"

    paid = client.v1.payment_intents.retrieve(intent.id)
    assert paid.status == "succeeded"
    assert paid.amount_received == 2500
    assert paid.latest_charge.startswith("ch_")
    assert paid.description == "Order 42"
    assert paid.receipt_email == "shopper@example.com"
    assert paid.metadata["order_id"] == intent.metadata["order_id"]

    succeeded = client.v1.events.list(params={"type": "payment_intent.succeeded",
                                              "created": {"gte": since}})
    event = next(e for e in succeeded.data if e.data.object.id == intent.id)
    assert event.api_version == stripe.api_version
    assert event.data.object.status == "succeeded"
    assert client.v1.events.retrieve(event.id).id == event.id
    # Newest first, in the order things happened.
    assert event_types(client, intent.id, since) == [
        "payment_intent.succeeded", "payment_intent.created"]


def test_decline_raises_card_error_then_the_same_intent_pays(client, sandbox):
    since = int(time.time())
    intent = create_intent(client)
    declined_pm = sandbox.card("4000000000009995")
    with pytest.raises(stripe.CardError) as info:
        client.v1.payment_intents.confirm(intent.id, params={"payment_method": declined_pm})
    err = info.value
    assert err.http_status == 402
    assert err.code == "card_declined"
    assert err.error.decline_code == "insufficient_funds"
    assert err.user_message == "Your card has insufficient funds."
    assert err.error.payment_intent["id"] == intent.id
    assert err.error.charge.startswith("ch_")

    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_payment_error.type == "card_error"
    assert failed.last_payment_error.decline_code == "insufficient_funds"
    assert failed.last_payment_error.charge == err.error.charge
    assert failed.last_payment_error.payment_method.id == declined_pm
    assert "payment_intent.payment_failed" in event_types(client, intent.id, since)

    paid = client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert paid.status == "succeeded"
    assert paid.last_payment_error is None
    assert paid.latest_charge != err.error.charge


@pytest.mark.parametrize(("number", "code", "decline_code", "message"), [
    ("4000000000000002", "card_declined", "generic_decline", "Your card was declined."),
    ("4000000000009987", "card_declined", "lost_card", "Your card was declined."),
    ("4000000000009979", "card_declined", "stolen_card", "Your card was declined."),
    ("4000000000000069", "expired_card", "expired_card", "Your card has expired."),
    ("4000000000000127", "incorrect_cvc", "incorrect_cvc",
     "Your card's security code is incorrect."),
    ("4000000000000119", "processing_error", "processing_error",
     "An error occurred while processing your card. Try again in a little bit."),
])
def test_declined_test_cards_answer_like_stripe(client, sandbox, number, code, decline_code,
                                                message):
    intent = create_intent(client)
    result = browser_confirm(sandbox, intent, sandbox.card(number))
    assert result.status == 402
    error = result.body["error"]
    assert (error["type"], error["code"], error["decline_code"], error["message"]) == (
        "card_error", code, decline_code, message)
    assert error["payment_intent"]["status"] == "requires_payment_method"
    charge = client.v1.charges.retrieve(error["charge"])
    assert charge.status == "failed"
    assert charge.failure_code == code


def test_browser_confirm_needs_the_matching_client_secret(client, sandbox):
    intent = create_intent(client)
    pm = sandbox.card(VISA)
    wrong = browser_confirm(sandbox, intent, pm, client_secret=intent.client_secret + "x")
    assert wrong.status == 400
    assert wrong.body["error"]["param"] == "client_secret"
    missing = sandbox.browser_post(f"/v1/payment_intents/{intent.id}/confirm",
                                   {"payment_method": pm})
    assert missing.status == 400
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_3ds_failure_leaves_the_intent_payable(client, sandbox):
    since = int(time.time())
    intent = create_intent(client)
    result = browser_confirm(sandbox, intent, sandbox.card(THREE_DS))
    assert result.body["status"] == "requires_action"
    assert result.body["next_action"]["type"] == "use_stripe_sdk"

    failed = sandbox.browser_post(f"/v1/payment_intents/{intent.id}/_authenticate",
                                  {"client_secret": intent.client_secret, "success": "false"})
    assert failed.status == 200
    assert failed.body["status"] == "requires_payment_method"
    retrieved = client.v1.payment_intents.retrieve(intent.id)
    error = retrieved.last_payment_error
    assert error.type == "invalid_request_error"
    assert error.code == "payment_intent_authentication_failure"
    assert error.message == AUTH_FAILURE_MESSAGE
    assert error.payment_method.id.startswith("pm_")
    types = event_types(client, intent.id, since)
    assert "payment_intent.requires_action" in types
    assert "payment_intent.payment_failed" in types

    paid = browser_confirm(sandbox, intent, sandbox.card(VISA))
    assert paid.body["status"] == "succeeded"


def test_3ds_success_charges_the_card(client, sandbox):
    intent = create_intent(client)
    browser_confirm(sandbox, intent, sandbox.card(THREE_DS))
    done = sandbox.browser_post(f"/v1/payment_intents/{intent.id}/_authenticate",
                                {"client_secret": intent.client_secret, "success": "true"})
    assert done.body["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).amount_received == 2500


def test_manual_capture(client, sandbox):
    intent = create_intent(client, amount=4000, capture_method="manual")
    authorised = client.v1.payment_intents.confirm(intent.id,
                                                   params={"payment_method": "pm_card_visa"})
    assert authorised.status == "requires_capture"
    assert authorised.amount_capturable == 4000
    assert authorised.amount_received == 0
    captured = client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 3000})
    assert captured.status == "succeeded"
    assert captured.amount_received == 3000
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.capture(intent.id)
    assert info.value.code == "payment_intent_unexpected_state"


def test_uncaptured_charge_says_until_when_it_can_be_captured(client, sandbox):
    intent = create_intent(client, amount=4000, capture_method="manual")
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    authorised = client.v1.payment_intents.retrieve(intent.id,
                                                    params={"expand": ["latest_charge"]})
    charge = authorised.latest_charge
    card = charge.payment_method_details.card
    assert card.capture_before == charge.created + 7 * 24 * 3600
    client.v1.payment_intents.capture(intent.id)
    captured = client.v1.charges.retrieve(charge.id)
    assert "capture_before" not in captured.payment_method_details.card.to_dict()


def test_request_log_counts_calls_and_their_answers(client, sandbox):
    intent = create_intent(client, amount=4000, capture_method="manual")
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    path = f"/v1/payment_intents/{intent.id}/capture"
    client.v1.payment_intents.capture(intent.id, options={"idempotency_key": "cap-1"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.capture(intent.id)
    logged = sandbox.http("GET", "/_config/requests", {"method": "POST", "path": path}).body
    assert [e["status"] for e in logged["data"]] == [200, 400]
    assert logged["data"][0]["idempotency_key"] == "cap-1"


def test_lists_are_newest_first(client, sandbox):
    created = [create_intent(client).id for _ in range(3)]
    listed = [i.id for i in client.v1.payment_intents.list(params={"limit": 3}).data]
    assert listed == created[::-1]


def test_refunds(client, sandbox):
    intent = create_intent(client, amount=2000)
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    key = str(uuid.uuid4())
    params = {"payment_intent": intent.id, "amount": 500, "reason": "requested_by_customer",
              "metadata": {"return_id": "r1"}}
    refund = client.v1.refunds.create(params=params, options={"idempotency_key": key})
    assert (refund.status, refund.amount) == ("succeeded", 500)
    assert refund.reason == "requested_by_customer"
    assert refund.payment_intent == intent.id
    assert refund.metadata["return_id"] == "r1"
    again = client.v1.refunds.create(params=params, options={"idempotency_key": key})
    assert again.id == refund.id
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1501})
    assert info.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"payment_intent": intent.id})
    assert rest.amount == 1500
    assert client.v1.charges.retrieve(refund.charge).refunded is True


def test_cancel(client, sandbox):
    since = int(time.time())
    intent = create_intent(client)
    canceled = client.v1.payment_intents.cancel(intent.id)
    assert canceled.status == "canceled"
    assert "payment_intent.canceled" in event_types(client, intent.id, since)

    paid = create_intent(client)
    client.v1.payment_intents.confirm(paid.id, params={"payment_method": "pm_card_visa"})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.cancel(paid.id)
    assert info.value.http_status == 400
    assert info.value.code == "payment_intent_unexpected_state"
    assert "status of succeeded" in info.value.user_message


def test_validation_errors_are_stripe_shaped(client):
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"currency": "eur"})
    assert (info.value.param, info.value.code) == ("amount", "parameter_missing")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.create(params={"amount": 10, "currency": "eur"})
    assert info.value.code == "amount_too_small"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert (info.value.http_status, info.value.code) == (404, "resource_missing")


def test_api_keys_are_required(sandbox):
    anonymous = stripe.StripeClient("pk_test_wrong_kind", base_addresses={"api": sandbox.url})
    with pytest.raises(stripe.AuthenticationError):
        anonymous.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    assert sandbox.http("GET", "/v1/events").status == 401


# --- idempotency ---------------------------------------------------------------------------

def test_idempotency_replays_and_refuses_changed_parameters(client):
    key = str(uuid.uuid4())
    params = {"amount": 1500, "currency": "eur", "allowed_payment_method_types": ["card"],
              "metadata": {"order_id": key}}
    first = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    second = client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers

    with pytest.raises(stripe.IdempotencyError) as info:
        client.v1.payment_intents.create(params={**params, "amount": 1600},
                                         options={"idempotency_key": key})
    assert info.value.http_status == 400
    assert info.value.user_message.startswith("Keys for idempotent requests can only be used")


def test_concurrent_requests_with_one_key_create_one_object(client):
    key = str(uuid.uuid4())
    params = {"amount": 1500, "currency": "eur", "metadata": {"order_id": key}}

    def create(_):
        return client.v1.payment_intents.create(params=params,
                                                options={"idempotency_key": key}).id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = set(pool.map(create, range(6)))
    assert len(ids) == 1
    created = client.v1.events.list(params={"type": "payment_intent.created", "limit": 100})
    assert [e.data.object.id for e in created.data].count(ids.pop()) == 1


# --- webhooks ------------------------------------------------------------------------------

def test_webhooks_are_signed_and_ordered_per_intent(client, sandbox, webhook_receiver):
    intent = create_intent(client)
    with pytest.raises(stripe.CardError):
        client.v1.payment_intents.confirm(intent.id, params={
            "payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds"})
    client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})

    expected = ["payment_intent.created", "charge.failed", "payment_intent.payment_failed",
                "charge.succeeded", "payment_intent.succeeded"]
    webhook_receiver.wait_for(lambda r: len(r.events_for(intent.id)) >= len(expected),
                              what=f"events of {intent.id}")
    delivered = webhook_receiver.events_for(intent.id)
    assert [e.type for e in delivered] == expected
    assert all(e.api_version == stripe.api_version for e in delivered)
    assert delivered[-1].data.object.status == "succeeded"
    assert all(hit["verified"] for hit in webhook_receiver.hits)
    # The log agrees: once delivered, an event counts as delivered.
    for event_id in (e.id for e in delivered):
        assert client.v1.events.retrieve(event_id).pending_webhooks == 0


def test_failed_deliveries_are_retried_and_listed(client, sandbox, failing_receiver,
                                                  webhook_receiver):
    intent = create_intent(client)
    failing_receiver.wait_for(lambda r: len([h for h in r.hits if h["type"] ==
                                             "payment_intent.created"]) >= 2,
                              what="a retried delivery")
    webhook_receiver.wait_for(lambda r: len(r.events_for(intent.id)) >= 1)
    event_id = webhook_receiver.events_for(intent.id)[0].id

    undelivered = client.v1.events.list(params={"delivery_success": False, "limit": 100})
    assert event_id in [e.id for e in undelivered.data]
    delivered = client.v1.events.list(params={"delivery_success": True, "limit": 100})
    assert event_id not in [e.id for e in delivered.data]

    attempts = sandbox.http("GET", "/_config/deliveries", {"event": event_id}).body["data"]
    by_endpoint = {d["endpoint"]: d for d in attempts}
    assert by_endpoint["cli"]["delivered"] is True
    assert [a["status"] for a in by_endpoint["failing"]["attempts"]][:2] == [500, 500]


# --- the process ---------------------------------------------------------------------------

def test_serves_the_stripe_js_stand_in(sandbox):
    result = sandbox.http("GET", "/js.stripe.com/v3/")
    assert result.status == 200
    assert result.headers["Content-Type"].startswith("application/javascript")


def test_exits_cleanly_on_sigterm(tmp_path):
    process = SandboxProcess(["--quiet"], tmp_path / "sandbox.log")
    assert process.url.startswith("http://127.0.0.1:")
    assert process.stop() == 0


# --- the Stripe.js stand-in in a browser ---------------------------------------------------
