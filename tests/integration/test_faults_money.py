"""Stripe failing during a capture or a refund: nothing is recorded as done that was not done,
and a retry (the SDK's own, staff's, reconciliation's or the webhook's) completes it exactly
once. Calls are counted where they land: the sandbox's request log (GET /_config/requests),
behind the fault-injecting proxy (tests/faults.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.domain.ledger import OperationInProgress, ProviderUnavailable, RefundExceedsBalance
from shop.extensions import db
from shop.models import AuditEvent, Order, PaymentTransaction
from shop.models.types import utcnow
from shop.providers.stripe_gateway import StripeGateway
from shop.services.payments.capture import capture_payment
from shop.services.payments.reconciliation import run_reconciliation
from shop.services.refunds.refunds import refund_payment

from ..payments import authorized, captured, fresh, sandbox_requests


def ledger(attempt_id: int, kind: str) -> list[tuple[str, int]]:
    db.session.rollback()
    return [(r.status, r.amount) for r in db.session.scalars(
        select(PaymentTransaction).where(PaymentTransaction.attempt_id == attempt_id,
                                         PaymentTransaction.kind == kind)
        .order_by(PaymentTransaction.id))]


def captures_logged(stripe_sandbox, intent_id: str) -> list[dict]:
    return sandbox_requests(stripe_sandbox, "POST", f"/v1/payment_intents/{intent_id}/capture")


def refunds_at_stripe(stripe_client, intent_id: str) -> list:
    return stripe_client.v1.refunds.list(params={"payment_intent": intent_id}).data


def captured_moves(attempt_id: int) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "payment_attempt", AuditEvent.entity_id == attempt_id,
        AuditEvent.to_state == "captured"))


def reconcile_later() -> None:
    run_reconciliation(trigger="test", now=utcnow() + timedelta(hours=1))


@pytest.fixture
def sdk_retries(clean_app, fault_proxy):
    """The gateway behind the proxy with the SDK's network retries on, as in production."""
    saved = clean_app.extensions["stripe_gateway"]
    clean_app.extensions["stripe_gateway"] = StripeGateway({
        **clean_app.config, "STRIPE_API_BASE": fault_proxy.url, "STRIPE_MAX_NETWORK_RETRIES": 2})
    yield fault_proxy
    clean_app.extensions["stripe_gateway"] = saved


# --- capture -------------------------------------------------------------------------------

def test_capture_refused_with_a_5xx_is_not_recorded_and_a_retry_captures_once(
        store, product, stripe_client, stripe_sandbox, fault_proxy):
    attempt = authorized(store, product, stripe_client)
    path = f"/v1/payment_intents/{attempt.provider_reference}/capture"
    fault_proxy.add("POST", path, "error500", times=1)
    with pytest.raises(ProviderUnavailable, match="did nothing"):
        capture_payment(attempt_id=attempt.id, actor="staff:ada")
    assert ledger(attempt.id, "capture") == [("failed", attempt.amount)]
    assert fresh(Order, attempt.order_id).payment_status == "authorized"
    assert captures_logged(stripe_sandbox, attempt.provider_reference) == []

    row = capture_payment(attempt_id=attempt.id, actor="staff:ada")  # staff try again
    assert row.status == "succeeded"
    assert [c["status"] for c in captures_logged(stripe_sandbox, attempt.provider_reference)] \
        == [200]
    assert fresh(Order, attempt.order_id).payment_status == "paid"
    assert captured_moves(attempt.id) == 1


def test_capture_whose_answer_is_lost_is_found_done(store, product, stripe_client,
                                                    stripe_sandbox, fault_proxy):
    attempt = authorized(store, product, stripe_client)
    path = f"/v1/payment_intents/{attempt.provider_reference}/capture"
    fault_proxy.add("POST", path, "forward_then_drop", times=1)
    row = capture_payment(attempt_id=attempt.id, actor="staff:ada")
    assert row.status == "succeeded"  # the intent, asked after the failure, shows it done
    assert ledger(attempt.id, "capture") == [("succeeded", attempt.amount)]
    assert len(captures_logged(stripe_sandbox, attempt.provider_reference)) == 1
    assert captured_moves(attempt.id) == 1


def test_capture_lost_with_stripe_unreachable_waits_for_reconciliation(
        clean_app, store, product, stripe_client, stripe_sandbox, fault_proxy):
    attempt = authorized(store, product, stripe_client)
    intent = attempt.provider_reference
    fault_proxy.add("POST", f"/v1/payment_intents/{intent}/capture", "forward_then_drop",
                    times=1)
    fault_proxy.add("GET", f"/v1/payment_intents/{intent}", "drop")
    with pytest.raises(ProviderUnavailable, match="reconciled"):
        capture_payment(attempt_id=attempt.id, actor="staff:ada")
    assert ledger(attempt.id, "capture") == [("pending", attempt.amount)]
    assert fresh(Order, attempt.order_id).payment_status == "authorized"  # not shown as done
    with pytest.raises(OperationInProgress):
        capture_payment(attempt_id=attempt.id, actor="staff:bob")  # no second call to Stripe
    fault_proxy.clear()
    reconcile_later()
    assert ledger(attempt.id, "capture") == [("succeeded", attempt.amount)]
    assert fresh(Order, attempt.order_id).payment_status == "paid"
    assert len(captures_logged(stripe_sandbox, intent)) == 1
    assert captured_moves(attempt.id) == 1


def test_a_5xx_during_capture_is_retried_by_the_sdk_with_the_same_key(
        store, product, stripe_client, stripe_sandbox, sdk_retries):
    attempt = authorized(store, product, stripe_client)
    path = f"/v1/payment_intents/{attempt.provider_reference}/capture"
    sdk_retries.add("POST", path, "error500", times=1)
    assert capture_payment(attempt_id=attempt.id, actor="staff:ada").status == "succeeded"
    tries = sdk_retries.seen("POST", path)
    assert [t.action for t in tries] == ["error500", "forward"]
    assert tries[0].idempotency_key == tries[1].idempotency_key
    assert len(captures_logged(stripe_sandbox, attempt.provider_reference)) == 1


# --- refund --------------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["error500", "drop", "forward_then_drop"])
def test_a_failed_refund_call_stays_pending_and_is_made_once(
        store, product, stripe_client, stripe_sandbox, fault_proxy, fault):
    attempt = captured(store, product, stripe_client)
    before = len(sandbox_requests(stripe_sandbox, "POST", "/v1/refunds"))
    fault_proxy.add("POST", "/v1/refunds", fault, times=1)
    with pytest.raises(ProviderUnavailable):
        refund_payment(attempt_id=attempt.id, amount=600, actor="staff:ada")
    assert ledger(attempt.id, "refund") == [("pending", 600)]
    assert fresh(Order, attempt.order_id).payment_status == "paid"  # not shown as refunded
    with pytest.raises(RefundExceedsBalance):  # the pending claim holds the balance
        refund_payment(attempt_id=attempt.id, amount=attempt.amount - 599, actor="staff:bob")

    reconcile_later()  # finds the refund at Stripe, or asks again with the same key
    assert ledger(attempt.id, "refund") == [("succeeded", 600)]
    assert fresh(Order, attempt.order_id).payment_status == "partially_refunded"
    [refund] = refunds_at_stripe(stripe_client, attempt.provider_reference)
    assert refund.amount == 600
    logged = sandbox_requests(stripe_sandbox, "POST", "/v1/refunds")[before:]
    assert len({entry["idempotency_key"] for entry in logged}) == 1
    # One request reached Stripe whatever the fault: when the first got there
    # (forward_then_drop), reconciliation finds its refund instead of asking again.
    assert len(logged) == 1
    reconcile_later()
    assert len(refunds_at_stripe(stripe_client, attempt.provider_reference)) == 1


def test_a_5xx_during_refund_is_retried_by_the_sdk_with_the_same_key(
        store, product, stripe_client, stripe_sandbox, sdk_retries):
    attempt = captured(store, product, stripe_client)
    sdk_retries.add("POST", "/v1/refunds", "error500", times=1)
    assert refund_payment(attempt_id=attempt.id, actor="staff:ada").status == "succeeded"
    tries = sdk_retries.seen("POST", "/v1/refunds")
    assert [t.action for t in tries] == ["error500", "forward"]
    assert tries[0].idempotency_key == tries[1].idempotency_key
    assert len(refunds_at_stripe(stripe_client, attempt.provider_reference)) == 1
    assert fresh(Order, attempt.order_id).payment_status == "refunded"
