"""Stripe's side of the webhook benchmark: pay the PaymentIntents of pending orders at the
sandbox, collect the ``payment_intent.succeeded`` events it logged, and sign them as Stripe
signs a delivery (``t=<timestamp>,v1=<HMAC-SHA256 of "t.body">``, ``harness.WEBHOOK_SECRET``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor

import stripe
from sqlalchemy import select

from bench.harness import WEBHOOK_SECRET

CARD = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}


def intent_ids(app, order_tokens: list[str]) -> list[str]:
    """The PaymentIntent of each order (by its token), in the same order."""
    from shop.extensions import db
    from shop.models import Order, PaymentAttempt

    with app.app_context():
        rows = dict(db.session.execute(
            select(Order.token, PaymentAttempt.provider_reference)
            .join(PaymentAttempt, PaymentAttempt.order_id == Order.id)
            .where(Order.token.in_(order_tokens))).all())
        db.session.remove()
    missing = [token for token in order_tokens if not rows.get(token)]
    if missing:
        raise RuntimeError(f"{len(missing)} orders have no PaymentIntent")
    return [rows[token] for token in order_tokens]


def confirm_intents(app, sandbox_url: str, order_tokens: list[str], *,
                    threads: int = 8) -> list[dict]:
    """Pay every order's PaymentIntent with a test card at the sandbox; returns the
    ``payment_intent.succeeded`` events Stripe logged for them (one per order)."""
    ids = intent_ids(app, order_tokens)
    client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": sandbox_url})

    def pay(intent_id: str) -> None:
        method = client.v1.payment_methods.create(params={"type": "card", "card": CARD})
        paid = client.v1.payment_intents.confirm(intent_id, params={
            "payment_method": method.id, "return_url": "http://127.0.0.1/"})
        if paid.status != "succeeded":
            raise RuntimeError(f"{intent_id} is {paid.status} after confirming")

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(pay, ids))
    wanted = set(ids)
    events = {}
    for found in client.v1.events.list(params={"type": "payment_intent.succeeded",
                                               "limit": 100}).auto_paging_iter():
        intent_id = found.data.object.id
        if intent_id in wanted:
            events[intent_id] = found.to_dict()
    if len(events) != len(ids):
        raise RuntimeError(f"the sandbox logged {len(events)} events for {len(ids)} payments")
    return [events[intent_id] for intent_id in ids]


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload,
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signed_delivery(event: dict) -> dict:
    """A request for ``bench.loadgen``: the event's JSON body and its Stripe-Signature
    (valid for the endpoint's tolerance, five minutes by default)."""
    body = json.dumps(event)
    return {"method": "POST", "path": "/webhooks/stripe", "body": body,
            "headers": {"Content-Type": "application/json",
                        "Stripe-Signature": sign(body.encode())}}
