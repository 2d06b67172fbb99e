"""A Paystack or Flutterwave refund whose answer was lost (the sandbox makes it and drops the
connection, or is not reached at all): reconciliation finds it in the provider's list and adopts
it, or asks again once when it is not there, then leaves it to staff; a refund webhook resolves
it too. The sandboxes over HTTP and the real signed webhook route."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from shop.domain.ledger import ProviderUnavailable, TransactionKind
from shop.extensions import db
from shop.models import AuditEvent, PaymentTransaction, StaffAlert
from shop.models.types import utcnow
from shop.services.payments.reconciliation import run_reconciliation
from shop.services.refunds.refunds import refund_payment

from ..gateways import back_at_shop, fault, forward, hosted, sandbox_refunds
from .test_races import run_together
from .test_redirect_providers import attempts_of, order_of, place

PART = 100000


def paid(shopper, product, gateway):
    token, link = place(shopper, product, gateway)
    back_at_shop(shopper.client, hosted(link, "pay"))
    gateway.wait_for(1)
    [attempt] = attempts_of(order_of(token))
    return token, attempt


def refund_with(gateway, attempt, name: str) -> PaymentTransaction:
    """A staff refund whose call meets the sandbox's fault ``name``: it stays pending, no id."""
    fault(gateway, name)
    with pytest.raises(ProviderUnavailable):
        refund_payment(attempt_id=attempt.id, amount=PART, actor="staff:ada")
    db.session.rollback()
    row = db.session.scalar(select(PaymentTransaction).where(
        PaymentTransaction.kind == TransactionKind.REFUND))
    assert (row.status, row.provider_reference) == ("pending", None)
    return row


def reconcile():
    return run_reconciliation(now=utcnow() + timedelta(hours=1))


def row_now(row_id: int) -> PaymentTransaction:
    db.session.rollback()
    return db.session.get(PaymentTransaction, row_id)


def asked_again(row_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_id == row_id, AuditEvent.action == "refund_asked_again"))


def test_a_lost_answer_is_found_and_adopted_not_repeated(shopper, naira_product, gateway):
    token, attempt = paid(shopper, naira_product, gateway)
    row = refund_with(gateway, attempt, "lose-next-answer")
    [made] = sandbox_refunds(gateway, attempt.provider_reference)  # made, answer lost
    [run] = reconcile()
    assert (run.fixed, run.flagged) == (1, 0)
    row = row_now(row.id)
    assert row.provider_reference == f"{gateway.name}:{made['id']}"
    assert row.status == "succeeded" and order_of(token).payment_status == "partially_refunded"
    assert len(sandbox_refunds(gateway, attempt.provider_reference)) == 1
    assert asked_again(row.id) == 0
    reconcile()  # nothing left to do
    assert len(sandbox_refunds(gateway, attempt.provider_reference)) == 1


def test_a_refund_webhook_resolves_a_lost_answer(shopper, naira_product, gateway):
    token, attempt = paid(shopper, naira_product, gateway)
    row = refund_with(gateway, attempt, "lose-next-answer")
    [made] = sandbox_refunds(gateway, attempt.provider_reference)
    event = gateway.wait_for(2)[1]
    answer = forward(shopper.client, gateway.name, event)
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "processed"
    row = row_now(row.id)
    assert (row.status, row.provider_reference) == ("succeeded", f"{gateway.name}:{made['id']}")
    assert order_of(token).payment_status == "partially_refunded"
    assert len(sandbox_refunds(gateway, attempt.provider_reference)) == 1


def test_a_refund_never_made_is_asked_for_once_more(shopper, naira_product, gateway):
    _token, attempt = paid(shopper, naira_product, gateway)
    row = refund_with(gateway, attempt, "unavailable-next")
    assert sandbox_refunds(gateway, attempt.provider_reference) == []
    [run] = reconcile()
    [made] = sandbox_refunds(gateway, attempt.provider_reference)
    assert made["amount" if gateway.name == "paystack" else "amount_refunded"] in (PART, 1000)
    row = row_now(row.id)
    assert row.provider_reference == f"{gateway.name}:{made['id']}"
    assert asked_again(row.id) == 1 and run.flagged == 0
    reconcile()
    assert len(sandbox_refunds(gateway, attempt.provider_reference)) == 1


def test_asked_again_and_still_unknown_is_left_to_staff(shopper, naira_product, gateway):
    _token, attempt = paid(shopper, naira_product, gateway)
    row = refund_with(gateway, attempt, "unavailable-next")
    fault(gateway, "unavailable-next")  # the second ask is not answered either
    [first] = reconcile()
    [second] = reconcile()  # no third ask: staff check the provider
    assert (first.flagged, second.flagged) == (1, 1)
    assert sandbox_refunds(gateway, attempt.provider_reference) == []
    assert row_now(row.id).status == "pending" and asked_again(row.id) == 1
    [alert] = db.session.scalars(select(StaffAlert)).all()
    assert "asked for again once" in alert.message or "could not be checked" in alert.message


def test_two_runs_at_once_ask_again_once(clean_app, shopper, naira_product, gateway):
    _token, attempt = paid(shopper, naira_product, gateway)
    row = refund_with(gateway, attempt, "unavailable-next")
    # On the real clock (the loser tells "asking right now" from "asked long ago" by it): the
    # claim is older than the stuck time.
    db.session.execute(update(PaymentTransaction).where(PaymentTransaction.id == row.id)
                       .values(created_at=utcnow() - timedelta(minutes=20)))
    db.session.commit()

    def run():
        with clean_app.app_context():
            return len(run_reconciliation())

    assert run_together(run, run) == [1, 1]
    assert len(sandbox_refunds(gateway, attempt.provider_reference)) == 1
    assert asked_again(row.id) == 1
    assert row_now(row.id).provider_reference is not None
    assert db.session.scalars(select(StaffAlert)).all() == []  # the other run waited
