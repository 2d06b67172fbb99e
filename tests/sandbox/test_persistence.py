"""``make dev``'s sandbox keeps its objects across restarts (``--store-path``): earlier
orders can still be refunded and their payment pages still open."""

from __future__ import annotations

import pytest
import stripe

from tests.services import Sandbox


def client_for(sandbox: Sandbox) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sandbox", base_addresses={"api": sandbox.url})


def test_objects_survive_a_restart(tmp_path):
    path = tmp_path / "stripe-sandbox.pickle"
    first = Sandbox(extra_args=("--store-path", str(path)))
    try:
        client = client_for(first)
        intent = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
        method = client.v1.payment_methods.create(params={
            "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                     "exp_year": 2034, "cvc": "123"}})
        client.v1.payment_intents.confirm(intent.id, params={
            "payment_method": method.id, "return_url": "http://shop.test/"})
    finally:
        first.stop()
    assert path.exists()

    second = Sandbox(extra_args=("--store-path", str(path)))
    try:
        client = client_for(second)
        again = client.v1.payment_intents.retrieve(intent.id)
        assert (again.status, again.client_secret) == ("succeeded", intent.client_secret)
        refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 500})
        assert refund.status == "succeeded"
    finally:
        second.stop()


def test_without_a_store_path_a_restart_starts_empty():
    first = Sandbox()
    try:
        intent = client_for(first).v1.payment_intents.create(
            params={"amount": 2000, "currency": "usd"})
    finally:
        first.stop()
    second = Sandbox()
    try:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client_for(second).v1.payment_intents.retrieve(intent.id)
        assert raised.value.code == "resource_missing"
    finally:
        second.stop()
