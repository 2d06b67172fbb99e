"""Refunds the shop made, as their webhooks arrive: a lost answer completed by the event (matched
by the transaction_id metadata), a pending refund settled later, a refund the bank returns
later, and the plain case where the events only confirm what the shop already recorded."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.domain.ledger import ProviderUnavailable
from shop.extensions import db
from shop.models import AuditEvent, Order, PaymentAttempt, PaymentTransaction, SentEmail, StaffAlert
from shop.services.refunds.refunds import refund_payment

from ..shopper import post_event
from .money_scenarios import PENDING_REFUND_CARD, MoneyDriver, pay


def deliver(client, event: dict) -> str:
    response = post_event(client, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["outcome"]


def refunds() -> list[tuple[str, int]]:
    db.session.rollback()
    return [(r.status, r.amount) for r in db.session.scalars(
        select(PaymentTransaction).where(PaymentTransaction.kind == "refund")
        .order_by(PaymentTransaction.id))]


def payment_status(order_id: int) -> str:
    db.session.rollback()
    return db.session.get(Order, order_id).payment_status


def attempt_id(order_id: int) -> int:
    return db.session.scalar(select(PaymentAttempt.id).where(PaymentAttempt.order_id == order_id))


def refund_mails() -> list[str]:
    return db.session.scalars(select(SentEmail.kind).where(SentEmail.kind.like("refund:%"))).all()


def sandbox_refund_calls(stripe_sandbox) -> int:
    import requests

    logged = requests.get(f"{stripe_sandbox.url}/_config/requests",
                          params={"method": "POST", "path": "/v1/refunds"}, timeout=10)
    return len(logged.json()["data"])


@pytest.fixture
def paid(clean_app, product, stripe_client, stripe_sandbox):
    return pay(clean_app, stripe_client, stripe_sandbox.url, product)


def test_a_lost_refund_answer_is_completed_by_the_refund_event(
        clean_app, client, paid, stripe_client, stripe_sandbox, fault_proxy):
    before = sandbox_refund_calls(stripe_sandbox)
    fault_proxy.add("POST", "/v1/refunds", "forward_then_drop", times=1)
    with pytest.raises(ProviderUnavailable):
        refund_payment(attempt_id=attempt_id(paid.order_id), actor="staff:ada")
    [row] = db.session.scalars(select(PaymentTransaction).where(
        PaymentTransaction.kind == "refund")).all()
    assert (row.status, row.provider_reference) == ("pending", None)
    assert payment_status(paid.order_id) == "paid"  # nothing recorded as done

    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    event = driver.latest_event("refund.created")
    assert event["data"]["object"]["metadata"]["transaction_id"] == str(row.id)
    assert deliver(client, event) == "processed"
    db.session.refresh(row)
    assert (row.status, row.provider_reference) == ("succeeded", event["data"]["object"]["id"])
    assert payment_status(paid.order_id) == "refunded"
    assert refund_mails() == [f"refund:{row.provider_reference}"]
    assert deliver(client, driver.latest_event("charge.refunded")) == "processed"
    assert refunds() == [("succeeded", row.amount)] and len(refund_mails()) == 1
    assert sandbox_refund_calls(stripe_sandbox) == before + 1  # Stripe refunded once


def test_a_pending_refund_is_settled_by_refund_updated(clean_app, client, product,
                                                      stripe_client, stripe_sandbox):
    paid = pay(clean_app, stripe_client, stripe_sandbox.url, product, card=PENDING_REFUND_CARD)
    row = refund_payment(attempt_id=attempt_id(paid.order_id), amount=1000, actor="staff:ada")
    assert (row.status, row.provider_reference[:3]) == ("pending", "re_")
    assert payment_status(paid.order_id) == "paid"
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    driver.refund_id = row.provider_reference
    assert deliver(client, driver.latest_event("refund.created")) == "processed"
    assert refunds() == [("pending", 1000)]  # still pending at Stripe: nothing moves
    driver.settle_refund()
    assert deliver(client, driver.latest_event("refund.updated")) == "processed"
    assert refunds() == [("succeeded", 1000)]
    assert payment_status(paid.order_id) == "partially_refunded"
    assert refund_mails() == [f"refund:{row.provider_reference}"]


@pytest.mark.parametrize(("amounts", "after_failure"), [
    ([None], "paid"), ([1000, None], "partially_refunded")], ids=["full", "second-of-two"])
def test_a_shop_refund_the_bank_returns_later(clean_app, client, paid, stripe_client,
                                             stripe_sandbox, amounts, after_failure):
    rows = [refund_payment(attempt_id=attempt_id(paid.order_id), amount=amount,
                           actor="staff:ada") for amount in amounts]
    assert payment_status(paid.order_id) == "refunded"
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    driver.refund_id = rows[-1].provider_reference
    driver.fail_refund()
    event = driver.latest_event("refund.failed")
    assert deliver(client, event) == "processed"

    assert refunds()[-1] == ("failed", rows[-1].amount)
    assert payment_status(paid.order_id) == after_failure
    failed = db.session.get(PaymentTransaction, rows[-1].id)
    assert (failed.failure_code, failed.failure_message) == ("refund_failed",
                                                            "lost_or_stolen_card")
    [alert] = db.session.scalars(select(StaffAlert)).all()
    assert (alert.kind, alert.order_id, alert.resolved_at) == ("refund_failed",
                                                               paid.order_id, None)
    assert rows[-1].provider_reference in alert.message and "lost or stolen" in alert.message
    moves = db.session.execute(select(AuditEvent.entity_type, AuditEvent.from_state,
                                      AuditEvent.to_state)
                               .where(AuditEvent.actor == f"webhook:{event['id']}")
                               .order_by(AuditEvent.id)).all()
    assert [tuple(m) for m in moves] == [("payment_transaction", "succeeded", "failed"),
                                         ("order", "refunded", after_failure)]
    assert deliver(client, driver.latest_event("refund.updated")) == "processed"
    assert deliver(client, event) == "duplicate"
    assert payment_status(paid.order_id) == after_failure
    assert db.session.scalar(select(func.count(StaffAlert.id))) == 1


def test_the_events_of_a_refund_the_shop_recorded_only_tell_the_shopper(
        clean_app, client, paid, stripe_client, stripe_sandbox):
    row = refund_payment(attempt_id=attempt_id(paid.order_id), amount=700, actor="staff:ada")
    audits = db.session.scalar(select(func.count(AuditEvent.id)))
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    for event_type in ("refund.created", "charge.refunded"):
        assert deliver(client, driver.latest_event(event_type)) == "processed"
    assert refunds() == [("succeeded", 700)]
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audits
    assert payment_status(paid.order_id) == "partially_refunded"
    assert db.session.get(PaymentTransaction, row.id).actor == "staff:ada"
    assert refund_mails() == [f"refund:{row.provider_reference}"]


def forget_idempotency_keys(stripe_sandbox) -> None:
    """Sandbox setting: every key forgotten, as Stripe does 24 hours after its first use."""
    import requests

    response = requests.delete(f"{stripe_sandbox.url}/_config/idempotency_keys",
                               headers={"Authorization": "Bearer sk_test_sandbox"}, timeout=10)
    response.raise_for_status()


def test_reconciliation_finds_a_refund_stripe_made_instead_of_sending_it_again(
        clean_app, paid, stripe_client, stripe_sandbox, fault_proxy):
    from datetime import timedelta

    from shop.models.types import utcnow
    from shop.services.payments.reconciliation import run_reconciliation

    fault_proxy.add("POST", "/v1/refunds", "forward_then_drop", times=1)
    with pytest.raises(ProviderUnavailable):  # a partial refund: a second would go through
        refund_payment(attempt_id=attempt_id(paid.order_id), amount=500, actor="staff:ada")
    forget_idempotency_keys(stripe_sandbox)  # a day later: the key means nothing any more
    calls = sandbox_refund_calls(stripe_sandbox)

    [run] = run_reconciliation(trigger="test", now=utcnow() + timedelta(days=1))
    assert run.error is None and run.fixed >= 1
    assert sandbox_refund_calls(stripe_sandbox) == calls  # nothing sent again
    at_stripe = stripe_client.v1.refunds.list(params={"payment_intent": paid.intent_id})
    assert len(at_stripe.data) == 1  # refunded once
    [row] = db.session.scalars(select(PaymentTransaction).where(
        PaymentTransaction.kind == "refund")).all()
    db.session.refresh(row)
    assert (row.status, row.provider_reference) == ("succeeded", at_stripe.data[0].id)
    assert payment_status(paid.order_id) == "partially_refunded"


def test_reconciliation_still_asks_for_a_refund_stripe_never_made(
        clean_app, paid, stripe_client, stripe_sandbox, fault_proxy):
    from datetime import timedelta

    from shop.models.types import utcnow
    from shop.services.payments.reconciliation import run_reconciliation

    fault_proxy.add("POST", "/v1/refunds", "drop", times=1)  # never reached Stripe
    with pytest.raises(ProviderUnavailable):
        refund_payment(attempt_id=attempt_id(paid.order_id), actor="staff:ada")
    forget_idempotency_keys(stripe_sandbox)
    run_reconciliation(trigger="test", now=utcnow() + timedelta(days=1))
    at_stripe = stripe_client.v1.refunds.list(params={"payment_intent": paid.intent_id})
    assert len(at_stripe.data) == 1
    assert payment_status(paid.order_id) == "refunded"
