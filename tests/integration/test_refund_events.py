"""charge.refunded and refund.* webhooks: every order of every pair, refunds the shop made and
refunds made in Stripe's dashboard, refunds that fail later.

Refunds are really made (and settled or failed) at the sandbox; their events are taken from
the sandbox's event log and posted, signed as Stripe signs them, to the real endpoint.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Order, PaymentTransaction, SentEmail, StaffAlert, StripeEvent

from ..shopper import CARD_OK, post_event
from .money_scenarios import PENDING_REFUND_CARD, MoneyDriver, pay

REFUND_EVENTS = ("charge.refunded", "refund.created", "refund.updated", "refund.failed")

REFUNDED = ("refunded", "succeeded", None)
PART_REFUNDED = ("partially_refunded", "succeeded", None)
FAILED = ("paid", "failed", "refund_failed")

# Each pair: the card paid with, a history at Stripe that emits both events, and the final
# (order payment status, the refund's ledger status, the open alert's kind).
PAIRS = {
    frozenset({"charge.refunded", "refund.created"}): (CARD_OK, ["refund:1000"], PART_REFUNDED),
    frozenset({"charge.refunded", "refund.updated"}):
        (PENDING_REFUND_CARD, ["refund", "settle_refund"], REFUNDED),
    frozenset({"charge.refunded", "refund.failed"}): (CARD_OK, ["refund", "fail_refund"], FAILED),
    frozenset({"refund.created", "refund.updated"}):
        (PENDING_REFUND_CARD, ["refund:1000", "settle_refund"], PART_REFUNDED),
    frozenset({"refund.created", "refund.failed"}):
        (CARD_OK, ["refund:1000", "fail_refund"], FAILED),
    frozenset({"refund.updated", "refund.failed"}): (CARD_OK, ["refund", "fail_refund"], FAILED),
}
ORDERED_PAIRS = list(itertools.permutations(REFUND_EVENTS, 2))


def test_the_pair_table_covers_every_pair():
    assert set(PAIRS) == {frozenset(pair) for pair in ORDERED_PAIRS}


def deliver(client, event: dict) -> str:
    response = post_event(client, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["outcome"]


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def refund_rows(order_id: int) -> list[tuple[str, int, str | None]]:
    db.session.rollback()
    rows = db.session.scalars(select(PaymentTransaction).where(
        PaymentTransaction.kind == "refund").order_by(PaymentTransaction.id))
    return [(r.status, r.amount, r.provider_reference) for r in rows]


def final_state(order_id: int) -> tuple[str, str, str | None]:
    db.session.rollback()
    order = db.session.get(Order, order_id)
    [(status, _amount, _ref)] = refund_rows(order_id)
    alert = db.session.scalar(select(StaffAlert.kind).where(StaffAlert.resolved_at.is_(None)))
    return order.payment_status, status, alert


def refund_mails() -> list[str]:
    return db.session.scalars(select(SentEmail.kind).where(SentEmail.kind.like("refund:%"))).all()


@pytest.mark.parametrize(("first", "second"), ORDERED_PAIRS,
                         ids=[f"{a}-then-{b}" for a, b in ORDERED_PAIRS])
def test_every_order_of_every_refund_pair_reaches_the_same_state(
        clean_app, client, product, stripe_client, stripe_sandbox, first, second):
    """Each event is delivered as soon as it exists and its turn has come: in the natural
    order the first arrives mid-history; reversed, the second waits and arrives stale."""
    card, history, final = PAIRS[frozenset({first, second})]
    paid = pay(clean_app, stripe_client, stripe_sandbox.url, product, card=card)
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    emitted: dict[str, int] = {}
    audits_after: dict[str, int] = {}
    for step, action in enumerate(history):
        driver.run(action)
        for event_type in (first, second):
            if driver.latest_event(event_type) is not None:
                emitted.setdefault(event_type, step)
        for event_type in (first, second):
            if event_type in audits_after:
                continue
            if event_type not in emitted:
                break  # the second waits for the first
            assert deliver(client, driver.latest_event(event_type)) == "processed"
            audits_after[event_type] = audit_count()
    assert list(audits_after) == [first, second]

    assert final_state(paid.order_id) == final
    [(_status, amount, reference)] = refund_rows(paid.order_id)
    assert reference == driver.refund_id
    total = db.session.get(Order, paid.order_id).total
    assert amount == (1000 if "refund:1000" in history else total)
    if emitted[first] >= emitted[second]:
        # Delivered after the truth had moved past it: a no-op, nothing moves back.
        assert audits_after[second] == audits_after[first]
    # The shopper hears of a refund once, if it ever succeeded (a failure may come later).
    assert len(refund_mails()) == 1 if final != FAILED else len(refund_mails()) <= 1
    assert db.session.scalar(select(func.count(StripeEvent.id)).where(
        StripeEvent.outcome == "processed")) == 2


def test_a_dashboard_refund_is_recorded_against_the_capture(clean_app, client, product,
                                                            stripe_client, stripe_sandbox):
    paid = pay(clean_app, stripe_client, stripe_sandbox.url, product)
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    driver.refund("1000")
    event = driver.latest_event("refund.created")
    assert deliver(client, event) == "processed"
    refund = db.session.scalar(select(PaymentTransaction).where(
        PaymentTransaction.kind == "refund"))
    capture = db.session.scalar(select(PaymentTransaction).where(
        PaymentTransaction.kind == "capture"))
    assert (refund.parent_id, refund.attempt_id) == (capture.id, capture.attempt_id)
    assert (refund.status, refund.amount, refund.actor) == ("succeeded", 1000,
                                                            f"webhook:{event['id']}")
    assert "outside the shop" in refund.reason
    assert db.session.get(Order, paid.order_id).payment_status == "partially_refunded"
    moves = db.session.execute(select(AuditEvent.entity_type, AuditEvent.from_state,
                                      AuditEvent.to_state)
                               .where(AuditEvent.actor == f"webhook:{event['id']}")
                               .order_by(AuditEvent.id)).all()
    assert [tuple(m) for m in moves] == [("payment_transaction", None, "succeeded"),
                                         ("order", "paid", "partially_refunded")]
    assert refund_mails() == [f"refund:{driver.refund_id}"]
    row = db.session.get(StripeEvent, event["id"])
    assert row.payment_intent_id == paid.intent_id
    assert deliver(client, event) == "duplicate"
    # charge.refunded lists the same refund: nothing new.
    assert deliver(client, driver.latest_event("charge.refunded")) == "processed"
    assert len(refund_rows(paid.order_id)) == 1 and len(refund_mails()) == 1


def test_a_refund_event_that_overtakes_the_payment_event_records_both(
        clean_app, client, store, product, stripe_client, stripe_sandbox):
    """The refund handler settles the PaymentIntent first: the capture exists to link to."""
    from ..shopper import Browser, Shopper, intent_id_from_secret

    shopper = Shopper(clean_app.test_client())
    shopper.add(product, 2)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    Browser(stripe_client, stripe_sandbox.url).confirm(secret, CARD_OK)  # we were not told
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, intent_id_from_secret(secret))
    driver.refund()
    assert deliver(client, driver.latest_event("charge.refunded")) == "processed"
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert (order.status, order.payment_status) == ("paid", "refunded")
    kinds = db.session.execute(select(PaymentTransaction.kind, PaymentTransaction.status)
                               .order_by(PaymentTransaction.id)).all()
    assert [tuple(k) for k in kinds] == [("auth", "succeeded"), ("capture", "succeeded"),
                                         ("refund", "succeeded")]
    late = driver.latest_event("payment_intent.succeeded")
    assert deliver(client, late) == "processed"
    assert db.session.get(Order, order.id).payment_status == "refunded"
    assert db.session.scalars(select(SentEmail.kind).order_by(SentEmail.id)).all() == \
        ["receipt", f"refund:{driver.refund_id}"]


def test_a_refund_event_for_a_payment_we_do_not_know_is_kept_unmatched(
        clean_app, client, stripe_client, stripe_sandbox):
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "allowed_payment_method_types": ["card"]})
    stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, intent.id)
    driver.refund()
    before = len(stripe_sandbox_requests(stripe_sandbox))
    for event_type in ("refund.created", "charge.refunded"):
        assert deliver(client, driver.latest_event(event_type)) == "unmatched"
    assert len(stripe_sandbox_requests(stripe_sandbox)) == before  # Stripe was not asked
    assert db.session.scalar(select(func.count(PaymentTransaction.id))) == 0


def stripe_sandbox_requests(stripe_sandbox) -> list[dict]:
    import requests

    logged = requests.get(f"{stripe_sandbox.url}/_config/requests", timeout=10).json()["data"]
    return [entry for entry in logged if entry["path"] != "/v1/events"]  # the test's own


def test_two_events_of_one_dashboard_refund_at_once_record_it_once(
        clean_app, product, stripe_client, stripe_sandbox):
    from .test_races import run_together

    paid = pay(clean_app, stripe_client, stripe_sandbox.url, product)
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    driver.refund()
    events = [driver.latest_event(t) for t in ("refund.created", "charge.refunded")]
    db.session.commit()

    def delivery(event):
        return lambda: deliver(clean_app.test_client(), event)

    assert run_together(*map(delivery, events)) == ["processed", "processed"]
    assert refund_rows(paid.order_id) == [("succeeded", db.session.get(Order, paid.order_id)
                                           .total, driver.refund_id)]
    assert db.session.get(Order, paid.order_id).payment_status == "refunded"
    assert refund_mails() == [f"refund:{driver.refund_id}"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.to_state == "refunded")) == 1
