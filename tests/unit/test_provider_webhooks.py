"""Webhook verification and translation of both providers, with fixed vectors (no network)."""

from __future__ import annotations

import json

import pytest

from shop.providers.base import EventKind, InvalidSignature, ProviderError
from shop.providers.flutterwave import FlutterwaveProvider, to_minor
from shop.providers.paystack import PaystackProvider, signature

# Computed with: printf '%s' BODY | openssl dgst -sha512 -hmac sk_test_x
BODY = (b'{"event":"charge.success","data":{"id":1,"reference":"att-1","amount":250000,'
        b'"currency":"NGN"}}')
OPENSSL_SHA512 = ("814aa4a588059448c70be36f682e65598b4cf3b629c9976e13d73e1b8f32e43f"
                  "f1d88d0736d3a645859e8f8dc50de9e8bbc62077289fba11d26ddaf13a7dbbe7")

# Nothing is sent: these clients are only asked to parse webhooks.
PAYSTACK = PaystackProvider(secret_key="sk_test_x", api_base="http://127.0.0.1:9")
FLW = FlutterwaveProvider(secret_key="FLWSECK_TEST-x", secret_hash="hash-x",
                          api_base="http://127.0.0.1:9")


def signed(payload: dict) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    return {"X-Paystack-Signature": signature(body, "sk_test_x")}, body


def test_paystack_signature_matches_openssl():
    assert signature(BODY, "sk_test_x") == OPENSSL_SHA512
    event = PAYSTACK.parse_webhook({"x-paystack-signature": OPENSSL_SHA512}, BODY)
    assert (event.event_id, event.kind, event.reference, event.amount) == (
        "charge.success:1", EventKind.PAYMENT_SUCCEEDED, "att-1", 250_000)


@pytest.mark.parametrize("headers", [
    {},
    {"x-paystack-signature": ""},
    {"x-paystack-signature": OPENSSL_SHA512[:-1] + "0"},
    {"x-paystack-signature": "sha512=" + OPENSSL_SHA512},
])
def test_paystack_refuses_a_missing_or_wrong_signature(headers):
    with pytest.raises(InvalidSignature):
        PAYSTACK.parse_webhook(headers, BODY)


def test_paystack_refund_events_take_string_amounts_and_key_on_the_refund():
    headers, body = signed({"event": "refund.processed", "data": {
        "status": "processed", "transaction_reference": "att-1", "refund_reference": "RF1",
        "amount": "5000", "currency": "NGN"}})
    event = PAYSTACK.parse_webhook(headers, body)
    assert (event.kind, event.reference, event.amount, event.event_id) == (
        EventKind.REFUND_SUCCEEDED, "att-1", 5000, "refund.processed:RF1")


def test_paystack_unknown_events_are_ignored_with_a_stable_key():
    headers, body = signed({"event": "transfer.success", "data": {"id": 9}})
    first = PAYSTACK.parse_webhook(headers, body)
    assert first.kind is EventKind.IGNORED
    assert PAYSTACK.parse_webhook(headers, body).event_id == first.event_id


def test_a_signed_body_that_is_not_an_object_is_refused():
    body = b"[1, 2]"
    with pytest.raises(InvalidSignature):
        PAYSTACK.parse_webhook({"x-paystack-signature": signature(body, "sk_test_x")}, body)


def test_paystack_refuses_a_fractional_amount_in_a_signed_event():
    headers, body = signed({"event": "charge.success", "data": {
        "id": 1, "reference": "a", "amount": "12.5", "currency": "NGN"}})
    with pytest.raises(ProviderError):
        PAYSTACK.parse_webhook(headers, body)


def test_flutterwave_maps_charges_and_refunds():
    charge = json.dumps({"event": "charge.completed", "data": {
        "id": 77, "tx_ref": "att-1", "amount": 75.5, "currency": "NGN",
        "status": "successful"}}).encode()
    event = FLW.parse_webhook({"Verif-Hash": "hash-x"}, charge)
    assert (event.kind, event.reference, event.amount, event.event_id) == (
        EventKind.PAYMENT_SUCCEEDED, "att-1", 7550, "charge.completed:77:successful")
    refund = json.dumps({"event": "refund.completed", "data": {
        "id": 5, "tx_id": 77, "tx_ref": "att-1", "amount_refunded": 10, "currency": "NGN",
        "status": "failed"}}).encode()
    assert FLW.parse_webhook({"verif-hash": "hash-x"}, refund).kind is EventKind.REFUND_FAILED


@pytest.mark.parametrize("headers", [{}, {"verif-hash": "hash-y"}, {"verif-hash": ""}])
def test_flutterwave_refuses_a_missing_or_wrong_hash(headers):
    with pytest.raises(InvalidSignature):
        FLW.parse_webhook(headers, b'{"event":"charge.completed","data":{}}')


@pytest.mark.parametrize(("value", "currency", "minor"), [
    (7500, "NGN", 750_000), ("75.50", "NGN", 7550), (75.5, "NGN", 7550), (1200, "UGX", 1200),
])
def test_flutterwave_major_units_become_minor_units(value, currency, minor):
    assert to_minor(value, currency) == minor


@pytest.mark.parametrize(("value", "currency"), [
    ("75.505", "NGN"), ("12.5", "UGX"), ("abc", "NGN"), (-1, "NGN"), (True, "NGN"),
])
def test_flutterwave_amounts_that_are_not_whole_minor_units_are_refused(value, currency):
    with pytest.raises(ProviderError):
        to_minor(value, currency)
