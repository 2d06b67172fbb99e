"""Bank transfer end to end: the reference and instructions, the long hold and its reminder,
transfers received in parts, overpayment, expiry, and manual refunds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.domain.payment_methods.bank_reference import is_valid
from shop.extensions import db
from shop.models import (
    AuditEvent,
    InventoryHold,
    Order,
    PaymentAttempt,
    PaymentTransaction,
    Receipt,
    StoreSettings,
)
from shop.models.types import utcnow

from ..offline import audited, captures, confirm, only_order, stock
from ..shopper import csrf_token


def place_transfer(shopper, product, quantity: int = 1) -> tuple[str, Order]:
    shopper.add(product, quantity)
    token = shopper.checkout(payment_method="bank_transfer")
    return token, only_order()


def test_bank_transfer_order_gets_a_reference_instructions_and_a_long_hold(
        offline_store, shopper, product, mailbox):
    token, order = place_transfer(shopper, product)
    assert (order.payment_method, order.status, order.payment_status) == (
        "bank_transfer", "pending", "unpaid")
    assert is_valid(order.payment_reference) and order.payment_fee == 0
    hold = db.session.scalar(select(InventoryHold))
    assert hold.expires_at - order.created_at > timedelta(days=2, hours=23)
    page = shopper.client.get(f"/orders/{token}").get_data(as_text=True)
    assert "Awaiting your bank transfer" in page and "IBAN GB33" in page
    assert re.search(r"RF\d\d SO\d", page)
    [mail] = mailbox()
    assert "How to pay" in mail["Subject"]
    assert order.payment_reference[:4] in mail.get_body(("plain",)).get_content()


def test_bank_transfer_is_not_offered_without_bank_details(store, shopper, product):
    db.session.add(StoreSettings(store_id=store.id, payment_methods=["stripe",
                                                                     "bank_transfer"]))
    db.session.commit()
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form(),
                                       payment_method="bank_transfer")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(Order.id))) == 0


def transfer(staff, order: Order, amount: str, **extra):
    return confirm(staff, f"/admin/orders/{order.id}/transfer-received", amount=amount,
                   received_on=utcnow().date().isoformat(), reference="BANK-1", **extra)


def test_partial_transfer_stays_pending_then_the_rest_settles(
        offline_store, shopper, product, staff, mailbox):
    token, order = place_transfer(shopper, product, 2)
    total = order.total
    assert transfer(staff, order, "10.00").status_code == 303
    order = only_order()
    assert (order.status, order.payment_status, order.paid_at) == ("pending", "pending", None)
    page = shopper.client.get(f"/orders/{token}").get_data(as_text=True)
    owed = f"{(total - 1000) / 100:.2f}"
    assert owed in page
    admin_page = staff.get(f"/admin/orders/{order.id}/transfer-received").get_data(
        as_text=True)
    assert owed in admin_page
    assert transfer(staff, order, owed).status_code == 303
    order = only_order()
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert [c.amount for c in captures(order)] == [1000, total - 1000]
    assert {c.attempt.provider for c in captures(order)} == {"bank_transfer"}
    [receipt] = db.session.scalars(select(Receipt)).all()
    assert receipt.payment_method == {"type": "bank_transfer"}
    assert stock(product) == 8
    assert audited(order, "transfer_received") == 2
    assert any("confirmed" in m["Subject"] for m in mailbox())
    again = transfer(staff, order, "1.00")
    assert again.status_code == 409 and len(captures(only_order())) == 2


def test_overpayment_is_flagged_for_a_refund(offline_store, shopper, product, staff):
    _token, order = place_transfer(shopper, product)
    over = f"{(order.total + 500) / 100:.2f}"
    assert transfer(staff, order, over).status_code == 303
    order = only_order()
    assert order.payment_status == "paid"
    assert "Overpaid by bank transfer: $5.00" in order.attention
    assert audited(order, "transfer_overpaid") == 1


@pytest.mark.parametrize("amount,date,message", [
    ("-5.00", None, "Enter an amount"),
    ("abc", None, "Enter an amount like"),
    ("99999999999999", None, "too large"),
    ("0", None, "more than 0"),
    ("10.00", "future", "cannot be in the future"),
    ("10.00", "nonsense", "Enter the date"),
])
def test_bad_transfer_input_changes_nothing(offline_store, shopper, product, staff, amount,
                                            date, message):
    _token, order = place_transfer(shopper, product)
    when = {"future": (utcnow() + timedelta(days=2)).date().isoformat(),
            "nonsense": "yesterday", None: utcnow().date().isoformat()}[date]
    response = confirm(staff, f"/admin/orders/{order.id}/transfer-received", amount=amount,
                       received_on=when, reference="X")
    assert response.status_code in (400, 422)
    assert message in response.get_data(as_text=True)
    assert captures(only_order()) == [] and only_order().payment_status == "unpaid"


def test_reminder_after_a_day_once(offline_store, shopper, product, mailbox, clean_app):
    from shop.services.notifications.instructions import send_transfer_reminder
    from shop.services.payments.transfers import orders_to_remind

    _token, order = place_transfer(shopper, product)
    assert orders_to_remind() == []
    later = utcnow() + timedelta(days=1, minutes=1)
    assert orders_to_remind(now=later) == [order.id]
    assert send_transfer_reminder(order.id) is True
    assert orders_to_remind(now=later) == []
    assert send_transfer_reminder(order.id) is False
    assert [m["Subject"] for m in mailbox()][-1].startswith("Reminder")
    assert orders_to_remind(now=utcnow() + timedelta(days=3, minutes=1)) == []


def test_unpaid_transfer_is_canceled_after_its_hold_days_and_restocked(
        offline_store, shopper, product):
    from shop.services.inventory.expiry import cancel_stale_unpaid_orders, expire_lapsed_orders

    _token, order = place_transfer(shopper, product, 4)
    # The usual unpaid-order TTL (hours) and the minute job leave it alone.
    assert cancel_stale_unpaid_orders(now=utcnow() + timedelta(days=2)).closed == []
    assert expire_lapsed_orders(now=utcnow() + timedelta(days=4)).expired == 0
    assert only_order().status == "pending"
    report = cancel_stale_unpaid_orders(now=utcnow() + timedelta(days=3, minutes=1))
    assert report.closed == [order.id]
    order = only_order()
    assert order.status == "canceled"
    assert {h.status for h in db.session.scalars(select(InventoryHold))} == {"released"}
    assert stock(product) == 10
    # Its attempt ends with it, through the state machine and audited.
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id == order.id))
    assert (attempt.provider, attempt.status) == ("bank_transfer", "canceled")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "payment_attempt", AuditEvent.entity_id == attempt.id,
        AuditEvent.to_state == "canceled", AuditEvent.actor == "system:auto-cancel")) == 1


def test_manual_refund_of_a_transfer(offline_store, shopper, product, staff, mailbox):
    _token, order = place_transfer(shopper, product)
    transfer(staff, order, f"{order.total / 100:.2f}")
    attempt = db.session.scalar(select(PaymentAttempt))
    url = f"/admin/payments/{attempt.id}/refund"
    page = staff.get(url).get_data(as_text=True)
    total = order.total
    response = staff.post(url, data={
        "csrf_token": csrf_token(page), "how": "full", "reason": "requested_by_customer",
        "step": "refund", "confirm": "y", "expected": str(total),
        "payout_reference": "TRF-RET-7"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    refund = db.session.scalar(select(PaymentTransaction).where(
        PaymentTransaction.kind == "refund"))
    assert (refund.status, refund.provider_reference) == ("succeeded", "TRF-RET-7")
    assert only_order().payment_status == "refunded"
    # The mail says it was paid back by hand, under staff's payout reference: not to a card.
    [mail] = [m for m in mailbox() if m["Subject"].startswith("Refund")]
    for part in ("plain", "html"):
        text = mail.get_body((part,)).get_content()
        assert "paid it back to you by hand" in text and "TRF-RET-7" in text
        assert "Payout reference" in text and "card you paid with" not in text


def test_the_periodic_reminder_job_mails_once(offline_store, shopper, product, mailbox):
    from shop.jobs.periodic import by_name

    _token, order = place_transfer(shopper, product)
    job = by_name("remind_bank_transfers")
    assert job.func() == 0  # not a day old yet
    order.created_at = utcnow() - timedelta(hours=25)
    db.session.commit()
    assert job.func() == 1
    assert job.func() == 0
    subjects = [m["Subject"] for m in mailbox()]
    assert sum(s.startswith("Reminder") for s in subjects) == 1
    paid = [m for m in mailbox() if m["Subject"].startswith("Reminder")][0]
    assert "RF" in paid.get_body(("plain",)).get_content()




def test_a_transfer_paid_out_of_stock_is_left_to_staff_not_refunded_by_the_job(
        offline_store, shopper, product, staff):
    """The automatic refund of an order paid after its stock sold out cannot pay a transfer
    back: it alerts staff, records no refund and does not fail the job."""
    from shop.models import StaffAlert
    from shop.models.order import PAID_OUT_OF_STOCK
    from shop.services.refunds.out_of_stock import refund_out_of_stock

    _token, order = place_transfer(shopper, product)
    assert transfer(staff, order, f"{order.total / 100:.2f}").status_code == 303
    order = only_order()
    order.attention = f"{PAID_OUT_OF_STOCK}: the beans"
    db.session.commit()
    assert refund_out_of_stock(order_id=order.id) == "manual"
    refunds = db.session.scalar(select(func.count(PaymentTransaction.id)).where(
        PaymentTransaction.kind == "refund"))
    alerts = db.session.scalars(select(StaffAlert).where(StaffAlert.order_id == order.id)).all()
    assert refunds == 0 and [a.kind for a in alerts] == ["auto_refund_failed"]
    assert "paid by hand" in alerts[0].message
