"""The automatic refund of an order paid after its stock sold out (refund_out_of_stock_order),
with jobs run in-process (no REDIS_URL): once however often it runs, Stripe away or refusing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from shop.extensions import db
from shop.jobs.orders import refund_out_of_stock_order
from shop.models import InventoryHold, Order, PaymentTransaction, SentEmail, StaffAlert
from shop.models.types import utcnow
from shop.services.payments.reconciliation import run_reconciliation

from ..background import app_settings
from ..factories import make_product
from ..shopper import CARD_OK, Browser, Shopper, intent_id_from_secret
from .test_races import run_together


def paid_out_of_stock(app, store, stripe_client, sandbox_url: str) -> tuple[Order, str, Shopper]:
    """Two bags paid for after their hold lapsed and another shopper took them."""
    product = make_product(store, name="Last Bag", stock=2)
    late, other = Shopper(app.test_client()), Shopper(app.test_client())
    late.add(product, 2)
    token = late.checkout()
    secret = late.client_secret(token)
    Browser(stripe_client, sandbox_url).confirm(secret, CARD_OK)
    db.session.execute(update(InventoryHold).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    other.add(product, 2)
    other.checkout()
    intent_id = intent_id_from_secret(secret)
    assert late.return_from_stripe(token, intent_id).status_code == 303
    db.session.rollback()
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert order.paid_out_of_stock
    return order, intent_id, late


def refunds_at_stripe(stripe_client, intent_id: str) -> list:
    return stripe_client.v1.refunds.list(params={"payment_intent": intent_id}).data


def refund_rows() -> list[tuple[str, str]]:
    db.session.rollback()
    return [(r.status, r.actor) for r in db.session.scalars(
        select(PaymentTransaction).where(PaymentTransaction.kind == "refund")
        .order_by(PaymentTransaction.id))]


def test_the_refund_runs_after_commit_and_the_page_says_so(clean_app, store, stripe_client,
                                                          stripe_sandbox, mailbox):
    order, intent_id, shopper = paid_out_of_stock(clean_app, store, stripe_client,
                                                  stripe_sandbox.url)
    assert order.payment_status == "refunded"
    [refund] = refunds_at_stripe(stripe_client, intent_id)
    assert (refund.amount, refund.reason) == (order.total, "requested_by_customer")
    assert refund_rows() == [("succeeded", "system:auto-refund")]
    page = shopper.client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert "Your payment was refunded" in page and 'id="refunded-amount"' in page
    subjects = [mail["Subject"] for mail in mailbox()]
    assert subjects == [f"Your order {order.number} is confirmed",
                        f"Refund for your order {order.number}"]
    assert refund_out_of_stock_order(order.id) == "already_refunded"
    assert len(mailbox()) == 2


def test_two_runs_at_once_refund_once(clean_app, store, stripe_client, stripe_sandbox):
    with app_settings(clean_app, AUTO_REFUND_OUT_OF_STOCK=False):
        order, intent_id, _ = paid_out_of_stock(clean_app, store, stripe_client,
                                                stripe_sandbox.url)
        assert refund_out_of_stock_order(order.id) == "disabled"  # the owner turned it off
    assert refunds_at_stripe(stripe_client, intent_id) == []

    def run():
        with clean_app.app_context():
            return refund_out_of_stock_order(order.id)

    outcomes = run_together(run, run)
    assert sorted(outcomes) == ["already_refunded", "refunded"]
    assert len(refunds_at_stripe(stripe_client, intent_id)) == 1
    assert refund_rows() == [("succeeded", "system:auto-refund")]
    kinds = db.session.scalars(select(SentEmail.kind).order_by(SentEmail.id)).all()
    assert kinds == ["receipt", f"refund:{refunds_at_stripe(stripe_client, intent_id)[0].id}"]


def test_stripe_unreachable_leaves_the_refund_pending_until_reconciled(
        clean_app, store, stripe_client, stripe_sandbox, fault_proxy):
    with app_settings(clean_app, AUTO_REFUND_OUT_OF_STOCK=False):
        order, intent_id, _ = paid_out_of_stock(clean_app, store, stripe_client,
                                                stripe_sandbox.url)
    fault_proxy.add("POST", "/v1/refunds", "drop", times=1)
    assert refund_out_of_stock_order(order.id) == "pending"
    assert refund_rows() == [("pending", "system:auto-refund")]
    assert db.session.get(Order, order.id).payment_status == "paid"  # not done, not shown
    assert refund_out_of_stock_order(order.id) == "already_refunded"  # the pending one counts
    run_reconciliation(trigger="test", now=utcnow() + timedelta(hours=1))
    assert refund_rows() == [("succeeded", "system:auto-refund")]
    assert db.session.get(Order, order.id).payment_status == "refunded"
    calls = fault_proxy.seen("POST", "/v1/refunds")
    assert [c.action for c in calls] == ["drop", "forward"]
    assert calls[0].idempotency_key == calls[1].idempotency_key
    assert len(refunds_at_stripe(stripe_client, intent_id)) == 1


def test_a_refund_stripe_refuses_alerts_staff(clean_app, store, stripe_client, stripe_sandbox):
    with app_settings(clean_app, AUTO_REFUND_OUT_OF_STOCK=False):
        order, intent_id, _ = paid_out_of_stock(clean_app, store, stripe_client,
                                                stripe_sandbox.url)
    charge = stripe_client.v1.payment_intents.retrieve(intent_id).latest_charge
    requests.post(f"{stripe_sandbox.url}/v1/charges/{charge}/_dispute", timeout=10,
                  headers={"Authorization": "Bearer sk_test_sandbox"}).raise_for_status()
    assert refund_out_of_stock_order(order.id) == "refused"
    assert refund_rows() == [("failed", "system:auto-refund")]
    [alert] = db.session.scalars(select(StaffAlert)).all()
    assert (alert.kind, alert.order_id) == ("auto_refund_failed", order.id)
    assert "Refund it by hand" in alert.message
    assert db.session.get(Order, order.id).payment_status == "paid"


@pytest.mark.parametrize("flagged", [False, True])
def test_nothing_to_do_for_an_order_that_is_not_flagged(clean_app, store, stripe_client,
                                                       stripe_sandbox, flagged):
    if flagged:
        order, _, _ = paid_out_of_stock(clean_app, store, stripe_client, stripe_sandbox.url)
        db.session.execute(update(Order).where(Order.id == order.id).values(attention=None))
        db.session.commit()
        assert refund_out_of_stock_order(order.id) == "not_needed"
    assert refund_out_of_stock_order(999_999) == "not_needed"
