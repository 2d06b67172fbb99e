"""Cash on delivery and bank transfer, end to end through the checkout, the order page and
the admin's confirmation pages: stock, ledger, receipts, mail and audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.domain.bank_reference import is_valid
from shop.extensions import db
from shop.models import (
    AuditEvent,
    InventoryHold,
    Order,
    PaymentAttempt,
    PaymentTransaction,
    Receipt,
    Role,
    StoreSettings,
)
from shop.models.types import utcnow

from ..factories import PASSWORD, make_user
from ..shopper import csrf_token, login

BANK = "Bean & Leaf Ltd\nIBAN GB33 BUKB 2020 1555 5555 55"


@pytest.fixture
def offline_store(store):
    db.session.add(StoreSettings(store_id=store.id, payment_methods=["stripe", "cod",
                                                                     "bank_transfer"],
                                 cod_fee=200, cod_max_amount=10_000, bank_account=BANK,
                                 bank_transfer_hold_days=3))
    db.session.commit()
    return store


@pytest.fixture
def staff(clean_app, offline_store):
    make_user("owner@example.com", store=offline_store, role=Role.OWNER)
    client = clean_app.test_client()
    assert login(client, "owner@example.com", PASSWORD).status_code == 303
    return client


def confirm(client, url: str, **data):
    """GET the confirmation page (its CSRF token), then POST it ticked."""
    page = client.get(url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)),
                                  "confirm": "y", **data})


def stock(product) -> int:
    db.session.expire_all()
    return db.session.get(type(product), product.id).variants[0].stock_on_hand


def only_order() -> Order:
    db.session.expire_all()
    return db.session.scalar(select(Order))


def captures(order: Order) -> list[PaymentTransaction]:
    return list(db.session.scalars(select(PaymentTransaction).join(PaymentAttempt).where(
        PaymentAttempt.order_id == order.id, PaymentTransaction.kind == "capture")))


def audited(order: Order, action: str) -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_type == "order", AuditEvent.entity_id == order.id,
        AuditEvent.action == action))


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
    late = confirm(staff, f"/admin/orders/{order.id}/cod-collected")
    assert late.status_code == 409 and only_order().paid_at is None


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


# Bank transfer.

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
