"""Paystack and Flutterwave end to end: the real checkout, return, pay-page and webhook routes,
and each provider's sandbox over HTTP (its hosted page, verify, refunds, signed webhooks)."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select, update

from shop.domain.ledger import ProviderUnavailable, TransactionKind
from shop.extensions import db
from shop.models import (
    AuditEvent,
    InventoryHold,
    Order,
    PaymentAttempt,
    PaymentTransaction,
    ProductVariant,
    ProviderEvent,
    StaffAlert,
    StoreSettings,
)
from shop.models.types import utcnow
from shop.providers.base import PaymentStatus, ProviderPayment
from shop.services.inventory.expiry import close_lapsed_orders, expire_lapsed_orders
from shop.services.payments.reconciliation import run_reconciliation
from shop.services.payments.redirect import apply_provider_payment
from shop.services.platform.tx import write_transaction
from shop.services.refunds.refunds import refund_payment

from ..gateways import NIGERIA, WALK_AWAY, back_at_shop, forward, hosted, link_on_pay_page
from ..payments import fresh
from .test_races import run_together


def place(shopper, product, gateway) -> tuple[str, str]:
    """Check out paying with ``gateway``; the order's token and the hosted page's link."""
    shopper.add(product, 2)
    response = shopper.submit_checkout(shopper.checkout_form(), payment_method=gateway.name,
                                       **NIGERIA)
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    link = response.headers["Location"]
    assert link.startswith(gateway.url), link
    order = db.session.scalar(select(Order).order_by(Order.id.desc()))
    return order.token, link


def order_of(token: str) -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order).where(Order.token == token))


def attempts_of(order: Order) -> list[PaymentAttempt]:
    return list(db.session.scalars(select(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id).order_by(PaymentAttempt.id)))


def captures(order: Order) -> int:
    return db.session.scalar(select(func.count(PaymentTransaction.id)).join(PaymentAttempt)
                             .where(PaymentAttempt.order_id == order.id,
                                    PaymentTransaction.kind == TransactionKind.CAPTURE))


def paid_changes(order: Order) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "order", AuditEvent.entity_id == order.id,
        AuditEvent.to_state == "paid"))


def assert_paid_once(order: Order) -> None:
    assert (order.status, order.payment_status) == ("paid", "paid")
    [attempt] = [a for a in attempts_of(order) if a.status == "captured"]
    assert attempt.provider == order.payment_method
    assert captures(order) == 1 and paid_changes(order) == 2  # order and payment status


def test_paid_and_return_before_webhook(shopper, naira_product, gateway):
    token, link = place(shopper, naira_product, gateway)
    order = order_of(token)
    assert (order.currency, order.payment_method) == ("NGN", gateway.name)
    [attempt] = attempts_of(order)
    assert attempt.redirect_url == link and attempt.provider_reference
    # A repeated checkout post or a reload of the pay page leads to the same hosted page.
    assert link_on_pay_page(shopper.client, token) == link

    back = back_at_shop(shopper.client, hosted(link, "pay"))
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/orders/{token}")
    order = order_of(token)
    assert_paid_once(order)
    assert fresh(ProductVariant, naira_product.variants[0].id).stock_on_hand == 8

    [delivery] = gateway.wait_for(1)
    answer = forward(shopper.client, gateway.name, delivery)
    assert answer.status_code == 200 and answer.get_json()["outcome"] == "processed"
    assert_paid_once(order_of(token))
    assert shopper.status(token)["payment_status"] == "paid"


def test_webhook_before_return_and_duplicates_have_one_effect(shopper, naira_product, gateway):
    token, link = place(shopper, naira_product, gateway)
    location = hosted(link, "pay")
    [delivery] = gateway.wait_for(1)
    assert forward(shopper.client, gateway.name, delivery).get_json()["outcome"] == "processed"
    assert_paid_once(order_of(token))
    again = forward(shopper.client, gateway.name, delivery)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    back_at_shop(shopper.client, location)
    assert_paid_once(order_of(token))
    assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == 1


def test_failed_then_retried_with_a_new_reference(shopper, naira_product, gateway):
    token, link = place(shopper, naira_product, gateway)
    back_at_shop(shopper.client, hosted(link, "fail"))
    order = order_of(token)
    assert (order.status, order.payment_status) == ("pending", "failed")
    [failed] = attempts_of(order)
    assert failed.status == "failed"
    assert shopper.status(token)["can_pay"] is True

    retry = link_on_pay_page(shopper.client, token)
    assert retry != link
    first, second = attempts_of(order_of(token))
    assert second.status == "initiated" and second.provider_reference != first.provider_reference
    back_at_shop(shopper.client, hosted(retry, "pay"))
    assert_paid_once(order_of(token))
    # The failure's webhook (Flutterwave sends one) arriving late changes nothing.
    for delivery in gateway.deliveries():
        assert forward(shopper.client, gateway.name, delivery).status_code == 200
    assert_paid_once(order_of(token))


def test_abandoned_then_expired_and_restocked_by_reconciliation(shopper, naira_product,
                                                                 gateway):
    token, link = place(shopper, naira_product, gateway)
    back_at_shop(shopper.client, hosted(link, WALK_AWAY[gateway.name]))
    order = order_of(token)
    assert (order.status, order.payment_status) == ("pending", "unpaid")
    assert link_on_pay_page(shopper.client, token) == link  # still payable while held

    later = utcnow() + timedelta(hours=2)  # past the hold and the stuck time
    [run] = run_reconciliation(now=later)
    assert (run.examined, run.fixed, run.error) == (1, 1, None)
    order = order_of(token)
    assert order.status == "expired" and order.paid_at is None
    assert [a.status for a in attempts_of(order)] == ["canceled"]
    assert db.session.scalar(select(func.count(InventoryHold.id)).where(
        InventoryHold.order_id == order.id, InventoryHold.status == "active")) == 0


def test_abandoned_then_expired_by_the_hold_expiry_job(shopper, naira_product, gateway):
    token, _link = place(shopper, naira_product, gateway)
    order = order_of(token)
    db.session.execute(update(InventoryHold).where(InventoryHold.order_id == order.id)
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    report = expire_lapsed_orders()
    assert report.handed_on == 1  # it has a reference: the provider is asked first
    assert close_lapsed_orders(order_ids=[order.id]).closed == [order.id]
    order = order_of(token)
    assert order.status == "expired"
    assert [a.status for a in attempts_of(order)] == ["canceled"]


def test_refund_partial_then_full(shopper, naira_product, gateway):
    token, link = place(shopper, naira_product, gateway)
    back_at_shop(shopper.client, hosted(link, "pay"))
    gateway.wait_for(1)
    order = order_of(token)
    [attempt] = attempts_of(order)
    part = refund_payment(attempt_id=attempt.id, amount=100000, actor="staff:ada")
    assert part.status == "pending" and part.provider_reference.startswith(f"{gateway.name}:")
    deliveries = gateway.wait_for(2)
    assert forward(shopper.client, gateway.name, deliveries[1]).status_code == 200
    assert fresh(PaymentTransaction, part.id).status == "succeeded"
    assert order_of(token).payment_status == "partially_refunded"

    rest = refund_payment(attempt_id=attempt.id, actor="staff:ada")
    assert rest.amount == order.total - 100000
    # The webhook never comes here: reconciliation fetches the refund instead.
    gateway.wait_for(3)
    run_reconciliation(now=utcnow() + timedelta(hours=1))
    assert fresh(PaymentTransaction, rest.id).status == "succeeded"
    assert order_of(token).payment_status == "refunded"
    # The late webhook is one more hint: nothing left to move.
    assert forward(shopper.client, gateway.name, gateway.deliveries()[2]).status_code == 200
    assert order_of(token).payment_status == "refunded"


def test_a_failed_refund_fails_its_row(shopper, naira_product, gateway):
    token, link = place(shopper, naira_product, gateway)
    back_at_shop(shopper.client, hosted(link, "pay"))
    gateway.wait_for(1)
    [attempt] = attempts_of(order_of(token))
    httpx.post(f"{gateway.url}/_sandbox/refunds/fail-next", timeout=10).raise_for_status()
    row = refund_payment(attempt_id=attempt.id, amount=50000, actor="staff:ada")
    forward(shopper.client, gateway.name, gateway.wait_for(2)[1])
    assert fresh(PaymentTransaction, row.id).status == "failed"
    assert order_of(token).payment_status == "paid"


@pytest.mark.parametrize("signature", [None, "forged", "stale"])
def test_forged_or_stale_webhooks_are_refused(shopper, naira_product, gateway, signature):
    token, link = place(shopper, naira_product, gateway)
    hosted(link, "pay")
    [delivery] = gateway.wait_for(1)
    if signature == "stale":
        # A body edited after it was signed (Paystack signs the body), or a secret the shop no
        # longer has (Flutterwave's hash, rotated in its dashboard).
        headers, body = delivery
        delivery = (headers, body.replace(b'"status"', b'"status" ', 1))
        answer = forward(shopper.client, gateway.name, delivery,
                         **({"signature": "flw-old-hash"} if gateway.name == "flutterwave"
                            else {}))
    else:
        answer = forward(shopper.client, gateway.name, delivery,
                         signature="0" * 128 if signature else None)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "invalid_signature"
    order = order_of(token)
    assert (order.status, order.payment_status) == ("pending", "unpaid")
    assert db.session.scalar(select(func.count()).select_from(ProviderEvent)) == 0


def test_a_payment_of_another_amount_is_flagged_not_paid(shopper, naira_product, gateway):
    token, _link = place(shopper, naira_product, gateway)
    [attempt] = attempts_of(order_of(token))
    reported = ProviderPayment(attempt.provider_reference, PaymentStatus.SUCCEEDED,
                               attempt.amount - 100, "NGN", "999")
    with write_transaction() as session:
        apply_provider_payment(session, gateway.name, reported, actor="webhook:test")
    order = order_of(token)
    assert (order.status, order.payment_status, order.paid_at) == ("pending", "unpaid", None)
    assert "Amount mismatch" in order.attention and captures(order) == 0
    assert [a.status for a in attempts_of(order)] == ["initiated"]


def test_an_unreachable_provider_leaves_the_refund_pending_then_asked_again(
        shopper, naira_product, gateway, clean_app, monkeypatch):
    token, link = place(shopper, naira_product, gateway)
    back_at_shop(shopper.client, hosted(link, "pay"))
    [attempt] = attempts_of(order_of(token))
    base = f"{gateway.name.upper()}_API_BASE"
    monkeypatch.setitem(clean_app.config, base, "http://127.0.0.1:9")  # nothing listens
    with pytest.raises(ProviderUnavailable):
        refund_payment(attempt_id=attempt.id, amount=100000, actor="staff:ada")
    row = db.session.scalar(select(PaymentTransaction).where(
        PaymentTransaction.kind == TransactionKind.REFUND))
    assert row.status == "pending" and row.provider_reference is None
    monkeypatch.setitem(clean_app.config, base, gateway.url)
    [run] = run_reconciliation(now=utcnow() + timedelta(hours=1))
    # The provider lists no such refund (the call never reached it): asked for once more.
    assert run.flagged == 0
    assert fresh(PaymentTransaction, row.id).provider_reference.startswith(f"{gateway.name}:")
    assert db.session.scalar(select(func.count(StaffAlert.id))) == 0


def test_return_and_webhook_at_the_same_moment(clean_app, shopper, naira_product, gateway):
    token, link = place(shopper, naira_product, gateway)
    location = hosted(link, "pay")
    [delivery] = gateway.wait_for(1)
    cookie = shopper.client.get_cookie("session").value

    def returning():
        client = clean_app.test_client()
        client.set_cookie("session", cookie)
        return back_at_shop(client, location).status_code

    def webhook():
        return forward(clean_app.test_client(), gateway.name, delivery).status_code

    assert run_together(returning, webhook) == [303, 200]
    assert_paid_once(order_of(token))
    assert fresh(ProductVariant, naira_product.variants[0].id).stock_on_hand == 8


def test_twenty_shoppers_five_units_with_mixed_methods(clean_app, naira_store, gateway_processes):
    from ..factories import make_product
    from ..shopper import Shopper

    settings = db.session.get(StoreSettings, naira_store.id)
    settings.payment_methods = ["stripe", "paystack", "flutterwave"]
    product = make_product(naira_store, name="Limited Edition", stock=5)
    methods = ["stripe", "paystack", "flutterwave"]
    shoppers = []
    for i in range(20):
        s = Shopper(clean_app.test_client())
        s.add(product, 1)
        shoppers.append((s, s.checkout_form(), methods[i % 3]))

    def checkout(s, form, method):
        return lambda: s.submit_checkout(form, payment_method=method, **NIGERIA)

    responses = run_together(*(checkout(*args) for args in shoppers))
    assert sorted(r.status_code for r in responses) == [303] * 5 + [409] * 15
    db.session.rollback()
    assert db.session.scalar(select(func.count(Order.id))) == 5
    assert db.session.scalar(select(func.sum(InventoryHold.quantity)).where(
        InventoryHold.status == "active")) == 5
