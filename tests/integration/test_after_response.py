"""A paying webhook answers before its receipt job is handed to RQ: the hand-on waits until
the response has been sent (``shop/after_response.py``), and is not lost if it never runs."""

from __future__ import annotations

import json
from datetime import timedelta

from redis import Redis
from rq import Queue
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, OutboxMessage
from shop.models.types import utcnow
from shop.services.notifications.outbox import dispatch_pending

from ..background import app_settings
from ..shopper import CARD_OK, intent_id_from_secret, sandbox_events, sign


def paid_event(shopper, product, browser, stripe_client) -> tuple[str, dict]:
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    browser.confirm(secret, CARD_OK)
    [event] = sandbox_events(stripe_client, intent_id_from_secret(secret),
                             "payment_intent.succeeded")
    return token, event


def deliver_unclosed(app, event: dict):
    """Post the event and read the answer without closing it, as a client reads a response
    whose server has not yet closed it."""
    payload = json.dumps(event).encode()
    return app.test_client().post("/webhooks/stripe", data=payload, buffered=False,
                                  content_type="application/json",
                                  headers={"Stripe-Signature": sign(payload)})


def receipt_row() -> OutboxMessage:
    db.session.rollback()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.job == "send_receipt"))


def test_the_receipt_is_enqueued_once_the_answer_is_sent(app, redis_url, shopper, product,
                                                         browser, stripe_client):
    queue = Queue("default", connection=Redis.from_url(redis_url))
    with app_settings(app, REDIS_URL=redis_url):
        token, event = paid_event(shopper, product, browser, stripe_client)
        response = deliver_unclosed(app, event)

        assert response.status_code == 200
        assert response.get_json()["outcome"] == "processed"
        db.session.rollback()
        assert db.session.scalar(select(Order.payment_status)
                                 .where(Order.token == token)) == "paid"
        row = receipt_row()
        assert row.dispatched_at is None and queue.count == 0  # not yet handed on

        response.close()  # what the server does once the last byte is out

    row = receipt_row()
    assert row.dispatched_at is not None
    assert queue.job_ids == [f"outbox-{row.id}"]


def test_a_hand_on_that_never_ran_is_taken_by_the_dispatcher(app, redis_url, shopper, product,
                                                               browser, stripe_client):
    """The worker died between the answer and the hand-on: the row's lease runs out and the
    periodic dispatcher enqueues it, once."""
    queue = Queue("default", connection=Redis.from_url(redis_url))
    with app_settings(app, REDIS_URL=redis_url):
        _, event = paid_event(shopper, product, browser, stripe_client)
        response = deliver_unclosed(app, event)
        assert response.status_code == 200  # and never closed

        assert dispatch_pending() == 0  # the lease still runs: nobody takes it yet
        assert dispatch_pending(now=utcnow() + timedelta(minutes=3)) == 1
        assert dispatch_pending(now=utcnow() + timedelta(minutes=3)) == 0

    row = receipt_row()
    assert row.dispatched_at is not None
    assert queue.job_ids == [f"outbox-{row.id}"]
