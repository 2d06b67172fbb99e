"""Flutterwave (v3) through its sandbox over HTTP: payment link → hosted page → verify by
reference, refunds, and webhooks checked against the secret hash."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
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
from shop.providers.flutterwave import _session_duration

from .conftest import FLW_KEY, control, deliveries, hosted_page


def request(reference: str, amount: int = 750_050) -> PaymentRequest:
    return PaymentRequest(reference=reference, amount=amount, currency="NGN",
                          email="ada@example.test",
                          return_url="http://127.0.0.1:5000/orders/tok",
                          metadata={"order_id": "42"})


def pay(flutterwave, reference: str) -> None:
    step = flutterwave.start_payment(request(reference))
    assert hosted_page(step.redirect_url, "pay").status_code == 303


def test_paid_verify_by_reference_says_succeeded_in_minor_units(flutterwave, catcher):
    step = flutterwave.start_payment(request("att-1-a"))
    assert step.kind is NextStepKind.REDIRECT

    answer = hosted_page(step.redirect_url, "pay")

    back = urlsplit(answer.headers["location"])
    query = parse_qs(back.query)
    assert back.path == "/orders/tok"
    assert (query["status"], query["tx_ref"]) == (["successful"], ["att-1-a"])
    truth = flutterwave.fetch_payment("att-1-a")
    # 7500.50 NGN on the wire is 750050 kobo on our side.
    assert (truth.status, truth.amount, truth.currency) == (
        PaymentStatus.SUCCEEDED, 750_050, "NGN")
    assert query["transaction_id"] == [truth.provider_reference]
    headers, body = catcher.wait_for(1)[0]
    event = flutterwave.parse_webhook(headers, body)
    assert (event.kind, event.reference, event.amount, event.provider_reference) == (
        EventKind.PAYMENT_SUCCEEDED, "att-1-a", 750_050, truth.provider_reference)


def test_a_declined_card_is_failed_with_a_failed_event_then_a_new_reference_pays(
        flutterwave, catcher):
    step = flutterwave.start_payment(request("att-2-a"))
    answer = hosted_page(step.redirect_url, "fail")
    assert parse_qs(urlsplit(answer.headers["location"]).query)["status"] == ["failed"]
    assert flutterwave.fetch_payment("att-2-a").status is PaymentStatus.FAILED
    headers, body = catcher.wait_for(1)[0]
    assert flutterwave.parse_webhook(headers, body).kind is EventKind.PAYMENT_FAILED
    with pytest.raises(ProviderError) as refused:
        flutterwave.start_payment(request("att-2-a"))
    assert refused.value.status == 400

    pay(flutterwave, "att-2-b")
    assert flutterwave.fetch_payment("att-2-b").status is PaymentStatus.SUCCEEDED


def test_a_cancelled_payment_charges_nothing_and_stays_pending(flutterwave, catcher):
    step = flutterwave.start_payment(request("att-3-a"))
    answer = hosted_page(step.redirect_url, "cancel")
    assert parse_qs(urlsplit(answer.headers["location"]).query) == {
        "status": ["cancelled"], "tx_ref": ["att-3-a"]}
    truth = flutterwave.fetch_payment("att-3-a")
    assert (truth.status, truth.provider_reference) == (PaymentStatus.PENDING, None)
    assert catcher.requests == []


def test_partial_then_full_refund_never_more_than_paid(flutterwave, catcher):
    pay(flutterwave, "att-4-a")
    partial = flutterwave.refund("att-4-a", 250_025, currency="NGN", reason="one bag broken")
    assert (partial.amount, partial.status) == (250_025, "pending")
    with pytest.raises(ProviderError) as refused:
        flutterwave.refund("att-4-a", 500_026, currency="NGN")
    assert refused.value.status == 400
    assert flutterwave.refund("att-4-a", None, currency="NGN").amount == 500_025

    events = [flutterwave.parse_webhook(h, b) for h, b in catcher.wait_for(3)]
    refunds = [e for e in events if e.kind is EventKind.REFUND_SUCCEEDED]
    assert sorted(e.amount for e in refunds) == [250_025, 500_025]
    assert {e.reference for e in refunds} == {"att-4-a"}


def test_a_failed_refund_is_reported_and_the_amount_stays_refundable(
        flutterwave, flutterwave_sandbox, catcher):
    pay(flutterwave, "att-5-a")
    control(flutterwave_sandbox, "POST", "/refunds/fail-next")
    flutterwave.refund("att-5-a", 100, currency="NGN")
    events = [flutterwave.parse_webhook(h, b) for h, b in catcher.wait_for(2)]
    assert (events[-1].kind, events[-1].amount) == (EventKind.REFUND_FAILED, 100)
    assert flutterwave.refund("att-5-a", None, currency="NGN").amount == 750_050


def test_a_refund_of_an_unpaid_reference_or_in_another_currency_is_refused(flutterwave):
    with pytest.raises(ProviderError) as refused:
        flutterwave.refund("never-paid", None, currency="NGN")
    assert refused.value.code == "not_refundable"
    pay(flutterwave, "att-5-b")
    with pytest.raises(ProviderError) as refused:
        flutterwave.refund("att-5-b", 100, currency="USD")
    assert refused.value.code == "currency_mismatch"
    assert flutterwave.refund("att-5-b", None, currency="NGN").amount == 750_050


def test_verif_hash_good_wrong_missing_and_a_replay_keeps_its_dedup_key(
        flutterwave, flutterwave_sandbox, catcher):
    pay(flutterwave, "att-6-a")
    headers, body = catcher.wait_for(1)[0]
    first = flutterwave.parse_webhook(headers, body)
    wrong = {**headers, "verif-hash": "guessed"}
    with pytest.raises(InvalidSignature):
        flutterwave.parse_webhook(wrong, body)
    without = {k: v for k, v in headers.items() if k.lower() != "verif-hash"}
    with pytest.raises(InvalidSignature):
        flutterwave.parse_webhook(without, body)

    n = deliveries(flutterwave_sandbox, catcher)[0]["n"]
    assert control(flutterwave_sandbox, "POST", f"/webhooks/{n}/resend").json()["status"] == 200
    replay_headers, replay_body = catcher.wait_for(2)[1]
    assert flutterwave.parse_webhook(replay_headers, replay_body).event_id == first.event_id


def test_reconciliation_finds_the_truth_when_every_delivery_failed(
        flutterwave, flutterwave_sandbox, catcher):
    catcher.answers = [500, 500, 500]
    pay(flutterwave, "att-7-a")
    pending = flutterwave.start_payment(request("att-7-b"))
    assert len(catcher.wait_for(3)) == 3
    log = deliveries(flutterwave_sandbox, catcher)
    assert [entry["statuses"] for entry in log] == [[500, 500, 500]]
    # What a reconciliation job does for each stuck attempt: ask by our reference.
    truths = {ref: flutterwave.fetch_payment(ref) for ref in ("att-7-a", "att-7-b")}
    assert truths["att-7-a"].status is PaymentStatus.SUCCEEDED
    assert truths["att-7-a"].amount == 750_050
    assert truths["att-7-b"].status is PaymentStatus.PENDING
    assert pending.redirect_url


def test_capture_and_void_are_unsupported(flutterwave):
    with pytest.raises(Unsupported):
        flutterwave.capture("x", 1)
    with pytest.raises(Unsupported):
        flutterwave.void("x")


@pytest.mark.parametrize(("key", "body", "status", "message"), [
    ("FLWSECK_TEST-wrong", {}, 401, "Invalid authorization key"),
    (FLW_KEY, {"amount": "10", "redirect_url": "http://x.test/r",
               "customer": {"email": "a@b.test"}}, 400, "tx_ref is required"),
    (FLW_KEY, {"tx_ref": "r1", "amount": "10.005", "redirect_url": "http://x.test/r",
               "customer": {"email": "a@b.test"}}, 400,
     "amount must be a positive NGN amount with at most 2 decimals"),
    (FLW_KEY, {"tx_ref": "r1", "amount": "10", "redirect_url": "http://x.test/r",
               "customer": {"email": "a@b.test"}, "price": 1}, 400, "price is not allowed"),
    (FLW_KEY, {"tx_ref": "r1", "amount": "10", "redirect_url": "http://x.test/r",
               "customer": {"name": "Ada"}}, 400, "customer.email is required"),
])
def test_the_sandbox_refuses_what_flutterwave_refuses_in_its_error_shape(
        flutterwave_sandbox, key, body, status, message):
    answer = httpx.post(f"{flutterwave_sandbox.url}/v3/payments", json=body,
                        headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == status
    assert answer.json() == {"status": "error", "message": message, "data": None}


def test_verify_by_reference_refuses_unknown_query_parameters(flutterwave_sandbox):
    answer = httpx.get(f"{flutterwave_sandbox.url}/v3/transactions/verify_by_reference",
                       params={"tx_ref": "a", "id": "1"},
                       headers={"Authorization": f"Bearer {FLW_KEY}"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["message"] == "id is not allowed"


def test_amounts_go_out_in_major_units(flutterwave, flutterwave_sandbox):
    step = flutterwave.start_payment(request("att-9-a", amount=1_005))
    page = httpx.get(step.redirect_url, timeout=10).text
    assert f"NGN {Decimal('10.05')}" in page


@pytest.mark.parametrize("path", ["/v3/refunds/1", "/v3/transactions/1/verify"])
def test_calls_without_a_query_refuse_one(flutterwave_sandbox, path):
    answer = httpx.get(f"{flutterwave_sandbox.url}{path}", params={"expand": "x"},
                       headers={"Authorization": f"Bearer {FLW_KEY}"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["message"] == "expand is not allowed"


def test_list_refunds_of_a_payment_with_our_note_and_the_lost_answer_fault(
        flutterwave, flutterwave_sandbox):
    assert flutterwave.list_refunds("never-paid", currency="NGN") == []
    pay(flutterwave, "att-9-a")
    pay(flutterwave, "att-9-b")
    flutterwave.refund("att-9-b", 100, currency="NGN")  # another payment's: not listed
    first = flutterwave.refund("att-9-a", 250_025, currency="NGN", reason="shop refund 7")
    control(flutterwave_sandbox, "POST", "/refunds/lose-next-answer")
    with pytest.raises(ProviderUnavailable):
        flutterwave.refund("att-9-a", 100_000, currency="NGN", reason="shop refund 8")
    listed = flutterwave.list_refunds("att-9-a", currency="NGN")
    assert [(r.amount, r.note, r.currency) for r in listed] == [
        (100_000, "shop refund 8", "NGN"), (250_025, "shop refund 7", "NGN")]
    assert listed[1].refund_id == first.refund_id and listed[0].created_at is not None
    control(flutterwave_sandbox, "POST", "/refunds/unavailable-next")
    with pytest.raises(ProviderUnavailable):
        flutterwave.refund("att-9-a", 100, currency="NGN")
    assert len(flutterwave.list_refunds("att-9-a", currency="NGN")) == 2  # not made


def test_the_refund_list_refuses_an_unknown_parameter(flutterwave_sandbox):
    answer = httpx.get(f"{flutterwave_sandbox.url}/v3/refunds", params={"expand": "x"},
                       headers={"Authorization": f"Bearer {FLW_KEY}"}, timeout=10)
    assert answer.status_code == 400 and answer.json()["message"] == "expand is not allowed"


def test_the_refund_list_is_read_page_by_page(flutterwave):
    pay(flutterwave, "att-9-c")
    for n in range(21):  # the list's pages hold 20
        flutterwave.refund("att-9-c", 100, currency="NGN", reason=f"shop refund {n}")
    listed = flutterwave.list_refunds("att-9-c", currency="NGN")
    assert sorted(int(r.note.split()[-1]) for r in listed) == list(range(21))


@pytest.mark.parametrize(("minutes_left", "sent"), [
    (0.2, 1), (14.01, 15), (30, 30), (3 * 24 * 60, 1440),  # within Flutterwave's 1 to 1 440
])
def test_the_page_is_told_to_close_when_the_shop_gives_up(flutterwave, flutterwave_sandbox,
                                                          minutes_left, sent):
    now = datetime.now(UTC)
    closes = now + timedelta(minutes=minutes_left)
    assert _session_duration(closes, now) == {"session_duration": sent}
    reference = f"att-close-{sent}"
    step = flutterwave.start_payment(replace(request(reference), closes_at=closes))
    session = httpx.get(f"{flutterwave_sandbox.url}/_sandbox/payments/{reference}/session",
                        timeout=10).json()
    # The sandbox took it (it refuses a duration outside 1 to 1 440) and counts from now.
    assert abs(session["closes_at"] - (time.time() + sent * 60)) < 30
    httpx.post(f"{flutterwave_sandbox.url}/_sandbox/payments/{reference}/session",
               params={"close": "1"}, timeout=10).raise_for_status()
    assert httpx.get(step.redirect_url, timeout=10).status_code == 410


def test_no_closing_time_sends_no_session_duration():
    assert _session_duration(None) == {}


@pytest.mark.parametrize("duration", [0, 1441, "30", 2.5])
def test_the_sandbox_refuses_a_session_duration_flutterwave_would(flutterwave_sandbox, duration):
    answer = httpx.post(f"{flutterwave_sandbox.url}/v3/payments", timeout=10,
                        headers={"Authorization": f"Bearer {FLW_KEY}"},
                        json={"tx_ref": f"att-bad-{duration}", "amount": 100, "currency": "NGN",
                              "redirect_url": "http://127.0.0.1:5000/orders/tok",
                              "customer": {"email": "ada@example.test"},
                              "session_duration": duration})
    assert answer.status_code == 400 and "session_duration" in answer.json()["message"]
