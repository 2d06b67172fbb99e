"""A Paystack or Flutterwave payment that lands on its link after we gave the attempt up: the
ledger records it, and the order keeps it (as a late Stripe payment is kept) or it is refunded
in full through the provider (the order was canceled by staff). Real sandboxes over HTTP, the
real signed webhook route, jobs in-process."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from shop.domain.ledger import summarize
from shop.extensions import db
from shop.models import (
    AuditEvent,
    InventoryHold,
    PaymentTransaction,
    ProductVariant,
    SentEmail,
)
from shop.models.types import utcnow
from shop.services.orders.fulfilment import cancel_order
from shop.services.payments.reconcile_redirects import late_payment_pass
from shop.services.payments.reconciliation import Tally, run_reconciliation

from ..gateways import back_at_shop, forward, hosted, sandbox_refunds
from ..payments import fresh
from .test_races import run_together
from .test_redirect_providers import attempts_of, order_of, place


def ledger_of(order) -> list[tuple[str, str, int]]:
    db.session.rollback()
    return [(r.kind, r.status, r.amount) for r in db.session.scalars(
        select(PaymentTransaction).where(PaymentTransaction.attempt_id.in_(
            [a.id for a in attempts_of(order)])).order_by(PaymentTransaction.id))]


def given_up(shopper, product, gateway):
    token, link = place(shopper, product, gateway)
    run_reconciliation(now=utcnow() + timedelta(hours=2))
    order = order_of(token)
    assert order.status == "expired"
    assert [a.status for a in attempts_of(order)] == ["canceled"]
    return token, link


def test_paid_after_expiry_with_stock_free_is_kept_like_a_late_stripe_payment(
        shopper, naira_product, gateway, mailbox):
    token, link = given_up(shopper, naira_product, gateway)
    location = hosted(link, "pay")  # the provider cannot cancel its page: a late shopper pays
    [delivery] = gateway.wait_for(1)
    assert forward(shopper.client, gateway.name, delivery).get_json()["outcome"] == "processed"
    assert back_at_shop(shopper.client, location).status_code == 303  # the return: no-op
    order = order_of(token)
    assert (order.status, order.payment_status, order.attention) == ("paid", "paid", None)
    [attempt] = attempts_of(order)
    assert attempt.status == "captured"
    assert ledger_of(order) == [("auth", "succeeded", order.total),
                                ("capture", "succeeded", order.total)]
    assert fresh(ProductVariant, naira_product.variants[0].id).stock_on_hand == 8
    assert sandbox_refunds(gateway, attempt.provider_reference) == []
    moved = db.session.scalar(select(AuditEvent).where(
        AuditEvent.entity_type == "payment_attempt", AuditEvent.to_state == "captured"))
    assert moved.from_state == "canceled" and "after the attempt was canceled" in moved.reason
    assert db.session.scalars(select(SentEmail.kind)).all() == ["order_expired", "receipt"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "paid_after_given_up")) == 1


def test_paid_after_staff_canceled_is_refunded_once(clean_app, shopper, naira_product, gateway,
                                                    mailbox):
    token, link = place(shopper, naira_product, gateway)
    order = order_of(token)
    cancel_order(order_id=order.id, store_id=order.store_id, actor="staff:ada")
    order = order_of(token)
    assert order.status == "canceled"
    # The link cannot be canceled at the provider: the attempt is given up on our side.
    assert [a.status for a in attempts_of(order)] == ["canceled"]

    hosted(link, "pay")
    [delivery] = gateway.wait_for(1)

    def webhook():
        with clean_app.app_context():
            return forward(clean_app.test_client(), gateway.name, delivery).status_code

    def reconcile():
        with clean_app.app_context():
            return len(run_reconciliation(now=utcnow() + timedelta(hours=2)))

    # The duplicate delivery and a reconciliation run at the same moment: one capture, one
    # refund asked of the provider.
    assert run_together(webhook, webhook, reconcile)[:2] == [200, 200]
    order = order_of(token)
    [attempt] = attempts_of(order)
    assert (order.status, attempt.status) == ("canceled", "captured")
    assert "canceled by staff: automatic refund requested" in order.attention
    [refund] = sandbox_refunds(gateway, attempt.provider_reference)
    assert ledger_of(order) == [("auth", "succeeded", order.total),
                                ("capture", "succeeded", order.total),
                                ("refund", "pending", order.total)]
    # The provider's refund webhook settles it; the shopper hears once.
    refund_delivery = gateway.wait_for(2)[1]
    assert forward(shopper.client, gateway.name, refund_delivery).status_code == 200
    assert forward(shopper.client, gateway.name, refund_delivery).get_json()["outcome"] \
        == "duplicate"
    order = order_of(token)
    assert order.payment_status == "refunded" and order.status == "canceled"
    rows = db.session.scalars(select(PaymentTransaction)).all()
    summary = summarize(rows)
    assert (summary.captured, summary.refunded, summary.refundable) == (order.total,) * 2 + (0,)
    assert len(sandbox_refunds(gateway, attempt.provider_reference)) == 1
    assert str(refund["id"]) in next(r.provider_reference for r in rows if r.kind == "refund")
    assert db.session.scalars(select(SentEmail.kind).order_by(SentEmail.id)).all() == [
        "order_canceled", f"refund:{gateway.name}:{refund['id']}"]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "paid_after_given_up")) == 1
    assert fresh(ProductVariant, naira_product.variants[0].id).stock_on_hand == 10


def test_paid_after_expiry_when_the_stock_was_sold_is_refunded_like_stripe(
        clean_app, shopper, naira_store, gateway, mailbox):
    from ..factories import make_product
    from ..shopper import Shopper

    product = make_product(naira_store, name="Last Bag", price=450000, stock=2)
    product.currency = "NGN"
    db.session.commit()
    token, link = given_up(shopper, product, gateway)
    place(Shopper(clean_app.test_client()), product, gateway)  # the same two bags, held
    hosted(link, "pay")
    [delivery] = gateway.wait_for(1)
    assert forward(shopper.client, gateway.name, delivery).status_code == 200
    order = order_of(token)
    assert order.paid_out_of_stock and "automatic refund requested" in order.attention
    [attempt] = attempts_of(order)
    [refund] = sandbox_refunds(gateway, attempt.provider_reference)
    forward(shopper.client, gateway.name, gateway.wait_for(2)[1])
    order = order_of(token)
    assert (order.status, order.payment_status) == ("paid", "refunded")
    assert ledger_of(order)[-1] == ("refund", "succeeded", order.total)
    assert fresh(ProductVariant, product.variants[0].id).stock_on_hand == 2  # never oversold
    assert db.session.scalars(select(SentEmail.kind).order_by(SentEmail.id)).all() == [
        "order_expired", "receipt", f"refund:{gateway.name}:{refund['id']}"]


def test_a_second_link_paid_after_the_order_was_paid_is_refunded(shopper, naira_product,
                                                                 gateway, mailbox):
    from shop.providers.base import PaymentStatus, ProviderPayment
    from shop.services.payments.redirect import apply_provider_payment
    from shop.services.platform.tx import write_transaction

    from ..gateways import back_at_shop, link_on_pay_page

    token, link = place(shopper, naira_product, gateway)
    back_at_shop(shopper.client, hosted(link, "fail"))
    if gateway.name == "flutterwave":
        gateway.wait_for(1)  # it reports the failure too (Paystack does not)
    retry = link_on_pay_page(shopper.client, token)  # a new attempt, a new link
    first, second = attempts_of(order_of(token))
    assert (first.status, second.status) == ("failed", "initiated")
    # The failed reference is then reported paid (the sandbox's pages cannot do that): the
    # order takes it, and the retry's link is given up.
    with write_transaction() as session:
        apply_provider_payment(session, gateway.name, ProviderPayment(
            first.provider_reference, PaymentStatus.SUCCEEDED, first.amount, "NGN", "77"),
            actor="webhook:test")
    assert order_of(token).status == "paid"
    assert [a.status for a in attempts_of(order_of(token))] == ["captured", "canceled"]

    seen = len(gateway.deliveries())
    hosted(retry, "pay")  # the shopper pays the retry's page too
    payment_event = gateway.wait_for(seen + 1)[seen]
    assert forward(shopper.client, gateway.name, payment_event).status_code == 200
    order = order_of(token)
    assert "already paid: automatic refund requested" in order.attention
    second = attempts_of(order)[1]
    [refund] = sandbox_refunds(gateway, second.provider_reference)
    forward(shopper.client, gateway.name, gateway.wait_for(seen + 2)[seen + 1])
    order = order_of(token)
    assert order.payment_status == "partially_refunded"  # one payment kept, one given back
    rows = db.session.scalars(select(PaymentTransaction).where(
        PaymentTransaction.attempt_id == second.id, PaymentTransaction.kind == "refund")).all()
    assert [(r.status, r.amount) for r in rows] == [("succeeded", order.total)]
    assert str(refund["id"]) in rows[0].provider_reference


def test_flutterwaves_page_closes_when_the_holds_end_paystacks_cannot(shopper, naira_product,
                                                                      gateway):
    """Flutterwave is sent session_duration up to the order's holds' end, so its page takes no
    payment once the shop gives the attempt up; Paystack has no such parameter (its late
    payments are the ones above)."""
    token, link = place(shopper, naira_product, gateway)
    order = order_of(token)
    [attempt] = attempts_of(order)
    held_until = db.session.scalar(select(func.max(InventoryHold.expires_at))
                                   .where(InventoryHold.order_id == order.id))
    session_url = f"{gateway.url}/_sandbox/payments/{attempt.provider_reference}/session"
    if gateway.name == "paystack":
        assert httpx.get(session_url, timeout=10).status_code == 404  # no session length
        return
    closes_at = httpx.get(session_url, timeout=10).json()["closes_at"]
    # Whole minutes, rounded up: at most a minute past the holds.
    assert 0 <= closes_at - held_until.timestamp() <= 61
    httpx.post(session_url, params={"close": "1"}, timeout=10).raise_for_status()
    assert httpx.get(link, timeout=10).status_code == 410
    assert httpx.post(link, data={"outcome": "pay"}, timeout=10).status_code == 410
    run_reconciliation(now=utcnow() + timedelta(hours=2))
    assert gateway.wait_for(0) == [] and order_of(token).status == "expired"
    assert ledger_of(order_of(token)) == []


def test_a_late_payment_whose_webhooks_were_lost_is_found_an_hour_after_give_up(
        shopper, naira_product, gateway, mailbox):
    token, link = given_up(shopper, naira_product, gateway)
    hosted(link, "pay")
    gateway.wait_for(1)  # sent, and never delivered to the shop
    [attempt] = attempts_of(order_of(token))
    given_up_at = attempt.updated_at
    run_reconciliation(now=given_up_at + timedelta(minutes=30))  # before the first check
    assert order_of(token).status == "expired" and ledger_of(order_of(token)) == []
    [run] = run_reconciliation(now=given_up_at + timedelta(hours=1, minutes=1))
    order = order_of(token)
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert ledger_of(order) == [("auth", "succeeded", order.total),
                                ("capture", "succeeded", order.total)]
    assert run.fixed >= 1


def test_a_given_up_link_is_asked_about_three_times_not_every_run(shopper, naira_product,
                                                                  gateway):
    token, _link = given_up(shopper, naira_product, gateway)
    [attempt] = attempts_of(order_of(token))
    at = attempt.updated_at

    def examined(since: timedelta, until: timedelta) -> int:
        tally = Tally()
        late_payment_pass(tally, [attempt.store_id], at + since, at + until, "test")
        return tally.examined

    hour = timedelta(hours=1)
    runs = [(0.5 * hour, 0.9 * hour), (0.9 * hour, 1.1 * hour), (1.1 * hour, 5.9 * hour),
            (5.9 * hour, 6.1 * hour), (6.1 * hour, 23.9 * hour), (23.9 * hour, 24.1 * hour),
            (24.1 * hour, 72 * hour)]
    assert [examined(*run) for run in runs] == [0, 1, 0, 1, 0, 1, 0]
    assert order_of(token).status == "expired"  # nothing paid there: nothing changed


def test_the_return_after_a_refunded_late_payment_leaves_the_order_canceled(
        shopper, naira_product, gateway):
    token, link = place(shopper, naira_product, gateway)
    order = order_of(token)
    cancel_order(order_id=order.id, store_id=order.store_id, actor="staff:ada")
    location = hosted(link, "pay")
    [delivery] = gateway.wait_for(1)
    assert forward(shopper.client, gateway.name, delivery).status_code == 200
    # The same payment reported again: the shopper's return, then reconciliation's checks.
    back_at_shop(shopper.client, location)
    run_reconciliation(now=utcnow() + timedelta(hours=1, minutes=1))
    order = order_of(token)
    assert (order.status, order.paid_at) == ("canceled", None)
    assert [kind for kind, _status, _amount in ledger_of(order)] == ["auth", "capture", "refund"]
    assert len(sandbox_refunds(gateway, attempts_of(order)[0].provider_reference)) == 1
