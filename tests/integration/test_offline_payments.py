"""Cash on delivery end to end through the checkout, the order page and the admin's
confirmation pages: stock, ledger, receipts, mail and audit."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    AuditEvent,
    Order,
    PaymentAttempt,
    PaymentTransaction,
    Receipt,
)
from shop.models.types import utcnow

from ..offline import audited, captures, confirm, only_order, stock
from ..shopper import csrf_token

# Cash on delivery.

def test_cod_order_takes_its_stock_and_goes_to_fulfilment_with_its_fee(
        offline_store, shopper, product, mailbox):
    shopper.add(product, 2)
    token = shopper.checkout(payment_method="cod")
    order = only_order()
    assert (order.payment_method, order.status, order.payment_status) == (
        "cod", "fulfilling", "pending")
    assert order.payment_fee == 200 and order.total == order.subtotal + order.shipping \
        + order.tax + 200
    assert stock(product) == 8  # committed at checkout, not held
    attempt = db.session.scalar(select(PaymentAttempt))
    assert (attempt.provider, attempt.status) == ("cod", "initiated")
    page = shopper.client.get(f"/orders/{token}").get_data(as_text=True)
    assert "you pay on delivery" in page and "Cash on delivery" in page
    assert 'id="payment-fee"' in page
    assert shopper.client.get("/cart").get_data(as_text=True).count("Kenya Nyeri") == 0
    [mail] = mailbox()
    assert "pay on delivery" in mail["Subject"]


def test_cod_is_refused_abroad_and_over_its_cap(offline_store, shopper, product):
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form(), payment_method="cod",
                                       country="CA", region="CA-ON", postal_code="K1A 0B1")
    assert response.status_code == 422
    assert "only available for deliveries in US" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0
    shopper.add(product, 6)  # 7 × 16.50 + shipping + fee > 100.00
    response = shopper.submit_checkout(shopper.checkout_form(), payment_method="cod")
    assert response.status_code == 422
    assert "only available for orders up to" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Order.id))) == 0
    assert stock(product) == 10


def test_cod_collected_pays_once_with_one_capture_and_one_receipt(
        offline_store, shopper, product, staff, mailbox):
    shopper.add(product, 1)
    shopper.checkout(payment_method="cod")
    order = only_order()
    url = f"/admin/orders/{order.id}/cod-collected"
    assert staff.post(url, data={"csrf_token": csrf_token(
        staff.get(url).get_data(as_text=True))}).status_code == 400  # box not ticked
    assert only_order().payment_status == "pending"
    assert confirm(staff, url).status_code == 303
    order = only_order()
    assert (order.payment_status, order.paid_at is not None) == ("paid", True)
    [capture] = captures(order)
    assert (capture.amount, capture.status, capture.attempt.provider) == (
        order.total, "succeeded", "cod")
    assert capture.attempt.status == "captured"
    [receipt] = db.session.scalars(select(Receipt)).all()
    assert receipt.payment_method == {"type": "cash_on_delivery"}
    assert receipt.snapshot["payment_fee"] == 200
    assert stock(product) == 9  # not taken a second time
    assert any("confirmed" in m["Subject"] for m in mailbox())
    again = confirm(staff, url)
    assert again.status_code == 409 and "no cash to collect" in again.get_data(as_text=True)
    assert len(captures(only_order())) == 1
    assert db.session.scalar(select(func.count(Receipt.id))) == 1
    assert audited(order, "cod_collected") == 1


def test_refused_delivery_cancels_and_restocks(offline_store, shopper, product, staff):
    shopper.add(product, 3)
    shopper.checkout(payment_method="cod")
    order = only_order()
    assert stock(product) == 7
    assert confirm(staff, f"/admin/orders/{order.id}/cod-refused").status_code == 303
    order = only_order()
    assert (order.status, order.payment_status) == ("canceled", "unpaid")
    assert db.session.scalar(select(PaymentAttempt.status)) == "canceled"
    assert stock(product) == 10
    assert captures(order) == []
    again = confirm(staff, f"/admin/orders/{order.id}/cod-refused")
    assert again.status_code == 409 and stock(product) == 10
    # Cash "collected" for a refused parcel is a mistake to correct, not money to book: the
    # form says so and nothing is recorded (a late bank transfer is recorded instead).
    audit_rows = db.session.scalar(select(func.count(AuditEvent.id)))
    late = confirm(staff, f"/admin/orders/{order.id}/cod-collected")
    assert late.status_code == 409 and only_order().paid_at is None
    assert "This order is canceled and its items are back in stock: no cash can be " \
        "recorded" in late.get_data(as_text=True)
    assert (only_order().status, only_order().payment_status) == ("canceled", "unpaid")
    assert captures(only_order()) == [] and stock(product) == 10
    assert db.session.scalar(select(func.count(AuditEvent.id))) == audit_rows


def test_staff_cancel_of_a_cod_order_points_to_the_refusal(offline_store, shopper, product,
                                                             staff):
    shopper.add(product, 1)
    shopper.checkout(payment_method="cod")
    order = only_order()
    page = confirm(staff, f"/admin/orders/{order.id}/cancel")
    assert page.status_code == 409 and "Record the delivery as refused" in \
        page.get_data(as_text=True)
    assert only_order().status == "fulfilling"


def test_manual_refund_of_cod_needs_and_keeps_a_payout_reference(
        offline_store, shopper, product, staff):
    shopper.add(product, 1)
    shopper.checkout(payment_method="cod")
    order = only_order()
    confirm(staff, f"/admin/orders/{order.id}/cod-collected")
    attempt = db.session.scalar(select(PaymentAttempt))
    url = f"/admin/payments/{attempt.id}/refund"
    page = staff.get(url).get_data(as_text=True)
    assert 'name="payout_reference"' in page
    form = {"csrf_token": csrf_token(page), "how": "amount", "amount": "5.00",
            "reason": "requested_by_customer", "step": "refund", "confirm": "y",
            "expected": "500"}
    refused = staff.post(url, data=form)
    assert refused.status_code == 422 and "reference of the payment" in \
        refused.get_data(as_text=True)
    assert staff.post(url, data={**form, "payout_reference": "CASH-0042"}).status_code == 303
    [refund] = db.session.scalars(select(PaymentTransaction).where(
        PaymentTransaction.kind == "refund")).all()
    assert (refund.status, refund.amount, refund.provider_reference) == (
        "succeeded", 500, "CASH-0042")
    assert only_order().payment_status == "partially_refunded"


def test_a_cash_payment_is_not_voided_from_the_payment_page(offline_store, shopper, product,
                                                            staff):
    shopper.add(product, 1)
    shopper.checkout(payment_method="cod")
    attempt_id = db.session.scalar(select(PaymentAttempt.id))
    page = staff.get(f"/admin/payments/{attempt_id}").get_data(as_text=True)
    assert f"/admin/payments/{attempt_id}/void" not in page
    response = confirm(staff, f"/admin/payments/{attempt_id}/void")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.scalar(select(PaymentAttempt.status)) == "initiated"


def test_reconciliation_flags_a_pending_manual_refund_for_staff(
        offline_store, shopper, product, staff, monkeypatch):
    """A crash between the refund's claim and its record leaves it pending: nobody but staff
    knows whether they paid the customer, so it is flagged, and Stripe is not asked."""
    from shop.models import StaffAlert
    from shop.services.payments import reconciliation
    from shop.services.payments.ledger import add_transaction
    from shop.services.platform.tx import write_transaction

    shopper.add(product, 1)
    shopper.checkout(payment_method="cod")
    order = only_order()
    confirm(staff, f"/admin/orders/{order.id}/cod-collected")
    attempt_id = db.session.scalar(select(PaymentAttempt.id))
    with write_transaction() as session:
        attempt = session.get(PaymentAttempt, attempt_id)
        row = add_transaction(session, attempt, kind="refund", amount=300, actor="staff:ada")
        row_id = row.id

    def no_provider(*_args, **_kwargs):
        raise AssertionError("a manual payout has no provider to ask")

    monkeypatch.setattr(reconciliation, "_settle_refund", no_provider)  # Stripe's or a host's
    for _ in range(2):  # told once, however often seen
        [run] = reconciliation.run_reconciliation(
            trigger="test", store_ids=[offline_store.id], now=utcnow() + timedelta(hours=1))
        assert (run.flagged, run.error) == (1, None)
    db.session.expire_all()
    assert db.session.get(PaymentTransaction, row_id).status == "pending"
    order = only_order()
    assert f"Manual refund {row_id}" in order.attention
    assert order.attention.count("Manual refund") == 1
    assert audited(order, "manual_refund_unrecorded") == 1
    [alert] = db.session.scalars(select(StaffAlert)).all()
    assert (alert.order_id, alert.attempt_id) == (order.id, attempt_id)


def test_checkout_summary_shows_the_cod_fee_when_cod_is_chosen(offline_store, shopper, product):
    """The summary's data carries the total with the fee, priced on the server; without
    JavaScript, "Update total" with cash on delivery chosen shows the fee and that total."""
    import html
    import json

    from ..shopper import ADDRESS

    shopper.add(product, 1)
    page = shopper.client.get("/checkout").get_data(as_text=True)
    prices = json.loads(html.unescape(re.search(r"data-prices='([^']*)'", page).group(1)))
    figures = prices[ADDRESS["region"]]["methods"][ADDRESS["shipping_method"]]
    assert 'id="summary-cod-fee-row" data-cod-fee hidden' in page  # not chosen yet
    form = shopper.checkout_form()
    shown = shopper.submit_checkout(form, payment_method="cod", update_total="1")
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert 'id="summary-cod-fee-row" data-cod-fee>' in text
    assert '<dd id="summary-cod-fee">$2.00</dd>' in text
    total = re.search(r'<dd id="summary-total">([^<]*)</dd>', text).group(1)
    assert db.session.scalar(select(func.count(Order.id))) == 0  # nothing was placed
    assert figures["total_cod"] == total != figures["total"]
    shopper.checkout(payment_method="cod")
    # What the summary said is what the order asks for.
    assert total == f"${only_order().total / 100:,.2f}"
