"""The Stripe Payment Element as a provider of the protocol (``shop/providers/stripe.py``),
driven against the loopback Stripe sandbox: start, the truth in the protocol's words,
capture, void and refunds, and webhooks verified with the gateway's own check."""

from __future__ import annotations

import json
import secrets
import time

import pytest
import stripe

from shop.domain.payment_methods.payment_choice import OrderFacts, methods_for
from shop.providers.base import (
    EventKind,
    InvalidSignature,
    NextStepKind,
    PaymentRequest,
    PaymentStatus,
    ProviderError,
    ProviderUnavailable,
)
from shop.providers.registry import build_providers, method_rules
from shop.providers.stripe import StripeProvider
from shop.services.payments.settle import ensure_payment_intent

from ..payments import make_order
from ..shopper import sandbox_events, sign


@pytest.fixture
def provider(clean_app) -> StripeProvider:
    return StripeProvider()


def request(amount: int = 2500, *, manual: bool = False, key: str | None = None):
    return PaymentRequest(reference=f"ref-{secrets.token_hex(6)}", amount=amount,
                          currency="USD", email="ada@example.com", return_url="",
                          metadata={"order_id": "7", "attempt_id": "9"},
                          idempotency_key=key or f"pi-create-{secrets.token_hex(8)}",
                          capture_manually=manual)


def started(provider, stripe_client, card: str | None = "pm_card_visa", **kwargs) -> str:
    """An intent started through the provider and, unless ``card`` is None, confirmed as
    Stripe.js would (a decline is an outcome like any other)."""
    intent_id = provider.start_payment(request(**kwargs)).provider_reference
    if card is not None:
        try:
            stripe_client.v1.payment_intents.confirm(intent_id, params={"payment_method": card})
        except stripe.CardError:
            pass  # a decline: the test reads the truth from the intent
    return intent_id


def test_start_gives_the_element_its_intent_and_a_repeat_the_same_one(provider, stripe_client):
    first = request(key="pi-create-repeat-" + secrets.token_hex(4))
    step = provider.start_payment(first)
    assert step.kind is NextStepKind.ELEMENT and step.provider_reference.startswith("pi_")
    assert step.client_secret.startswith(f"{step.provider_reference}_secret_")
    assert "secret" not in repr(provider.gateway.retrieve_payment_intent(step.provider_reference))
    again = provider.start_payment(first)
    assert again.provider_reference == step.provider_reference
    intent = stripe_client.v1.payment_intents.retrieve(step.provider_reference)
    assert (intent.amount, intent.currency, intent.capture_method) == (2500, "usd", "automatic")
    assert intent.metadata.to_dict() == {"order_id": "7", "attempt_id": "9"}
    manual = provider.start_payment(request(manual=True)).provider_reference
    assert stripe_client.v1.payment_intents.retrieve(manual).capture_method == "manual"


@pytest.mark.parametrize(("card", "manual", "status", "amount"), [
    (None, False, PaymentStatus.PENDING, 2500),
    ("pm_card_visa", False, PaymentStatus.SUCCEEDED, 2500),
    ("pm_card_visa", True, PaymentStatus.AUTHORIZED, 2500),
    ("pm_card_visa_chargeDeclined", False, PaymentStatus.FAILED, 2500),
])
def test_fetch_says_what_the_intent_says(provider, stripe_client, card, manual, status, amount):
    intent_id = started(provider, stripe_client, card, manual=manual)
    payment = provider.fetch_payment(intent_id)
    assert (payment.status, payment.amount, payment.currency) == (status, amount, "USD")
    assert payment.reference == payment.provider_reference == intent_id


def test_capture_a_part_then_refund_a_part(provider, stripe_client):
    intent_id = started(provider, stripe_client, manual=True)
    captured = provider.capture(intent_id, 1500, idempotency_key=f"cap-{intent_id}")
    assert (captured.status, captured.amount) == (PaymentStatus.SUCCEEDED, 1500)
    key = f"re-{intent_id}"
    refund = provider.refund(intent_id, 500, currency="USD", reason="requested_by_customer",
                             idempotency_key=key, metadata={"transaction_id": "41"})
    assert (refund.status, refund.amount, refund.reference) == ("succeeded", 500, intent_id)
    # The same key is the same refund, not a second one.
    assert provider.refund(intent_id, 500, currency="USD", reason="requested_by_customer",
                           idempotency_key=key,
                           metadata={"transaction_id": "41"}).refund_id == refund.refund_id
    assert provider.fetch_refund(refund.refund_id, reference=intent_id,
                                 currency="USD") == refund
    assert [r.refund_id for r in provider.list_refunds(intent_id, currency="USD")] == \
        [refund.refund_id]
    at_stripe = stripe_client.v1.refunds.retrieve(refund.refund_id)
    assert (at_stripe.reason, at_stripe.metadata.to_dict()) == (
        "requested_by_customer", {"transaction_id": "41"})
    with pytest.raises(ProviderError) as refused:
        provider.refund(intent_id, 5000, currency="USD", idempotency_key=f"too-much-{key}")
    assert not isinstance(refused.value, ProviderUnavailable) and refused.value.permanent


def test_void_cancels_an_authorization(provider, stripe_client):
    intent_id = started(provider, stripe_client, manual=True)
    assert provider.list_refunds(intent_id, currency="USD") == []  # no charge yet
    voided = provider.void(intent_id, idempotency_key=f"void-{intent_id}")
    assert voided.status is PaymentStatus.CANCELED
    assert provider.fetch_payment(intent_id).status is PaymentStatus.CANCELED


def test_an_unknown_intent_is_a_refusal(provider):
    with pytest.raises(ProviderError) as refused:
        provider.fetch_payment("pi_does_not_exist")
    assert refused.value.status == 404 and refused.value.code == "resource_missing"


def test_stripe_away_is_unavailable_and_the_retry_keeps_the_key(provider, fault_proxy):
    fault_proxy.add("POST", "/v1/payment_intents$", "drop", times=1)
    sent = request()
    with pytest.raises(ProviderUnavailable) as away:
        provider.start_payment(sent)
    assert away.value.code == "api_connection_error" and not away.value.permanent
    step = provider.start_payment(sent)
    keys = [seen.idempotency_key for seen in fault_proxy.seen("POST", "/v1/payment_intents")]
    assert keys == [sent.idempotency_key, sent.idempotency_key] and step.provider_reference


def test_the_shop_starts_the_element_with_the_attempts_key(clean_app, store, product,
                                                           fault_proxy, stripe_client):
    order = make_order(store, product, capture_method="automatic")
    attempt = ensure_payment_intent(order_id=order.id)
    [seen] = fault_proxy.seen("POST", "/v1/payment_intents")
    assert seen.idempotency_key == attempt.idempotency_key
    intent = stripe_client.v1.payment_intents.retrieve(attempt.provider_reference)
    assert (intent.amount, intent.capture_method, intent.metadata["attempt_id"]) == (
        product.price, "automatic", str(attempt.id))


def _signed(event: dict, **sign_args) -> tuple[dict[str, str], bytes]:
    body = json.dumps(event).encode()
    return {"Stripe-Signature": sign(body, **sign_args)}, body


def test_a_signed_event_in_the_protocols_words(provider, stripe_client):
    intent_id = started(provider, stripe_client)
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    parsed = provider.parse_webhook(*_signed(event))
    assert (parsed.provider, parsed.event_id, parsed.kind) == (
        "stripe", event["id"], EventKind.PAYMENT_SUCCEEDED)
    assert (parsed.reference, parsed.amount, parsed.currency) == (intent_id, 2500, "USD")
    [created] = sandbox_events(stripe_client, intent_id, "payment_intent.created")
    assert provider.parse_webhook(*_signed(created)).kind is EventKind.IGNORED


def test_a_refund_event_names_the_intent(provider, stripe_client):
    intent_id = started(provider, stripe_client)
    refund = provider.refund(intent_id, 700, currency="USD", idempotency_key=f"re-{intent_id}")
    events = stripe_client.v1.events.list(params={"type": "refund.created", "limit": 100})
    [event] = [e.to_dict() for e in events.data
               if e.data.object["id"] == refund.refund_id]
    parsed = provider.parse_webhook(*_signed(event))
    assert (parsed.kind, parsed.reference, parsed.amount, parsed.provider_reference) == (
        EventKind.REFUND_SUCCEEDED, intent_id, 700, refund.refund_id)


@pytest.mark.parametrize("forgery", [
    {"secret": "whsec_someone_else"},
    {"timestamp": int(time.time()) - 3600},  # stale: outside the tolerance
    {"timestamp": int(time.time()) + 3600},  # from the future
])
def test_a_forged_or_stale_event_is_refused(provider, stripe_client, forgery):
    intent_id = started(provider, stripe_client)
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    with pytest.raises(InvalidSignature):
        provider.parse_webhook(*_signed(event, **forgery))
    with pytest.raises(InvalidSignature):
        provider.parse_webhook({}, json.dumps(event).encode())


def test_the_registry_builds_stripe_beside_the_gateways(clean_app, gateway_processes):
    providers = build_providers(clean_app.config)
    assert sorted(providers) == ["flutterwave", "paystack", "stripe"]
    assert providers["stripe"].gateway is clean_app.extensions["stripe_gateway"]
    enabled = ["stripe", "stripe_checkout", "paystack", "flutterwave", "bank_transfer", "cod"]
    rules = method_rules({**clean_app.config, "COD_MAX_AMOUNT": None}, providers, enabled)
    lagos = OrderFacts(amount=2_500_000, currency="NGN", country="NG", store_country="NG")
    assert methods_for(lagos, rules) == enabled
    geneva = OrderFacts(amount=1_000, currency="CHF", country="CH", store_country="NG")
    assert methods_for(geneva, rules) == ["stripe", "stripe_checkout", "bank_transfer"]
    assert sorted(build_providers(clean_app.config, ["stripe", "cod"])) == ["stripe"]
