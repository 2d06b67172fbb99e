"""charge.dispute.created / charge.dispute.closed: in both orders, won and lost, after a partial
refund or not; recorded once, alerted once, and the payment status from the one rule."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, Order, PaymentDispute, StaffAlert, StripeEvent
from shop.services.refunds.refunds import refund_payment

from ..shopper import post_event
from .money_scenarios import MoneyDriver, pay

CREATED, CLOSED = "charge.dispute.created", "charge.dispute.closed"
ORDERS = [(CREATED, CLOSED), (CLOSED, CREATED)]


def deliver(client, event: dict) -> str:
    response = post_event(client, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["outcome"]


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


@pytest.fixture
def paid(clean_app, product, stripe_client, stripe_sandbox):
    return pay(clean_app, stripe_client, stripe_sandbox.url, product)


@pytest.fixture
def driver(paid, stripe_client, stripe_sandbox):
    return MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)


def attempt_of(order_id: int) -> int:
    from shop.models import PaymentAttempt

    return db.session.scalar(select(PaymentAttempt.id).where(PaymentAttempt.order_id == order_id))


@pytest.mark.parametrize("refunded_first", [False, True], ids=["paid", "partly-refunded"])
@pytest.mark.parametrize("outcome", ["won", "lost"])
@pytest.mark.parametrize(("first", "second"), ORDERS, ids=["natural", "reversed"])
def test_every_order_of_the_dispute_events_reaches_the_same_state(
        client, paid, driver, first, second, outcome, refunded_first):
    if refunded_first:
        refund_payment(attempt_id=attempt_of(paid.order_id), amount=500, actor="staff:ada")
    before = "partially_refunded" if refunded_first else "paid"
    driver.dispute("1000")
    audits: list[int] = []
    if first == CREATED:
        assert deliver(client, driver.latest_event(CREATED)) == "processed"
        audits.append(audit_count())
        assert db.session.get(Order, paid.order_id).payment_status == "disputed"
        driver.close_dispute(outcome)
        assert deliver(client, driver.latest_event(CLOSED)) == "processed"
    else:
        driver.close_dispute(outcome)  # the created event is late: it comes second
        for event_type in (CLOSED, CREATED):
            assert deliver(client, driver.latest_event(event_type)) == "processed"
            audits.append(audit_count())
        assert audits[0] == audits[1]  # the stale "created" changed nothing

    db.session.rollback()
    order = db.session.get(Order, paid.order_id)
    assert order.payment_status == ("disputed" if outcome == "lost" else before)
    [dispute] = db.session.scalars(select(PaymentDispute)).all()
    assert (dispute.provider_reference, dispute.status, dispute.amount) == \
        (driver.dispute_id, outcome, 1000)
    assert dispute.reason == "product_not_received" and dispute.closed_at is not None
    [alert] = db.session.scalars(select(StaffAlert)).all()
    assert (alert.id, alert.kind, alert.order_id) == (dispute.alert_id, "dispute", order.id)
    if outcome == "won":
        assert alert.resolved_at is not None and "was won" in alert.message
    else:
        assert alert.resolved_at is None and "was lost" in alert.message
    dispute_moves = db.session.execute(select(AuditEvent.from_state, AuditEvent.to_state)
                                       .where(AuditEvent.entity_type == "payment_dispute")
                                       .order_by(AuditEvent.id)).all()
    expected = ([(None, "needs_response"), ("needs_response", outcome)]
                if first == CREATED else [(None, outcome)])
    assert [tuple(m) for m in dispute_moves] == expected
    assert db.session.scalar(select(func.count(StripeEvent.id)).where(
        StripeEvent.outcome == "processed")) == 2


def test_an_open_dispute_marks_the_order_and_alerts_staff(client, paid, driver):
    driver.dispute()
    event = driver.latest_event(CREATED)
    assert deliver(client, event) == "processed"
    order = db.session.get(Order, paid.order_id)
    assert order.payment_status == "disputed"
    [alert] = db.session.scalars(select(StaffAlert)).all()
    assert (alert.kind, alert.resolved_at) == ("dispute", None)
    assert f"Order {order.number}" in alert.message and driver.dispute_id in alert.message
    assert "product not received" in alert.message and " UTC" in alert.message
    moves = db.session.execute(select(AuditEvent.entity_type, AuditEvent.action,
                                      AuditEvent.from_state, AuditEvent.to_state)
                               .where(AuditEvent.actor == f"webhook:{event['id']}")
                               .order_by(AuditEvent.id)).all()
    assert [tuple(m) for m in moves] == [
        ("payment_dispute", "dispute_update", None, "needs_response"),
        ("order", "payment_status_change", "paid", "disputed")]
    assert db.session.get(StripeEvent, event["id"]).payment_intent_id == paid.intent_id
    assert deliver(client, event) == "duplicate"
    # A late payment_intent.succeeded does not take the dispute away.
    assert deliver(client, driver.latest_event("payment_intent.succeeded")) == "processed"
    assert db.session.get(Order, paid.order_id).payment_status == "disputed"
    page = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert "Disputed" in page


def test_a_dispute_of_a_payment_we_do_not_know_is_kept_unmatched(client, stripe_client,
                                                                 stripe_sandbox):
    intent = stripe_client.v1.payment_intents.create(params={
        "amount": 2000, "currency": "usd", "allowed_payment_method_types": ["card"]})
    stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    stranger = MoneyDriver(stripe_client, stripe_sandbox.url, intent.id)
    stranger.dispute()
    assert deliver(client, stranger.latest_event(CREATED)) == "unmatched"
    assert db.session.scalar(select(func.count(PaymentDispute.id))) == 0
    assert db.session.scalar(select(func.count(StaffAlert.id))) == 0


def test_staff_list_and_resolve_the_alert_of_a_lost_dispute(app, client, paid, driver):
    driver.dispute()
    driver.close_dispute("lost")
    assert deliver(client, driver.latest_event(CLOSED)) == "processed"
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["shop", "alerts"])
    assert listed.exit_code == 0
    [line] = listed.output.splitlines()
    alert_id, kind, _when, message = line.split("\t")
    assert kind == "dispute" and "was lost" in message
    resolved = runner.invoke(args=["shop", "resolve-alert", alert_id])
    assert resolved.exit_code == 0 and "resolved" in resolved.output
    assert runner.invoke(args=["shop", "alerts"]).output.strip() == "No open alerts."
    again = runner.invoke(args=["shop", "resolve-alert", alert_id])
    assert again.exit_code != 0 and f"No open alert {alert_id}" in again.output
    assert db.session.get(Order, paid.order_id).payment_status == "disputed"
