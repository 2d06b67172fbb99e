"""Paystack through its sandbox over HTTP: initialize → hosted page → verify, refunds, webhooks."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shop.providers.base import (
    EventKind,
    InvalidSignature,
    NextStepKind,
    PaymentRequest,
    PaymentStatus,
    ProviderError,
    ProviderUnavailable,
    Unsupported,
)
from shop.providers.paystack import PaystackProvider

from .conftest import PAYSTACK_KEY, control, deliveries, hosted_page


def request(reference: str, amount: int = 250_000) -> PaymentRequest:
    return PaymentRequest(reference=reference, amount=amount, currency="NGN",
                          email="ada@example.test",
                          return_url="http://127.0.0.1:5000/orders/tok?x=1",
                          cancel_url="http://127.0.0.1:5000/orders/tok",
                          metadata={"order_id": "42"})


def pay(paystack, reference: str, amount: int = 250_000) -> None:
    step = paystack.start_payment(request(reference, amount))
    assert hosted_page(step.redirect_url, "pay").status_code == 303


def test_paid_verify_says_succeeded_and_a_signed_webhook_arrives(paystack, catcher):
    step = paystack.start_payment(request("att-1-a"))
    assert step.kind is NextStepKind.REDIRECT
    assert paystack.fetch_payment("att-1-a").status is PaymentStatus.PENDING

    answer = hosted_page(step.redirect_url, "pay")

    assert answer.status_code == 303
    back = urlsplit(answer.headers["location"])
    assert back.path == "/orders/tok"
    assert parse_qs(back.query) == {"x": ["1"], "trxref": ["att-1-a"], "reference": ["att-1-a"]}
    truth = paystack.fetch_payment("att-1-a")
    assert (truth.status, truth.amount, truth.currency, truth.raw_status) == (
        PaymentStatus.SUCCEEDED, 250_000, "NGN", "success")
    headers, body = catcher.wait_for(1)[0]
    event = paystack.parse_webhook(headers, body)
    assert (event.kind, event.reference, event.amount, event.currency) == (
        EventKind.PAYMENT_SUCCEEDED, "att-1-a", 250_000, "NGN")
    assert event.provider_reference == truth.provider_reference
    assert json.loads(body)["data"]["metadata"]["order_id"] == "42"


def test_a_declined_card_is_failed_and_a_new_reference_can_retry(paystack, catcher):
    step = paystack.start_payment(request("att-2-a"))
    assert hosted_page(step.redirect_url, "fail").status_code == 303
    assert paystack.fetch_payment("att-2-a").status is PaymentStatus.FAILED
    # The same page cannot be paid again: a retry is a new attempt with a new reference.
    assert httpx.post(step.redirect_url, data={"outcome": "pay"}).status_code == 409

    pay(paystack, "att-2-b")
    assert paystack.fetch_payment("att-2-b").status is PaymentStatus.SUCCEEDED
    assert len(catcher.wait_for(1)) == 1  # Paystack sends no event for a decline


def test_an_abandoned_payment_stays_pending_and_returns_to_the_cancel_url(paystack, catcher):
    step = paystack.start_payment(request("att-3-a"))
    answer = hosted_page(step.redirect_url, "abandon")
    assert answer.headers["location"] == "http://127.0.0.1:5000/orders/tok"
    truth = paystack.fetch_payment("att-3-a")
    assert (truth.status, truth.raw_status) == (PaymentStatus.PENDING, "abandoned")
    assert catcher.requests == []


def test_an_unknown_reference_is_pending_with_nothing_charged(paystack):
    truth = paystack.fetch_payment("never-started")
    assert (truth.status, truth.amount, truth.provider_reference) == (
        PaymentStatus.PENDING, None, None)


def test_partial_then_full_refund_and_never_more_than_paid(paystack, paystack_sandbox, catcher):
    pay(paystack, "att-4-a")
    partial = paystack.refund("att-4-a", 100_000, currency="NGN", reason="one bag broken")
    assert (partial.amount, partial.currency, partial.status) == (100_000, "NGN", "pending")
    with pytest.raises(ProviderError) as refused:
        paystack.refund("att-4-a", 150_001, currency="NGN")
    assert refused.value.status == 400 and refused.value.code == "invalid_amount"
    rest = paystack.refund("att-4-a", None, currency="NGN")
    assert rest.amount == 150_000

    events = [paystack.parse_webhook(h, b) for h, b in catcher.wait_for(3)]
    refunds = [e for e in events if e.kind is EventKind.REFUND_SUCCEEDED]
    assert sorted(e.amount for e in refunds) == [100_000, 150_000]
    assert {e.reference for e in refunds} == {"att-4-a"}
    assert len({e.event_id for e in refunds}) == 2


def test_a_failed_refund_is_reported_and_leaves_the_amount_refundable(
        paystack, paystack_sandbox, catcher):
    pay(paystack, "att-5-a")
    control(paystack_sandbox, "POST", "/refunds/fail-next")
    paystack.refund("att-5-a", 50_000, currency="NGN")
    events = [paystack.parse_webhook(h, b) for h, b in catcher.wait_for(2)]
    assert events[-1].kind is EventKind.REFUND_FAILED and events[-1].amount == 50_000
    assert paystack.refund("att-5-a", None, currency="NGN").amount == 250_000


def test_webhook_signatures_good_forged_missing_and_a_replay_keeps_its_dedup_key(
        paystack, paystack_sandbox, catcher):
    pay(paystack, "att-6-a")
    headers, body = catcher.wait_for(1)[0]
    first = paystack.parse_webhook(headers, body)

    forged = body.replace(b"250000", b"1")
    with pytest.raises(InvalidSignature):
        paystack.parse_webhook(headers, forged)
    with pytest.raises(InvalidSignature):
        paystack.parse_webhook({"Content-Type": "application/json"}, body)
    other = PaystackProvider(secret_key="sk_test_someone_else", api_base=paystack_sandbox.url)
    with pytest.raises(InvalidSignature):
        other.parse_webhook(headers, body)

    # Paystack signs no timestamp: a replay is caught by its dedup key, not by its age.
    n = deliveries(paystack_sandbox, catcher)[0]["n"]
    assert control(paystack_sandbox, "POST", f"/webhooks/{n}/resend").json()["status"] == 200
    replay_headers, replay_body = catcher.wait_for(2)[1]
    assert paystack.parse_webhook(replay_headers, replay_body).event_id == first.event_id


def test_a_refused_delivery_is_retried_with_the_same_body(paystack, paystack_sandbox, catcher):
    catcher.answers = [500, 503]
    pay(paystack, "att-6-b")
    received = catcher.wait_for(3)
    assert len({body for _headers, body in received}) == 1
    assert {paystack.parse_webhook(h, b).event_id for h, b in received} == {
        f"charge.success:{paystack.fetch_payment('att-6-b').provider_reference}"}
    log = deliveries(paystack_sandbox, catcher)
    assert [entry["statuses"] for entry in log] == [[500, 503, 200]]


def test_capture_and_void_are_unsupported(paystack):
    assert paystack.capabilities.manual_capture is False
    with pytest.raises(Unsupported):
        paystack.capture("att-7-a", 100)
    with pytest.raises(Unsupported):
        paystack.void("att-7-a")


def api(sandbox, method: str, path: str, *, key: str | None = PAYSTACK_KEY,
        body: dict | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, sandbox.url + path, json=body, headers=headers, timeout=10)


@pytest.mark.parametrize(("key", "body", "status", "message"), [
    (None, {"email": "a@b.test", "amount": 100}, 401, "No Authorization header was found"),
    ("sk_test_wrong", {"email": "a@b.test", "amount": 100}, 401, "Invalid key"),
    (PAYSTACK_KEY, {"amount": 100}, 400, "Invalid Email Address Passed"),
    (PAYSTACK_KEY, {"email": "a@b.test"}, 400, "Invalid Amount Sent"),
    (PAYSTACK_KEY, {"email": "a@b.test", "amount": "12.50"}, 400, "Invalid Amount Sent"),
    (PAYSTACK_KEY, {"email": "a@b.test", "amount": 100, "price": 1}, 400,
     "Unknown parameter: price"),
    (PAYSTACK_KEY, {"email": "a@b.test", "amount": 100, "currency": "JPY"}, 400,
     "Currency not supported by merchant"),
])
def test_the_sandbox_refuses_what_paystack_refuses_in_its_error_shape(
        paystack_sandbox, key, body, status, message):
    answer = api(paystack_sandbox, "POST", "/transaction/initialize", key=key, body=body)
    assert answer.status_code == status
    assert answer.json()["status"] is False and answer.json()["message"] == message


def test_a_duplicate_reference_is_refused_by_the_provider_client(paystack):
    paystack.start_payment(request("att-8-a"))
    with pytest.raises(ProviderError) as refused:
        paystack.start_payment(request("att-8-a"))
    assert refused.value.code == "duplicate_reference"


@pytest.mark.parametrize("path", ["/transaction/verify/abc", "/refund/1"])
def test_calls_without_a_query_refuse_one(paystack_sandbox, path):
    answer = httpx.get(f"{paystack_sandbox.url}{path}", params={"perPage": "5"},
                       headers={"Authorization": f"Bearer {PAYSTACK_KEY}"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["code"] == "unknown_parameter"


def test_list_refunds_by_reference_with_our_note_and_the_lost_answer_fault(
        paystack, paystack_sandbox):
    pay(paystack, "att-9-a")
    pay(paystack, "att-9-b")
    paystack.refund("att-9-b", 1_000, currency="NGN")  # another payment's: not listed
    first = paystack.refund("att-9-a", 100_000, currency="NGN", reason="shop refund 7")
    control(paystack_sandbox, "POST", "/refunds/lose-next-answer")
    with pytest.raises(ProviderUnavailable):
        paystack.refund("att-9-a", 50_000, currency="NGN", reason="shop refund 8")
    listed = paystack.list_refunds("att-9-a", currency="NGN")
    assert [(r.amount, r.note, r.reference) for r in listed] == [
        (50_000, "shop refund 8", "att-9-a"), (100_000, "shop refund 7", "att-9-a")]
    assert listed[1].refund_id == first.refund_id and listed[0].created_at is not None
    control(paystack_sandbox, "POST", "/refunds/unavailable-next")
    with pytest.raises(ProviderUnavailable):
        paystack.refund("att-9-a", 1_000, currency="NGN")
    assert len(paystack.list_refunds("att-9-a", currency="NGN")) == 2  # not made


def test_the_refund_list_refuses_an_unknown_parameter(paystack_sandbox):
    answer = api(paystack_sandbox, "GET", "/refund?status=processed")
    assert answer.status_code == 400 and answer.json()["message"] == "Unknown parameter: status"
