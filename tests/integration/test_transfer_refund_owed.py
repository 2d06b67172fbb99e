"""Bank-transfer money on an order that will not ship: a part-paid transfer whose hold ran
out, a transfer recorded after the order was canceled, and the race between the two."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    AuditEvent,
    InventoryHold,
    PaymentAttempt,
    PaymentTransaction,
    StaffAlert,
)
from shop.models.types import utcnow
from shop.services.inventory.expiry import cancel_stale_unpaid_orders

from ..offline import audited, captures, confirm, only_order, stock
from ..shopper import csrf_token
from .test_bank_transfers import place_transfer, transfer

AFTER_HOLD = timedelta(days=3, minutes=1)


def run_job(after: timedelta = AFTER_HOLD):
    return cancel_stale_unpaid_orders(now=utcnow() + after)


def alerts(order) -> list[StaffAlert]:
    db.session.expire_all()
    return list(db.session.scalars(select(StaffAlert).where(StaffAlert.order_id == order.id)))


def canceled_mails(mailbox) -> list:
    return [m for m in mailbox() if m["Subject"].endswith("was canceled")]


def footprint(order) -> tuple:
    """What the job may change: order, holds, ledger, audit, alerts."""
    db.session.expire_all()
    return (only_order().status, only_order().payment_status, only_order().attention,
            sorted(h.status for h in db.session.scalars(select(InventoryHold))),
            db.session.scalar(select(func.count(PaymentTransaction.id))),
            db.session.scalar(select(func.count(AuditEvent.id))), len(alerts(order)))


def test_part_paid_transfer_is_canceled_when_its_hold_ends_and_flagged_to_pay_back(
        offline_store, shopper, product, staff, mailbox):
    token, order = place_transfer(shopper, product, 2)
    assert transfer(staff, order, "10.00").status_code == 303
    assert run_job(timedelta(days=2)).closed == []  # its hold still runs
    assert only_order().status == "pending"
    assert run_job().closed == [order.id]
    order = only_order()
    assert (order.status, order.payment_status, order.paid_at) == ("canceled", "paid", None)
    assert order.canceled_at is not None
    assert {h.status for h in db.session.scalars(select(InventoryHold))} == {"released"}
    assert stock(product) == 10  # held, never taken: nothing to put back
    assert "Canceled with $10.00 of" in order.attention and "refund $10.00" in order.attention
    assert audited(order, "transfer_refund_owed") == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.entity_id == order.id, AuditEvent.action == "order_state_change",
        AuditEvent.to_state == "canceled", AuditEvent.actor == "system:auto-cancel")) == 1
    [alert] = alerts(order)
    assert alert.kind == "transfer_refund_owed" and "payout's reference" in alert.message
    [mail] = canceled_mails(mailbox)
    for part in ("plain", "html"):
        text = mail.get_body((part,)).get_content()
        assert "did not arrive in full in time" in text and "$10.00" in text
        assert "pay it back to you" in text and "Nothing was charged" not in text
    [capture] = captures(order)
    assert (capture.amount, capture.attempt.status) == (1000, "captured")
    owed = staff.get("/admin/orders?status=canceled&payment_status=paid").get_data(
        as_text=True)  # the dashboard's "Canceled, refund owed" list
    unpaid = staff.get("/admin/orders?status=canceled&payment_status=unpaid").get_data(
        as_text=True)
    assert order.number in owed and order.number not in unpaid
    page = shopper.client.get(f"/orders/{token}").get_data(as_text=True)
    assert "This order was canceled" in page and "We received $10.00" in page
    assert "Received, to be paid back" in page
    assert "Awaiting your bank transfer" not in page
    # A second run of the job changes nothing, and sends nothing.
    before = footprint(order)
    assert run_job().closed == [] and run_job(timedelta(days=9)).closed == []
    assert footprint(order) == before and len(canceled_mails(mailbox)) == 1


def test_staff_pay_back_the_part_on_the_refund_page(offline_store, shopper, product, staff,
                                                     mailbox):
    _token, order = place_transfer(shopper, product, 2)
    transfer(staff, order, "10.00")
    run_job()
    attempt = db.session.scalar(select(PaymentAttempt).where(
        PaymentAttempt.status == "captured"))
    url = f"/admin/payments/{attempt.id}/refund"
    assert url in staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    page = staff.get(url).get_data(as_text=True)
    fields = {"csrf_token": csrf_token(page), "how": "full", "reason": "requested_by_customer",
              "step": "refund", "confirm": "y", "expected": "1000"}
    assert staff.post(url, data=fields).status_code == 422  # no payout reference
    assert only_order().payment_status == "paid"
    assert staff.post(url, data={**fields, "payout_reference": "RET-55"}).status_code == 303
    refund = db.session.scalar(select(PaymentTransaction).where(
        PaymentTransaction.kind == "refund"))
    assert (refund.amount, refund.status, refund.provider_reference) == (
        1000, "succeeded", "RET-55")
    order = only_order()
    assert (order.status, order.payment_status) == ("canceled", "refunded")
    assert any("RET-55" in m.get_body(("plain",)).get_content() for m in mailbox()
               if m["Subject"].startswith("Refund"))
    # The rest arrives after the payout: the ledger holds money again, owed back again.
    assert transfer(staff, order, f"{(order.total - 1000) / 100:.2f}").status_code == 303
    order = only_order()
    assert (order.status, order.payment_status) == ("canceled", "partially_refunded")
    assert audited(order, "transfer_refund_owed") == 2


def test_the_rest_recorded_before_the_job_runs_pays_the_order(offline_store, shopper,
                                                              product, staff):
    _token, order = place_transfer(shopper, product, 2)
    transfer(staff, order, "10.00")
    assert transfer(staff, order, f"{(order.total - 1000) / 100:.2f}").status_code == 303
    assert run_job().closed == []
    order = only_order()
    assert (order.status, order.payment_status, order.attention) == ("paid", "paid", None)
    assert stock(product) == 8 and alerts(order) == []


def test_the_job_loses_the_lock_race_to_the_last_part(offline_store, shopper, product, staff):
    """The job read the order as part-paid, then the rest was recorded before it took the
    order's lock: it re-checks under the lock and leaves the order paid."""
    from shop.services.payments.transfer_owed import cancel_part_paid_transfer

    _token, order = place_transfer(shopper, product, 2)
    transfer(staff, order, "10.00")
    transfer(staff, order, f"{(order.total - 1000) / 100:.2f}")
    assert cancel_part_paid_transfer(order_id=order.id, actor="system:auto-cancel") == "kept"
    assert (only_order().status, only_order().payment_status) == ("paid", "paid")
    assert audited(order, "transfer_refund_owed") == 0


def test_the_rest_recorded_after_the_job_stays_off_the_canceled_order(
        offline_store, shopper, product, staff):
    _token, order = place_transfer(shopper, product, 2)
    transfer(staff, order, "10.00")
    run_job()
    rest = f"{(order.total - 1000) / 100:.2f}"
    response = transfer(staff, order, rest)
    assert response.status_code == 303
    page = staff.get(response.headers["Location"]).get_data(as_text=True)
    assert "This order was canceled: the transfer is recorded and flagged for a refund" in page
    order = only_order()
    assert (order.status, order.payment_status, order.paid_at) == ("canceled", "paid", None)
    assert [c.amount for c in captures(order)] == [1000, order.total - 1000]
    assert audited(order, "transfer_refund_owed") == 2
    assert f"refund ${rest}" in order.attention
    assert stock(product) == 10 and len(alerts(order)) == 1  # the open alert, not a second


def test_a_transfer_on_a_canceled_unpaid_order_is_recorded_and_flagged(
        offline_store, shopper, product, staff, mailbox):
    token, order = place_transfer(shopper, product)
    assert run_job().closed == [order.id]  # unpaid: canceled as before
    mailbox()
    page = staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Transfer received…" in page
    form = staff.get(f"/admin/orders/{order.id}/transfer-received").get_data(as_text=True)
    assert "This order is canceled." in form
    full = f"{order.total / 100:.2f}"
    assert transfer(staff, order, full).status_code == 303
    order = only_order()
    assert (order.status, order.payment_status, order.paid_at) == ("canceled", "paid", None)
    [capture] = captures(order)
    assert (capture.amount, capture.attempt.provider, capture.attempt.status) == (
        order.total, "bank_transfer", "captured")
    assert f"received after the order was canceled: refund ${full}" in order.attention
    assert audited(order, "transfer_received") == 1
    assert audited(order, "transfer_refund_owed") == 1
    assert [a.kind for a in alerts(order)] == ["transfer_refund_owed"]
    assert stock(product) == 10  # not revived: no stock taken, no receipt, no "confirmed"
    assert not any("confirmed" in m["Subject"] for m in mailbox())
    shop_page = shopper.client.get(f"/orders/{token}").get_data(as_text=True)
    assert "This order was canceled" in shop_page and "pay it back" in shop_page


def test_bad_input_on_a_canceled_order_changes_nothing(offline_store, shopper, product,
                                                        staff):
    _token, order = place_transfer(shopper, product)
    run_job()
    before = footprint(order)
    response = confirm(staff, f"/admin/orders/{order.id}/transfer-received", amount="0",
                       received_on=utcnow().date().isoformat(), reference="X")
    assert response.status_code in (400, 422) and "more than 0" in response.get_data(
        as_text=True)
    assert footprint(order) == before and captures(only_order()) == []


def test_the_last_part_and_the_job_at_the_same_moment(clean_app, offline_store, shopper,
                                                       product, staff):
    """Both take the order's lock: whichever is first decides, and the other follows it."""
    from shop.services.payments.transfer_owed import cancel_part_paid_transfer

    from .test_races import run_together

    _token, order = place_transfer(shopper, product, 2)
    transfer(staff, order, "10.00")
    url = f"/admin/orders/{order.id}/transfer-received"
    data = {"csrf_token": csrf_token(staff.get(url).get_data(as_text=True)), "confirm": "y",
            "amount": f"{(order.total - 1000) / 100:.2f}", "reference": "BANK-2",
            "received_on": utcnow().date().isoformat()}

    def record():
        return staff.post(url, data=data).status_code

    def job():
        with clean_app.app_context():
            return cancel_part_paid_transfer(order_id=order.id, actor="system:auto-cancel")

    status, outcome = run_together(record, job)
    assert status == 303
    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    order = only_order()
    assert [c.amount for c in captures(order)] == [1000, order.total - 1000]
    if outcome == "kept":  # the transfer first: paid, stock taken, nothing owed back
        assert (order.status, order.payment_status, order.attention) == ("paid", "paid", None)
        assert stock(product) == 8 and audited(order, "transfer_refund_owed") == 0
    else:  # the job first: canceled, and both parts owed back
        assert (outcome, order.status, order.payment_status) == ("closed", "canceled", "paid")
        assert stock(product) == 10 and audited(order, "transfer_refund_owed") == 2
