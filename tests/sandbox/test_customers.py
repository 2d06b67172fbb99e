"""The sandbox's Customers, saved cards, SetupIntents and Customer Sessions: ownership is
enforced as Stripe enforces it, and every call passes the pinned version's contract."""

from __future__ import annotations

import uuid

import pytest
import stripe

from .test_stripe_sandbox import THREE_DS, VISA, browser_confirm, create_intent


def customer(client) -> str:
    return client.v1.customers.create(params={"email": "a@example.com"},
                                      options={"idempotency_key": str(uuid.uuid4())}).id


def saved(client, sandbox, customer_id: str, number: str = VISA) -> str:
    pm_id = sandbox.card(number)
    client.v1.payment_methods.attach(pm_id, params={"customer": customer_id})
    return pm_id


def test_attach_list_default_detach(client, sandbox):
    ada = customer(client)
    first, second = saved(client, sandbox, ada), saved(client, sandbox, ada, "5555555555554444")
    listed = client.v1.customers.payment_methods.list(ada, params={"type": "card"})
    assert [pm.id for pm in listed.data] == [second, first]  # newest first
    client.v1.customers.update(ada, params={
        "invoice_settings": {"default_payment_method": second}})
    client.v1.payment_methods.detach(second)
    assert client.v1.customers.retrieve(ada).invoice_settings.default_payment_method is None
    assert [pm.id for pm in client.v1.customers.payment_methods.list(ada).data] == [first]
    with pytest.raises(stripe.InvalidRequestError, match="not attached"):
        client.v1.payment_methods.detach(second)


def test_a_card_belongs_to_one_customer(client, sandbox):
    ada, bob = customer(client), customer(client)
    adas = saved(client, sandbox, ada)
    with pytest.raises(stripe.InvalidRequestError, match="already been attached"):
        client.v1.payment_methods.attach(adas, params={"customer": bob})
    with pytest.raises(stripe.InvalidRequestError) as other:
        client.v1.customers.payment_methods.retrieve(bob, adas)
    assert other.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError, match="must be attached"):
        client.v1.customers.update(bob, params={
            "invoice_settings": {"default_payment_method": adas}})
    intent = create_intent(client, customer=bob)
    refused = browser_confirm(sandbox, intent, adas)
    assert refused.status == 400 and refused.body["error"]["code"] == "resource_missing"
    assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_setup_future_usage_saves_the_paid_card(client, sandbox):
    ada = customer(client)
    intent = create_intent(client)
    client.v1.payment_intents.update(intent.id, params={"customer": ada})
    pm_id = sandbox.card(VISA)
    result = browser_confirm(sandbox, intent, pm_id, setup_future_usage="on_session")
    assert result.body["status"] == "succeeded"
    assert client.v1.payment_methods.retrieve(pm_id).customer == ada


def test_setup_intent_with_3d_secure(client, sandbox):
    ada = customer(client)
    seti = client.v1.setup_intents.create(params={"customer": ada, "usage": "on_session"})
    pm_id = sandbox.card(THREE_DS)
    confirmed = sandbox.browser_post(f"/v1/setup_intents/{seti.id}/confirm", {
        "client_secret": seti.client_secret, "payment_method": pm_id})
    assert confirmed.body["status"] == "requires_action"
    assert client.v1.payment_methods.retrieve(pm_id).customer is None
    done = sandbox.browser_post(f"/v1/setup_intents/{seti.id}/_authenticate", {
        "client_secret": seti.client_secret, "success": "true"})
    assert done.body["status"] == "succeeded"
    assert client.v1.payment_methods.retrieve(pm_id).customer == ada
    wrong = sandbox.browser_post(f"/v1/setup_intents/{seti.id}/confirm", {
        "client_secret": "seti_x_secret_wrong", "payment_method": pm_id})
    assert wrong.status == 400


def test_customer_session_shows_only_redisplayable_cards(client, sandbox):
    ada = customer(client)
    shown = sandbox.browser_post("/v1/payment_methods", {
        "type": "card", "allow_redisplay": "always", "card[number]": VISA,
        "card[exp_month]": "12", "card[exp_year]": "2034", "card[cvc]": "123"}).body["id"]
    client.v1.payment_methods.attach(shown, params={"customer": ada})
    saved(client, sandbox, ada, "5555555555554444")  # allow_redisplay unspecified
    session = client.v1.customer_sessions.create(params={"customer": ada, "components": {
        "payment_element": {"enabled": True, "features": {"payment_method_redisplay": "enabled",
                                                          "payment_method_save": "enabled"}}}})
    listed = sandbox.browser_post("/v1/_elements/customer_session", {
        "customer_session_client_secret": session.client_secret})
    assert [pm["id"] for pm in listed.body["payment_methods"]] == [shown]
    assert sandbox.browser_post("/v1/_elements/customer_session", {
        "customer_session_client_secret": "cuss_secret_guess"}).status == 400
    with pytest.raises(stripe.InvalidRequestError, match="unknown parameter"):
        client.v1.customer_sessions.create(params={"customer": ada, "components": {
            "payment_element": {"enabled": True, "features": {"save_everything": "yes"}}}})
