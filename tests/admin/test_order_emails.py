"""The e-mails staff actions send, each through the outbox and once: the receipt resent, the
parcel shipped (with its tracking link), the order canceled."""

from __future__ import annotations

import pytest

from shop.jobs.mail import send_shipped_email
from shop.models import AuditEvent

from ..shopper import clear_outbox, outbox
from .helpers import field_error, make_order, paid_order, post
from .money import audit_rows, count, flash_message, outbox_jobs, sent


@pytest.fixture
def mailbox(clean_app):
    clear_outbox(clean_app)
    return lambda: outbox(clean_app)


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


class TestResendReceipt:
    def test_confirmed_it_is_sent_again_and_audited(self, as_staff, store, mailbox):
        order = paid_order(store)
        page = as_staff.get(f"/admin/orders/{order.id}/receipt").get_data(as_text=True)
        assert f"Yes, e-mail the receipt to {order.email} again." in page
        response = post(as_staff, f"/admin/orders/{order.id}/receipt", {"confirm": "y"})
        assert response.status_code == 303
        assert outbox_jobs("send_receipt") == [{"order_id": order.id, "kind": "receipt#1"}]
        assert sent(order.id) == ["receipt#1"]
        assert [m["Subject"] for m in mailbox()] == [f"Your order {order.number} is confirmed"]
        assert ("order", "receipt_resent", None, None, "staff:staff@example.com") in \
            audit_rows(entity_type="order", entity_id=order.id)
        detail = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
        assert flash_message(detail) == "The receipt is on its way to the customer again."

    def test_without_the_confirmation_nothing_is_sent(self, as_staff, store, mailbox):
        order = paid_order(store)
        response = post(as_staff, f"/admin/orders/{order.id}/receipt")
        assert response.status_code == 400
        assert field_error(response.get_data(as_text=True), "confirm") == \
            "Tick the box to confirm, or go back to the order."
        assert outbox_jobs("send_receipt") == [] and mailbox() == []
        assert count(AuditEvent, AuditEvent.action == "receipt_resent") == 0

    def test_an_unpaid_order_has_no_receipt(self, as_staff, store):
        order = make_order(store)
        response = post(as_staff, f"/admin/orders/{order.id}/receipt", {"confirm": "y"})
        assert response.status_code == 409
        assert "Only a paid order has a receipt to resend." in response.get_data(as_text=True)
        assert outbox_jobs("send_receipt") == []


def test_shipping_emails_the_tracking_link_once(clean_app, as_staff, store, mailbox):
    order = paid_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/ship",
                    {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"})
    assert response.status_code == 303
    assert outbox_jobs("send_shipped_email") == [{"order_id": order.id}]
    assert send_shipped_email(order.id) is False  # the job run again sends nothing more
    [mail] = mailbox()
    assert mail["Subject"] == f"Your order {order.number} has shipped"
    body = text_of(mail)
    assert "on its way with UPS" in body
    assert "https://www.ups.com/track?tracknum=1Z999AA10123456784" in body
    assert f"/orders/{order.token}" in body
    html = mail.get_body(("html",)).get_content()
    assert 'href="https://www.ups.com/track?tracknum=1Z999AA10123456784"' in html
    assert sent(order.id) == ["shipped"]


class TestCancellationEmail:
    def test_a_staff_cancel_of_an_unpaid_order(self, as_staff, store, mailbox):
        order = make_order(store)
        assert post(as_staff, f"/admin/orders/{order.id}/cancel",
                    {"confirm": "y"}).status_code == 303
        assert outbox_jobs("send_cancellation_email") == [{"order_id": order.id,
                                                           "by_staff": True}]
        [mail] = mailbox()
        body = text_of(mail)
        assert "We have canceled your order" in body and "Nothing was charged." in body
        assert "because it was not paid" not in body

    def test_a_staff_cancel_of_a_paid_order_promises_the_refund(self, as_staff, store,
                                                                 mailbox):
        order = paid_order(store)
        assert post(as_staff, f"/admin/orders/{order.id}/cancel",
                    {"confirm": "y"}).status_code == 303
        [mail] = mailbox()
        assert "you will get your money back" in text_of(mail)
        assert sent(order.id) == ["order_canceled"]
