"""Capture, void and refund: the state machine decides, the claim row stops doubles, and
Stripe is asked at most once per money movement (counted at the sandbox)."""

import pytest
from sqlalchemy import select

from shop.domain.errors import IllegalTransition
from shop.domain.ledger import (
    InvalidAmount,
    NotRefundable,
    OperationInProgress,
    ProviderRefused,
    ProviderUnavailable,
    RefundExceedsBalance,
)
from shop.extensions import db
from shop.models import AuditEvent, Order, PaymentAttempt, PaymentTransaction
from shop.services.payments.capture import capture_payment, void_payment
from shop.services.payments.reconciliation import run_reconciliation
from shop.services.refunds.refunds import refund_payment

from ..payments import (
    attempt_moves,
    authorized,
    captured,
    fresh,
    make_order,
    pay,
    sandbox_requests,
)
from .test_races import run_together


def rows(attempt_id, kind=None):
    db.session.rollback()
    query = select(PaymentTransaction).where(PaymentTransaction.attempt_id == attempt_id)
    if kind:
        query = query.where(PaymentTransaction.kind == kind)
    return [(r.kind, r.status, r.amount) for r in db.session.scalars(
        query.order_by(PaymentTransaction.id))]


def captures_at_stripe(stripe_sandbox, intent_id):
    return sandbox_requests(stripe_sandbox, "POST", f"/v1/payment_intents/{intent_id}/capture")


# --- capture -------------------------------------------------------------------------------

def test_capture_only_after_authorized(store, product, stripe_client, stripe_sandbox):
    order = make_order(store, product)
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id ==
                                                             order.id))
    with pytest.raises(IllegalTransition):
        capture_payment(attempt_id=attempt.id, actor="staff:x")
    paid = captured(store, product, stripe_client)
    with pytest.raises(IllegalTransition):
        capture_payment(attempt_id=paid.id, actor="staff:x")
    assert rows(attempt.id) == []
    assert captures_at_stripe(stripe_sandbox, paid.provider_reference) == []


def test_partial_capture_records_what_stripe_took(store, product, stripe_client):
    attempt = authorized(store, product, stripe_client, quantity=2)
    row = capture_payment(attempt_id=attempt.id, amount=2000, actor="staff:ada")
    assert (row.kind, row.status, row.amount, row.actor) == ("capture", "succeeded", 2000,
                                                             "staff:ada")
    intent = stripe_client.v1.payment_intents.retrieve(attempt.provider_reference)
    assert intent.amount_received == 2000
    assert fresh(Order, attempt.order_id).payment_status == "paid"
    with pytest.raises(InvalidAmount):
        capture_payment(attempt_id=authorized(store, product, stripe_client).id, amount=10**6,
                        actor="staff:ada")


def test_second_capture_is_refused_and_stripe_is_called_once(store, product, stripe_client,
                                                             stripe_sandbox):
    attempt = authorized(store, product, stripe_client)
    capture_payment(attempt_id=attempt.id, actor="staff:ada")
    with pytest.raises(IllegalTransition):
        capture_payment(attempt_id=attempt.id, actor="staff:bob")
    assert len(captures_at_stripe(stripe_sandbox, attempt.provider_reference)) == 1
    assert rows(attempt.id, "capture") == [("capture", "succeeded", attempt.amount)]


def test_concurrent_captures_one_wins_stripe_called_once(clean_app, store, product,
                                                         stripe_client, stripe_sandbox):
    attempt = authorized(store, product, stripe_client)
    attempt_id, intent_id = attempt.id, attempt.provider_reference

    def capture():
        with clean_app.app_context():
            try:
                capture_payment(attempt_id=attempt_id, actor="staff:race")
                return "captured"
            except (OperationInProgress, IllegalTransition) as exc:
                return exc.code

    outcomes = run_together(*[capture] * 5)
    assert sorted(outcomes).count("captured") == 1
    assert set(outcomes) - {"captured"} <= {"operation_in_progress", "illegal_transition"}
    assert len(captures_at_stripe(stripe_sandbox, intent_id)) == 1
    assert rows(attempt_id, "capture") == [("capture", "succeeded", attempt.amount)]
    assert attempt_moves(attempt_id).count(("authorized", "captured")) == 1


def test_capture_refused_by_stripe_is_recorded_failed_and_the_truth_applied(
        store, product, stripe_client):
    attempt = authorized(store, product, stripe_client)
    stripe_client.v1.payment_intents.cancel(attempt.provider_reference)  # from the dashboard
    with pytest.raises(ProviderRefused) as info:
        capture_payment(attempt_id=attempt.id, actor="staff:ada")
    assert info.value.provider_code == "payment_intent_unexpected_state"
    assert rows(attempt.id) == [("auth", "succeeded", attempt.amount),
                                ("capture", "failed", attempt.amount),
                                ("void", "succeeded", attempt.amount)]
    assert fresh(PaymentAttempt, attempt.id).status == "canceled"


def test_capture_with_stripe_unreachable_stays_pending_until_reconciled(
        clean_app, store, product, stripe_client, fault_proxy):
    attempt = authorized(store, product, stripe_client)
    path = f"/v1/payment_intents/{attempt.provider_reference}/capture"
    fault_proxy.add("POST", path, "drop")
    fault_proxy.add("GET", f"/v1/payment_intents/{attempt.provider_reference}", "drop")
    with pytest.raises(ProviderUnavailable):
        capture_payment(attempt_id=attempt.id, actor="staff:ada")
    assert rows(attempt.id, "capture") == [("capture", "pending", attempt.amount)]
    with pytest.raises(OperationInProgress):
        capture_payment(attempt_id=attempt.id, actor="staff:bob")
    fault_proxy.clear()
    clean_app.config["RECONCILE_STUCK_MINUTES"] = 1
    try:
        from datetime import timedelta

        from shop.models.types import utcnow

        run_reconciliation(trigger="test", now=utcnow() + timedelta(minutes=5))
    finally:
        clean_app.config["RECONCILE_STUCK_MINUTES"] = 15
    # Stripe never saw the capture: the claim is released and a new capture works.
    assert rows(attempt.id, "capture") == [("capture", "failed", attempt.amount)]
    capture_payment(attempt_id=attempt.id, actor="staff:ada")
    assert rows(attempt.id, "capture")[-1] == ("capture", "succeeded", attempt.amount)
    assert fault_proxy.count("POST", path) == 2


# --- void ----------------------------------------------------------------------------------

def test_void_an_authorization(store, product, stripe_client):
    attempt = authorized(store, product, stripe_client)
    row = void_payment(attempt_id=attempt.id, actor="staff:ada", reason="customer asked")
    assert (row.kind, row.status, row.amount) == ("void", "succeeded", attempt.amount)
    assert fresh(PaymentAttempt, attempt.id).status == "canceled"
    assert fresh(Order, attempt.order_id).payment_status == "unpaid"
    assert stripe_client.v1.payment_intents.retrieve(attempt.provider_reference).status == \
        "canceled"
    assert attempt_moves(attempt.id)[-1] == ("authorized", "canceled")
    with pytest.raises(IllegalTransition):
        void_payment(attempt_id=attempt.id, actor="staff:ada")
    with pytest.raises(IllegalTransition):
        capture_payment(attempt_id=attempt.id, actor="staff:ada")


def test_void_an_initiated_attempt(store, product, stripe_client):
    order = make_order(store, product)
    attempt_id = db.session.scalar(select(PaymentAttempt.id))
    assert void_payment(attempt_id=attempt_id, actor="staff:ada") is None  # no intent yet
    assert fresh(PaymentAttempt, attempt_id).status == "canceled"
    other = make_order(store, product)
    from shop.services.payments.settle import ensure_payment_intent

    with_intent = ensure_payment_intent(order_id=other.id)
    row = void_payment(attempt_id=with_intent.id, actor="staff:ada")
    assert (row.status, row.amount) == ("succeeded", 0)  # nothing was authorized
    assert order.id != other.id


def test_captured_and_failed_payments_cannot_be_voided(store, product, stripe_client):
    paid = captured(store, product, stripe_client)
    with pytest.raises(IllegalTransition):
        void_payment(attempt_id=paid.id, actor="staff:ada")
    failed = pay(stripe_client, make_order(store, product),
                 card="pm_card_visa_chargeDeclinedInsufficientFunds")
    db.session.execute(PaymentAttempt.__table__.update()
                       .where(PaymentAttempt.id == failed.id).values(status="failed"))
    db.session.commit()
    with pytest.raises(IllegalTransition):
        void_payment(attempt_id=failed.id, actor="staff:ada")


# --- refunds -------------------------------------------------------------------------------

def test_refunds_up_to_the_captured_amount(store, product, stripe_client):
    attempt = captured(store, product, stripe_client)
    total = attempt.amount
    first = refund_payment(attempt_id=attempt.id, amount=500, reason="requested_by_customer",
                           note="one bag torn", actor="staff:ada")
    assert (first.status, first.provider_reference[:3]) == ("succeeded", "re_")
    assert fresh(Order, attempt.order_id).payment_status == "partially_refunded"
    with pytest.raises(RefundExceedsBalance):
        refund_payment(attempt_id=attempt.id, amount=total - 499, actor="staff:ada")
    with pytest.raises(InvalidAmount):
        refund_payment(attempt_id=attempt.id, amount=0, actor="staff:ada")
    rest = refund_payment(attempt_id=attempt.id, actor="staff:ada")  # whatever is left
    assert rest.amount == total - 500
    assert fresh(Order, attempt.order_id).payment_status == "refunded"
    with pytest.raises(RefundExceedsBalance):
        refund_payment(attempt_id=attempt.id, amount=1, actor="staff:ada")
    charge = stripe_client.v1.charges.retrieve(first.attempt.transactions[1].provider_reference)
    assert charge.amount_refunded == total
    capture_id = db.session.scalar(select(PaymentTransaction.id).where(
        PaymentTransaction.kind == "capture"))
    assert {first.parent_id, rest.parent_id} == {capture_id}
    moves = db.session.execute(select(AuditEvent.from_state, AuditEvent.to_state).where(
        AuditEvent.entity_type == "order", AuditEvent.action == "payment_status_change")
        .order_by(AuditEvent.id)).all()
    assert [tuple(m) for m in moves][-2:] == [("paid", "partially_refunded"),
                                              ("partially_refunded", "refunded")]


def test_refund_needs_a_capture(store, product, stripe_client):
    attempt = authorized(store, product, stripe_client)
    with pytest.raises(NotRefundable):
        refund_payment(attempt_id=attempt.id, amount=100, actor="staff:ada")


def test_concurrent_partial_refunds_never_exceed_the_capture(clean_app, store, product,
                                                             stripe_client, stripe_sandbox):
    attempt = captured(store, product, stripe_client, quantity=2)
    attempt_id, total = attempt.id, attempt.amount
    share = total // 3 + 1  # two fit, the third does not

    def refund():
        with clean_app.app_context():
            try:
                return refund_payment(attempt_id=attempt_id, amount=share,
                                      actor="staff:race").status
            except RefundExceedsBalance as exc:
                return exc.code

    outcomes = run_together(*[refund] * 3)
    assert sorted(outcomes) == ["refund_exceeds_balance", "succeeded", "succeeded"]
    assert rows(attempt_id, "refund") == [("refund", "succeeded", share)] * 2
    assert len(sandbox_requests(stripe_sandbox, "POST", "/v1/refunds")) >= 2
    charge_id = stripe_client.v1.payment_intents.retrieve(attempt.provider_reference) \
        .latest_charge
    assert stripe_client.v1.charges.retrieve(charge_id).amount_refunded == 2 * share


def test_refund_with_stripe_unreachable_holds_the_balance_and_is_reconciled(
        clean_app, store, product, stripe_client, fault_proxy):
    attempt = captured(store, product, stripe_client)
    fault_proxy.add("POST", "/v1/refunds", "drop", times=1)
    with pytest.raises(ProviderUnavailable):
        refund_payment(attempt_id=attempt.id, amount=attempt.amount, actor="staff:ada")
    assert rows(attempt.id, "refund") == [("refund", "pending", attempt.amount)]
    with pytest.raises(RefundExceedsBalance):  # the pending refund counts against it
        refund_payment(attempt_id=attempt.id, amount=1, actor="staff:ada")
    from datetime import timedelta

    from shop.models.types import utcnow

    [run] = run_reconciliation(trigger="test", now=utcnow() + timedelta(hours=1))
    assert run.fixed >= 1
    assert rows(attempt.id, "refund") == [("refund", "succeeded", attempt.amount)]
    assert fresh(Order, attempt.order_id).payment_status == "refunded"
    assert fault_proxy.count("POST", "/v1/refunds") == 2  # the lost call, then its replay


def test_a_refund_stripe_reports_pending_or_failed(clean_app, store, product, stripe_client):
    """Stripe answers some refunds ``pending`` (and later says how they ended) or ``failed``.

    The sandbox's card refunds always succeed at once, so the first answer is given to
    ``apply_refund`` as Stripe would send it; reconciliation then reads the real refund.
    """
    from datetime import timedelta

    from shop.domain.ledger import TransactionKind
    from shop.models.types import utcnow
    from shop.providers.stripe_gateway import Refund
    from shop.services.payments.ledger import add_transaction
    from shop.services.platform.tx import write_transaction
    from shop.services.refunds.refunds import apply_refund

    attempt = captured(store, product, stripe_client)
    real = stripe_client.v1.refunds.create(params={"payment_intent": attempt.provider_reference,
                                                   "amount": 300})
    with write_transaction() as session:
        pending = add_transaction(session, session.get(PaymentAttempt, attempt.id),
                                  kind=TransactionKind.REFUND, amount=300, actor="staff:ada")
        failing = add_transaction(session, session.get(PaymentAttempt, attempt.id),
                                  kind=TransactionKind.REFUND, amount=200, actor="staff:ada")
    answer = {"amount": 300, "currency": "USD", "charge_id": None,
              "payment_intent_id": attempt.provider_reference, "failure_reason": None}
    apply_refund(transaction_id=pending.id, refund=Refund(id=real.id, status="pending",
                                                          **answer), actor="staff:ada")
    apply_refund(transaction_id=failing.id, refund=Refund(
        id="re_never", status="failed", **{**answer, "amount": 200,
                                           "failure_reason": "expired_or_canceled_card"}),
        actor="staff:ada")
    assert rows(attempt.id, "refund") == [("refund", "pending", 300), ("refund", "failed", 200)]
    assert fresh(Order, attempt.order_id).payment_status == "paid"
    [run] = run_reconciliation(trigger="test", now=utcnow() + timedelta(hours=1))
    assert run.fixed == 1
    assert rows(attempt.id, "refund") == [("refund", "succeeded", 300),
                                          ("refund", "failed", 200)]
    assert fresh(Order, attempt.order_id).payment_status == "partially_refunded"
