"""Checkout Sessions in the sandbox through the real SDK: created with server-priced lines,
refused like Stripe when the parameters are wrong, paid, declined, authenticated, cancelled
and expired on the hosted-page stand-in over HTTP, with signed events for each outcome."""

from __future__ import annotations

import time

import httpx
import pytest
import stripe

SHOP = "http://shop.test"
SUCCESS = SHOP + "/orders/tok?session_id={CHECKOUT_SESSION_ID}"
CANCEL = SHOP + "/orders/tok?canceled=1"


def create(client: stripe.StripeClient, **overrides) -> stripe.checkout.Session:
    params: dict = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": "eur", "unit_amount": 1250,
                            "product_data": {"name": "Mug"}}, "quantity": 2},
            {"price_data": {"currency": "eur", "unit_amount": 499,
                            "product_data": {"name": "Shipping"}}, "quantity": 1},
        ],
        "client_reference_id": "order-42",
        "customer_email": "ada@example.test",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "metadata": {"order_id": "42"},
        "payment_intent_data": {"metadata": {"order_id": "42", "attempt_id": "7"}},
        "expires_at": int(time.time()) + 3600,
    }
    params.update(overrides)
    return client.v1.checkout.sessions.create(params=params)


def pay(session_url: str, card: str) -> httpx.Response:
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        page = browser.get(session_url)
        assert page.status_code == 200 and "Pay 29.99 EUR" in page.text
        return browser.post(session_url, data={"card": card})


def test_create_prices_lines_on_the_server_and_lists_them(client):
    session = create(client)
    assert session.id.startswith("cs_test_")
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid",
                                                                      "payment")
    assert (session.amount_total, session.currency) == (2999, "eur")
    assert session.client_reference_id == "order-42"
    assert session.payment_intent is None and session.url.endswith(session.id)
    lines = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(li.description, li.quantity, li.amount_total, li.price.unit_amount)
            for li in lines.data] == [("Mug", 2, 2500, 1250), ("Shipping", 1, 499, 499)]
    again = client.v1.checkout.sessions.retrieve(session.id)
    assert again.amount_total == 2999 and again.metadata.to_dict() == {"order_id": "42"}


@pytest.mark.parametrize("overrides, param", [
    ({"mode": None}, "mode"),
    ({"line_items": None}, "line_items"),
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": -1,
                                     "product_data": {"name": "x"}}, "quantity": 1}]},
     "line_items[0][price_data][unit_amount]"),
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": 100,
                                     "product_data": {"name": "x"}}}]},
     "line_items[0][quantity]"),
    ({"line_items": [{"price": "price_123", "quantity": 1}]}, "line_items[0][price]"),
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": 10,
                                     "product_data": {"name": "x"}}, "quantity": 1}]},
     "line_items"),
    ({"customer_email": "not-an-email"}, "customer_email"),
    ({"success_url": "nowhere"}, "success_url"),
    ({"expires_at": int(time.time()) + 60}, "expires_at"),
    ({"expires_at": int(time.time()) + 3 * 86400}, "expires_at"),
])
def test_bad_params_are_refused_like_stripe_and_create_nothing(client, sandbox, overrides,
                                                               param):
    before = len(sandbox.http("GET", "/_config/requests",
                              {"method": "POST", "path": "/v1/checkout/sessions"}).body["data"])
    params = {k: v for k, v in overrides.items() if v is not None}
    dropped = [k for k, v in overrides.items() if v is None]
    with pytest.raises(stripe.InvalidRequestError) as err:
        full = _params(params, dropped)
        client.v1.checkout.sessions.create(params=full)
    assert err.value.http_status == 400 and err.value.param == param
    calls = sandbox.http("GET", "/_config/requests",
                         {"method": "POST", "path": "/v1/checkout/sessions"}).body["data"]
    assert [c["status"] for c in calls[before:]] == [400]


def _params(overrides: dict, dropped: list[str]) -> dict:
    params: dict = {
        "mode": "payment",
        "line_items": [{"price_data": {"currency": "eur", "unit_amount": 1250,
                                       "product_data": {"name": "Mug"}}, "quantity": 1}],
        "success_url": SUCCESS, "cancel_url": CANCEL,
    }
    params.update(overrides)
    for name in dropped:
        params.pop(name)
    return params


def test_a_parameter_stripe_does_not_know_is_refused_by_the_gate(client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.create(params=_params({"amount": 100}, []))  # type: ignore
    assert err.value.param == "amount" or "amount" in str(err.value)


def test_paying_completes_the_session_with_a_paid_intent_and_a_signed_event(
        client, webhook_receiver):
    session = create(client)
    answer = pay(session.url, "4242424242424242")
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{SHOP}/orders/tok?session_id={session.id}"
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    assert done.url is None and done.customer_details.email == "ada@example.test"
    intent = client.v1.payment_intents.retrieve(done.payment_intent)
    assert (intent.status, intent.amount, intent.currency) == ("succeeded", 2999, "eur")
    assert intent.metadata.to_dict() == {"order_id": "42", "attempt_id": "7"}
    assert intent.latest_charge
    webhook_receiver.wait_for(lambda r: any(e.type == "checkout.session.completed"
                                            for e in r.events_for(session.id)))
    event = next(e for e in webhook_receiver.events_for(session.id)
                 if e.type == "checkout.session.completed")
    obj = event.data.object
    assert (obj.payment_status, obj.client_reference_id, obj.payment_intent) == (
        "paid", "order-42", intent.id)
    # The page of a completed session takes no second payment.
    with httpx.Client(timeout=10) as browser:
        again = browser.post(session.url, data={"card": "4242424242424242"})
    assert again.status_code == 409
    assert client.v1.payment_intents.retrieve(intent.id).amount_received == 2999


def test_a_declined_card_leaves_the_session_open_and_payable(client):
    session = create(client)
    declined = pay(session.url, "4000000000000002")
    assert declined.status_code == 402 and 'role="alert"' in declined.text
    assert "declined" in declined.text
    still = client.v1.checkout.sessions.retrieve(session.id)
    assert (still.status, still.payment_status) == ("open", "unpaid")
    assert client.v1.payment_intents.retrieve(still.payment_intent).status == \
        "requires_payment_method"
    assert pay(session.url, "4242424242424242").status_code == 303
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == "paid"


def test_3ds_card_asks_for_authentication_and_failing_it_pays_nothing(client):
    session = create(client)
    asked = pay(session.url, "4000002760003184")
    assert asked.status_code == 200 and "Complete authentication" in asked.text
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        failed = browser.post(session.url + "/authenticate", data={"outcome": "fail"})
        assert failed.status_code == 402
        assert client.v1.checkout.sessions.retrieve(session.id).status == "open"
        browser.post(session.url, data={"card": "4000002760003184"})
        passed = browser.post(session.url + "/authenticate", data={"outcome": "complete"})
    assert passed.status_code == 303
    done = client.v1.checkout.sessions.retrieve(session.id)
    assert done.payment_status == "paid"
    assert client.v1.payment_intents.retrieve(done.payment_intent).status == "succeeded"


def test_an_unknown_card_choice_is_refused_and_changes_nothing(client):
    session = create(client)
    with httpx.Client(timeout=10) as browser:
        answer = browser.post(session.url, data={"card": "4111111111111111"})
    assert answer.status_code == 400 and "Choose a test card" in answer.text
    assert client.v1.checkout.sessions.retrieve(session.id).payment_intent is None


def test_cancel_links_back_and_leaves_the_session_open(client):
    session = create(client)
    with httpx.Client(timeout=10) as browser:
        page = browser.get(session.url)
    assert 'href="http://shop.test/orders/tok?canceled=1"' in page.text
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expire_sends_the_event_and_the_page_refuses_payment(client, webhook_receiver):
    session = create(client)
    expired = client.v1.checkout.sessions.expire(session.id)
    assert (expired.status, expired.url) == ("expired", None)
    webhook_receiver.wait_for(lambda r: any(e.type == "checkout.session.expired"
                                            for e in r.events_for(session.id)))
    with httpx.Client(timeout=10) as browser:
        answer = browser.post(session.url, data={"card": "4242424242424242"})
    assert answer.status_code == 409 and "expired" in answer.text
    after = client.v1.checkout.sessions.retrieve(session.id)
    assert (after.status, after.payment_intent) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.expire(session.id)
    assert err.value.code == "checkout_session_unexpected_state"


def test_an_unknown_session_is_a_404(client):
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.checkout.sessions.retrieve("cs_test_nope")
    assert err.value.http_status == 404 and err.value.code == "resource_missing"


@pytest.mark.parametrize("success, event_type, status", [
    ("true", "checkout.session.async_payment_succeeded", "paid"),
    ("false", "checkout.session.async_payment_failed", "unpaid"),
])
def test_a_delayed_method_completes_unpaid_then_the_bank_decides(
        client, sandbox, webhook_receiver, success, event_type, status):
    session = create(client)
    assert pay(session.url, "4000000000004954").status_code == 303
    pending = client.v1.checkout.sessions.retrieve(session.id)
    assert (pending.status, pending.payment_status) == ("complete", "unpaid")
    assert client.v1.payment_intents.retrieve(pending.payment_intent).status == "processing"
    settled = sandbox.http("POST", f"/v1/payment_intents/{pending.payment_intent}/_settle",
                           {"success": success},
                           headers={"Authorization": "Bearer sk_test_sandbox"})
    assert settled.status == 200
    webhook_receiver.wait_for(lambda r: any(e.type == event_type
                                            for e in r.events_for(session.id)))
    types = [e.type for e in webhook_receiver.events_for(session.id)]
    assert types.index("checkout.session.completed") < types.index(event_type)
    assert client.v1.checkout.sessions.retrieve(session.id).payment_status == status


def test_one_idempotency_key_makes_one_session_and_refuses_changed_params(client, sandbox):
    key = f"checkout-{time.time_ns()}"
    params = _params({"client_reference_id": "order-9"}, [])
    first = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    again = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    assert again.id == first.id
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(params={**params, "client_reference_id": "other"},
                                           options={"idempotency_key": key})
