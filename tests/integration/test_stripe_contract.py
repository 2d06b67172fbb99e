"""Every call the shop makes to Stripe is valid at the pinned API version.

The sandbox holds each request to that version's published parameters (the installed SDK's
generated types; sandbox/contract.py) and refuses anything else as Stripe does.
Here every gateway method is driven through it and the sandbox's request log is read back:
a new gateway call that this test does not drive fails it.
"""

from __future__ import annotations

import inspect
import re
import time
import uuid

import requests

from shop.config import STRIPE_API_VERSION
from shop.providers.stripe_gateway import CheckoutLine, StripeGateway, gateway

from ..shopper import CARD_OK

SECRET = {"Authorization": "Bearer sk_test_sandbox"}


def sandbox_requests(sandbox_url: str) -> list[dict]:
    return requests.get(f"{sandbox_url}/_config/requests", headers=SECRET,
                        timeout=10).json()["data"]


def clear_log(sandbox_url: str) -> int:
    return len(sandbox_requests(sandbox_url))


def gateway_methods_calling_stripe() -> set[str]:
    """Public StripeGateway methods whose body calls the SDK client."""
    return {name for name, fn in inspect.getmembers(StripeGateway, inspect.isfunction)
            if not name.startswith("_") and "self._client." in inspect.getsource(fn)}


def pay(stripe_client, intent_id: str) -> None:
    method = stripe_client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": CARD_OK, "exp_month": 12, "exp_year": 2034,
                                 "cvc": "123"}})
    stripe_client.v1.payment_intents.confirm(intent_id, params={
        "payment_method": method.id, "return_url": "http://shop.test/"})


def drive_every_call(stripe_client, sandbox_url: str, store_id: int = 1) -> set[str]:
    """Each gateway method once, with the parameters the shop really sends."""
    g = gateway()
    meta = {"order_id": "1", "order_number": "000001", "store_id": str(store_id),
            "attempt_id": "1"}
    called = set()

    def key() -> str:
        return f"contract-{uuid.uuid4()}"

    intent = g.create_payment_intent(amount=2500, currency="USD", idempotency_key=key(),
                                     metadata=meta, receipt_email="a@example.com")
    called.add("create_payment_intent")
    assert g.payment_intent_with_secret(intent.id)[1].startswith(intent.id)
    called.add("payment_intent_with_secret")
    assert g.cancel_payment_intent(intent.id, reason="abandoned").status == "canceled"
    called.add("cancel_payment_intent")

    manual = g.create_payment_intent(amount=3000, currency="USD", idempotency_key=key(),
                                     metadata=meta, capture_method="manual")
    pay(stripe_client, manual.id)
    captured = g.capture_payment_intent(manual.id, amount=2000, idempotency_key=key())
    assert captured.status == "succeeded"
    called.add("capture_payment_intent")
    assert g.retrieve_payment_intent(manual.id).latest_charge_id
    called.add("retrieve_payment_intent")

    refund = g.create_refund(intent_id=manual.id, amount=500, idempotency_key=key(),
                             reason="requested_by_customer",
                             metadata={"transaction_id": "7", "shop_reason": "out_of_stock"})
    called.add("create_refund")
    assert g.retrieve_refund(refund.id).amount == 500
    called.add("retrieve_refund")
    charge_id = captured.latest_charge_id
    assert [r.id for r in g.list_refunds(charge_id=charge_id)] == [refund.id]
    called.add("list_refunds")
    assert g.retrieve_charge(charge_id).payment_intent_id == manual.id
    called.add("retrieve_charge")
    dispute = requests.post(f"{sandbox_url}/v1/charges/{charge_id}/_dispute", headers=SECRET,
                            data={"amount": "2000", "reason": "fraudulent"}, timeout=10).json()
    assert g.retrieve_dispute(dispute["id"]).status == "needs_response"
    called.add("retrieve_dispute")
    assert g.list_events(delivery_success=False, limit=5) is not None
    called.add("list_events")
    return called | drive_saved_cards(stripe_client, g, key) | drive_checkout(g, key)


def drive_saved_cards(stripe_client, g, key) -> set[str]:
    """Customers, saved cards, SetupIntents and Customer Sessions (saved cards, issue 21)."""
    customer = g.create_customer(email="a@example.com", idempotency_key=key(),
                                 metadata={"user_id": "1", "store_id": "1"})
    seti_id, secret = g.create_setup_intent(customer_id=customer, idempotency_key=key())
    assert secret.startswith(seti_id)
    method = stripe_client.v1.payment_methods.create(params={
        "type": "card", "allow_redisplay": "always",
        "card": {"number": CARD_OK, "exp_month": 12, "exp_year": 2034, "cvc": "123"}})
    stripe_client.v1.setup_intents.confirm(seti_id, params={"payment_method": method.id})
    setup = g.retrieve_setup_intent(seti_id)
    assert (setup.status, setup.customer, setup.payment_method) == (
        "succeeded", customer, method.id)
    assert [c.last4 for c in g.list_cards(customer)] == ["4242"]
    assert g.customer_card(customer, method.id).brand == "visa"
    g.set_default_payment_method(customer, method.id)
    assert g.default_payment_method(customer) == method.id
    assert g.create_customer_session(customer).startswith("cuss_secret_")
    intent = g.create_payment_intent(amount=1000, currency="USD", idempotency_key=key(),
                                     metadata={})
    assert g.set_intent_customer(intent.id, customer).customer == customer
    g.detach_payment_method(method.id)
    assert g.list_cards(customer) == [] and g.default_payment_method(customer) is None
    return {"create_customer", "create_setup_intent", "retrieve_setup_intent", "list_cards",
            "customer_card", "set_default_payment_method", "default_payment_method",
            "create_customer_session", "set_intent_customer", "detach_payment_method"}


def drive_checkout(g, key) -> set[str]:
    """Hosted Checkout (issue 20): create, pay on the sandbox's hosted page, retrieve, expire."""
    lines = [CheckoutLine("Mug", 1250, 2), CheckoutLine("Shipping", 499, 1)]
    meta = {"order_id": "1", "attempt_id": "1"}
    session = g.create_checkout_session(
        lines=lines, currency="EUR", reference="attempt-1", idempotency_key=key(),
        success_url="http://shop.test/orders/tok?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://shop.test/orders/tok", metadata=meta,
        customer_email="a@example.com", expires_at=int(time.time()) + 3600)
    assert (session.status, session.amount_total, session.currency) == ("open", 2999, "EUR")
    paid = requests.post(session.url, data={"card": CARD_OK}, allow_redirects=False,
                         timeout=10)
    assert paid.headers["Location"] == f"http://shop.test/orders/tok?session_id={session.id}"
    done = g.retrieve_checkout_session(session.id)
    assert (done.status, done.payment_status, done.client_reference_id) == (
        "complete", "paid", "attempt-1")
    assert g.retrieve_payment_intent(done.payment_intent_id).metadata == meta
    other = g.create_checkout_session(
        lines=lines[:1], currency="EUR", reference="attempt-2", idempotency_key=key(),
        success_url="http://shop.test/ok", cancel_url="http://shop.test/no", metadata=meta)
    expired = g.expire_checkout_session(other.id)
    assert (expired.status, expired.url) == ("expired", None)
    return {"create_checkout_session", "retrieve_checkout_session", "expire_checkout_session"}


def test_every_gateway_call_is_valid_at_the_pinned_version(clean_app, stripe_client,
                                                           stripe_sandbox):
    before = clear_log(stripe_sandbox.url)
    called = drive_every_call(stripe_client, stripe_sandbox.url)
    assert called == gateway_methods_calling_stripe(), \
        "a gateway method is not driven here: add it, so the sandbox checks its parameters"

    shop_calls = [r for r in sandbox_requests(stripe_sandbox.url)[before:]
                  if r["stripe_version"] is not None]
    assert shop_calls, "the shop's requests carry Stripe-Version"
    for call in shop_calls:
        assert call["stripe_version"] == STRIPE_API_VERSION, call
        assert call["status"] < 400, call
        assert call["contract"] and call["contract"] != "sandbox-only", call
    routes = {(c["method"], c["route"]) for c in shop_calls}
    assert ("POST", "/v1/payment_intents") in routes
    create = next(c for c in shop_calls if (c["method"], c["route"])
                  == ("POST", "/v1/payment_intents"))
    # Dynamic payment methods, no list; no Stripe receipt (the shop sends its own).
    assert "automatic_payment_methods[enabled]" in create["params"]
    assert not {"payment_method_types", "receipt_email"} & set(create["params"])
    cancel = next(c for c in shop_calls if c["route"] == "/v1/payment_intents/{}/cancel")
    assert "cancellation_reason" in cancel["params"]


def test_a_restricted_method_list_uses_the_pinned_versions_parameter(clean_app,
                                                                     stripe_sandbox):
    restricted = StripeGateway({**clean_app.config, "STRIPE_PAYMENT_METHOD_TYPES": ("card",),
                                "STRIPE_RECEIPTS": True})
    before = clear_log(stripe_sandbox.url)
    intent = restricted.create_payment_intent(
        amount=1200, currency="EUR", idempotency_key=str(uuid.uuid4()), metadata={},
        receipt_email="shopper@example.com")
    assert intent.status == "requires_payment_method"
    (create,) = sandbox_requests(stripe_sandbox.url)[before:]
    assert create["status"] == 200
    assert "allowed_payment_method_types" in create["params"]
    assert "automatic_payment_methods[enabled]" not in create["params"]
    assert "receipt_email" in create["params"]  # STRIPE_RECEIPTS=1 asks Stripe to mail too


def test_the_gateway_source_sends_no_parameter_the_pinned_version_lacks():
    """A cheap guard beside the sandbox: the name the old API used is gone from the code."""
    source = inspect.getsource(StripeGateway)
    assert not re.search(r"[\"']payment_method_types[\"']", source)


def test_readyz_and_the_start_up_log_name_the_version(client, clean_app, caplog):
    import logging

    from shop import create_app

    assert client.get("/readyz").get_json()["stripe_api_version"] == STRIPE_API_VERSION
    with caplog.at_level(logging.INFO, logger="shop"):
        create_app({**clean_app.config, "STRIPE_API_VERSION": "2025-03-31.basil"})
    assert any(r.getMessage() == "Stripe API version 2025-03-31.basil" for r in caplog.records)
