import json
import time

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import StripeEvent

from ..shopper import post_event, sign


def event(event_id="evt_test_1", event_type="payment_intent.succeeded", intent="pi_unknown"):
    return {"id": event_id, "object": "event", "type": event_type, "created": int(time.time()),
            "data": {"object": {"id": intent, "object": "payment_intent"}}}


def stored():
    return db.session.scalar(select(func.count(StripeEvent.id)))


def post_raw(client, payload: bytes, signature: str | None):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers=headers)


@pytest.mark.parametrize("case", ["missing", "wrong_secret", "stale", "future", "garbage",
                                  "tampered_body"])
def test_bad_signatures_are_400_and_record_nothing(client, store, case):
    payload = json.dumps(event()).encode()
    now = int(time.time())
    signature = {
        "missing": None,
        "wrong_secret": sign(payload, secret="whsec_wrong"),
        "stale": sign(payload, timestamp=now - 3600),
        "future": sign(payload, timestamp=now + 3600),
        "garbage": "t=abc,v1=zzz",
        "tampered_body": sign(payload),
    }[case]
    if case == "tampered_body":
        payload = payload.replace(b"pi_unknown", b"pi_other00")
    response = post_raw(client, payload, signature)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_signature"
    assert stored() == 0


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": "x"}',
                                  b'{"object": "event", "id": "e", "type": "t"}'])
def test_signed_body_that_is_not_an_event_is_400(client, store, body):
    response = post_raw(client, body, sign(body))
    assert response.status_code == 400
    assert stored() == 0


def test_oversized_body_is_refused(client, store):
    payload = b"{" + b" " * (300 * 1024) + b"}"
    assert post_raw(client, payload, sign(payload)).status_code == 413


def test_unknown_type_is_acknowledged_and_kept(client, store):
    response = post_event(client, event(event_type="customer.created"))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    assert db.session.scalar(select(StripeEvent.outcome)) == "ignored"


def test_unknown_payment_intent_is_acknowledged_for_reconciliation(client, store):
    response = post_event(client, event(intent="pi_not_ours"))
    assert response.status_code == 200 and response.get_json()["outcome"] == "unmatched"
    row = db.session.scalar(select(StripeEvent))
    assert (row.outcome, row.payment_intent_id) == ("unmatched", "pi_not_ours")


def test_get_is_not_allowed(client, store):
    assert client.get("/webhooks/stripe").status_code == 405
