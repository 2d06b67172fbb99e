"""Every payment_intent event type, every order of every pair, failures kept and replayed.

The PaymentIntent is really driven in the sandbox; its events are taken from the sandbox's
event log and posted, signed as Stripe signs them, to the real endpoint.
"""

from __future__ import annotations

import copy
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shop.extensions import db
from shop.models import (
    AuditEvent,
    InventoryHold,
    Order,
    PaymentAttempt,
    Product,
    SentEmail,
    StripeEvent,
)
from shop.models.types import utcnow
from shop.providers.stripe_gateway import GatewayError
from shop.services.webhooks.events import EventNotFound, EventNotReplayable, replay_event

from ..shopper import post_event
from .payment_scenarios import PAYMENT_EVENTS, IntentDriver, stripe_unreachable

PAID = ("paid", "paid", "captured")
AUTHORIZED = ("pending", "authorized", "authorized")
PROCESSING = ("pending", "processing", "authorizing")
FAILED = ("pending", "failed", "initiated")
CANCELED = ("canceled", "unpaid", "canceled")

# Each pair of events, the history of a real intent that emits both (ending with the later
# one, so its truth is the final state), and that final state: (order, payment, attempt).
PAIRS = {
    frozenset({"processing", "requires_action"}):
        (["confirm_3ds", "auth_fail", "confirm_processing"], PROCESSING),
    frozenset({"processing", "amount_capturable_updated"}):
        (["confirm_processing_manual", "settle_ok"], AUTHORIZED),
    frozenset({"processing", "succeeded"}): (["confirm_processing", "settle_ok"], PAID),
    frozenset({"processing", "payment_failed"}): (["confirm_processing", "settle_fail"], FAILED),
    frozenset({"processing", "canceled"}): (["confirm_processing", "cancel"], CANCELED),
    frozenset({"requires_action", "amount_capturable_updated"}):
        (["confirm_3ds_manual", "auth_ok"], AUTHORIZED),
    frozenset({"requires_action", "succeeded"}): (["confirm_3ds", "auth_ok"], PAID),
    frozenset({"requires_action", "payment_failed"}): (["confirm_3ds", "auth_fail"], FAILED),
    frozenset({"requires_action", "canceled"}): (["confirm_3ds", "cancel"], CANCELED),
    frozenset({"amount_capturable_updated", "succeeded"}):
        (["confirm_ok_manual", "capture"], PAID),
    frozenset({"amount_capturable_updated", "payment_failed"}):
        (["confirm_declined", "confirm_ok_manual"], AUTHORIZED),
    frozenset({"amount_capturable_updated", "canceled"}):
        (["confirm_ok_manual", "cancel"], CANCELED),
    frozenset({"succeeded", "payment_failed"}): (["confirm_declined", "confirm_ok"], PAID),
    # No real intent is both succeeded and canceled: the canceled event is forged (signed
    # with our secret like any other), and must not undo the payment.
    frozenset({"succeeded", "canceled"}): (["confirm_ok"], PAID),
    frozenset({"payment_failed", "canceled"}): (["confirm_declined", "cancel"], CANCELED),
}
ORDERED_PAIRS = list(itertools.permutations(PAYMENT_EVENTS, 2))


def test_the_pair_table_covers_every_pair():
    assert set(PAIRS) == {frozenset(pair) for pair in ORDERED_PAIRS}


@pytest.fixture
def placed(shopper, product, stripe_client, stripe_sandbox):
    shopper.add(product, 2)
    token = shopper.checkout()
    return token, IntentDriver(stripe_client, stripe_sandbox.url, shopper.client_secret(token))


def state(token: str) -> tuple[str, str, str]:
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.token == token))
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id == order.id))
    return order.status, order.payment_status, attempt.status


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def forged(event: dict, short_type: str) -> dict:
    fake = copy.deepcopy(event)
    fake["id"] = event["id"] + "_forged"
    fake["type"] = f"payment_intent.{short_type}"
    fake["data"]["object"]["status"] = short_type
    return fake


def deliver(client, event: dict) -> str:
    response = post_event(client, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["outcome"]


@pytest.mark.parametrize(("first", "second"), ORDERED_PAIRS,
                         ids=[f"{a}-then-{b}" for a, b in ORDERED_PAIRS])
def test_every_order_of_every_pair_reaches_the_same_state(client, placed, product, first,
                                                          second):
    """Each event is delivered as soon as it exists and its turn has come: in the natural
    order the first arrives mid-history; reversed, the second waits and arrives stale."""
    token, driver = placed
    history, final = PAIRS[frozenset({first, second})]
    emitted: dict[str, int] = {}
    audits_after: dict[str, int] = {}

    def deliver_due(step: int) -> None:
        for short_type in (first, second):
            event = driver.latest_event(short_type)
            if event is not None:
                emitted.setdefault(short_type, step)
        for short_type in (first, second):
            if short_type in audits_after:
                continue
            if short_type not in emitted:
                return  # the second waits for the first
            assert deliver(client, driver.latest_event(short_type)) == "processed"
            audits_after[short_type] = audit_count()

    forging = {first, second} == {"succeeded", "canceled"}
    for step, action in enumerate(history):
        driver.run(action)
        if not forging:
            deliver_due(step)
    if forging:
        succeeded = driver.latest_event("succeeded")
        for short_type in (first, second):
            event = succeeded if short_type == "succeeded" else forged(succeeded, "canceled")
            assert deliver(client, event) == "processed"
            audits_after[short_type] = audit_count()
    assert list(audits_after) == [first, second]

    assert state(token) == final
    assert db.session.get(Product, product.id).stock_on_hand == (8 if final == PAID else 10)
    if forging or emitted[first] > emitted[second]:
        # Delivered after the truth had moved past it: a no-op, nothing moves back.
        assert audits_after[second] == audits_after[first]
    assert db.session.scalar(select(func.count(StripeEvent.id)).where(
        StripeEvent.outcome == "processed")) == 2


# One event type at a time: the history that emits it, and what the order looks like after.
SINGLE = {
    "processing": (["confirm_processing"], PROCESSING),
    "requires_action": (["confirm_3ds"], PROCESSING),
    "amount_capturable_updated": (["confirm_ok_manual"], AUTHORIZED),
    "succeeded": (["confirm_ok"], PAID),
    "payment_failed": (["confirm_declined"], FAILED),
    "canceled": (["cancel"], CANCELED),
}
MAIL = {"succeeded": ["receipt"], "canceled": ["order_canceled"]}
HOLDS = {PAID: "converted", CANCELED: "released"}


def hold(order_id: int) -> InventoryHold:
    return db.session.scalar(select(InventoryHold).where(InventoryHold.order_id == order_id))


@pytest.mark.parametrize("short_type", PAYMENT_EVENTS)
def test_each_payment_intent_event(client, placed, app, short_type):
    token, driver = placed
    history, final = SINGLE[short_type]
    order_id = db.session.scalar(select(Order.id).where(Order.token == token))
    # The hold is about to lapse: an event of a payment in progress must extend it.
    db.session.execute(update(InventoryHold).values(expires_at=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    for action in history:
        driver.run(action)
    event = driver.latest_event(short_type)
    assert deliver(client, event) == "processed"

    assert state(token) == final
    row = db.session.get(StripeEvent, event["id"])
    assert (row.status, row.tries, row.error) == ("processed", 1, None)
    assert row.payment_intent_id == driver.intent_id and '"id"' in row.payload
    current = hold(order_id)
    assert current.status == HOLDS.get(final, "active")
    if final in (PROCESSING, AUTHORIZED):
        ttl = timedelta(minutes=app.config["HOLD_TTL_MINUTES"])
        assert current.expires_at > utcnow() + ttl - timedelta(minutes=1)
    assert db.session.scalars(select(SentEmail.kind)).all() == MAIL.get(short_type, [])
    assert deliver(client, event) == "duplicate"


def test_a_lapsed_hold_is_not_revived_by_a_late_in_progress_event(client, placed):
    token, driver = placed
    lapsed = utcnow() - timedelta(seconds=5)
    db.session.execute(update(InventoryHold).values(expires_at=lapsed))
    db.session.commit()
    driver.confirm_3ds()
    assert deliver(client, driver.latest_event("requires_action")) == "processed"
    order_id = db.session.scalar(select(Order.id).where(Order.token == token))
    assert hold(order_id).expires_at == lapsed  # its stock may be sold already


@pytest.fixture
def failed_event(app, client, placed):
    """A ``processing`` event (a hint: the shop asks Stripe for the intent), delivered after
    the payment went through, whose processing failed for real: Stripe was unreachable."""
    token, driver = placed
    driver.confirm_processing()
    driver.settle_ok()
    event = driver.latest_event("processing")
    with stripe_unreachable(app):
        response = post_event(client, event)
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    row = db.session.get(StripeEvent, event["id"])
    assert (row.status, row.tries) == ("failed", 1)
    assert row.error.startswith("GatewayError") and row.last_tried_at is not None
    assert state(token) == ("pending", "unpaid", "initiated")
    return token, event


def test_stripe_retry_processes_a_failed_event(client, failed_event):
    token, event = failed_event
    assert deliver(client, event) == "processed"
    assert state(token) == PAID
    row = db.session.get(StripeEvent, event["id"])
    assert (row.status, row.tries, row.error) == ("processed", 2, None)
    assert deliver(client, event) == "duplicate"


def test_staff_replay_processes_a_failed_event(app, failed_event):
    token, event = failed_event
    result = app.test_cli_runner().invoke(args=["shop", "replay-event", event["id"],
                                                "--actor", "staff:ops@example.com"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{event['id']}: processed"
    assert state(token) == PAID
    actors = set(db.session.scalars(select(AuditEvent.actor).where(
        AuditEvent.to_state == "captured")))
    assert actors == {f"staff:ops@example.com (replay of {event['id']})"}
    with pytest.raises(EventNotReplayable):
        replay_event(event_id=event["id"], actor="staff:ops@example.com")
    again = app.test_cli_runner().invoke(args=["shop", "replay-event", event["id"]])
    assert again.exit_code != 0 and "only failed or unmatched" in again.output


def test_replay_of_an_unknown_event_is_refused(clean_app):
    with pytest.raises(EventNotFound):
        replay_event(event_id="evt_nope", actor="staff:x")


def test_a_failed_replay_is_kept_failed(app, failed_event):
    token, event = failed_event
    with stripe_unreachable(app), pytest.raises(GatewayError):
        replay_event(event_id=event["id"], actor="staff:x")
    row = db.session.get(StripeEvent, event["id"])
    db.session.refresh(row)
    assert (row.status, row.tries) == ("failed", 2)
    assert state(token) == ("pending", "unpaid", "initiated")


def test_the_same_event_delivered_twice_at_once_applies_once(app, client, placed, product):
    import threading

    token, driver = placed
    driver.confirm_ok()
    event = driver.latest_event("succeeded")
    db.session.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def deliver_concurrently():
        browser = app.test_client()
        barrier.wait()
        response = post_event(browser, event)
        outcomes.append(f"{response.status_code} {response.get_json()['outcome']}")

    threads = [threading.Thread(target=deliver_concurrently) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["200 duplicate", "200 processed"]
    assert state(token) == PAID
    assert db.session.get(Product, product.id).stock_on_hand == 8
    assert db.session.scalar(select(func.count(SentEmail.id))) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.to_state == "captured")) == 1
