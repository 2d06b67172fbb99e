"""Each order action: its effect, its audit row with the staff member as actor, and what
bad input or a wrong state leaves unchanged."""

from __future__ import annotations

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    AuditEvent,
    HoldStatus,
    InventoryHold,
    Order,
    OrderNote,
    PaymentAttempt,
    StockAdjustment,
)

from ..factories import make_product
from ..shopper import Shopper, intent_id_from_secret
from .helpers import field_error, make_order, paid_order, post


def audit(order_id: int, action: str | None = None) -> list[tuple]:
    query = select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state,
                   AuditEvent.actor).where(AuditEvent.entity_type == "order",
                                           AuditEvent.entity_id == order_id)
    if action:
        query = query.where(AuditEvent.action == action)
    return [tuple(row) for row in db.session.execute(query.order_by(AuditEvent.id))]


def staff_events() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.actor.like("staff:%"))) or 0


def test_mark_fulfilling(as_staff, store):
    order = paid_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/fulfilling")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/orders/{order.id}"
    db.session.refresh(order)
    assert order.status == "fulfilling"
    assert audit(order.id) == [("order_state_change", "paid", "fulfilling",
                                "staff:staff@example.com")]


def test_ship_with_tracking_from_paid_passes_through_fulfilling(as_staff, store):
    order = paid_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/ship",
                    {"carrier": "UPS", "tracking_number": " 1Z999AA10123456784 "})
    assert response.status_code == 303
    db.session.refresh(order)
    assert (order.status, order.carrier, order.tracking_number) == \
        ("shipped", "UPS", "1Z999AA10123456784")
    assert order.shipped_at is not None
    assert audit(order.id) == [
        ("order_state_change", "paid", "fulfilling", "staff:staff@example.com"),
        ("order_state_change", "fulfilling", "shipped", "staff:staff@example.com")]
    page = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "UPS 1Z999AA10123456784" in page
    # The shopper's status page reads the same order.
    shopper_page = as_staff.application.test_client().get(f"/orders/{order.token}")
    assert "Shipped" in shopper_page.get_data(as_text=True)


def test_ship_without_tracking_is_refused_beside_the_field(as_staff, store):
    order = paid_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/ship", {"carrier": "UPS"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "tracking_number") == \
        "Enter the tracking number from the shipping label."
    db.session.refresh(order)
    assert (order.status, order.tracking_number, order.shipped_at) == ("paid", None, None)
    assert staff_events() == 0


def test_ship_with_a_malformed_tracking_number_or_no_carrier(as_staff, store):
    order = paid_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/ship",
                    {"carrier": "", "tracking_number": "<script>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "carrier") == "Choose the carrier."
    assert field_error(html, "tracking_number") == \
        "Use only letters, digits, spaces and dashes."
    db.session.refresh(order)
    assert order.status == "paid"


def test_an_unpaid_order_cannot_be_shipped(as_staff, store):
    order = make_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/ship",
                    {"carrier": "UPS", "tracking_number": "1Z999AA1"})
    assert response.status_code == 409
    assert "This order is pending, so it cannot be shipped." in response.get_data(as_text=True)
    db.session.refresh(order)
    assert (order.status, order.tracking_number) == ("pending", None)


def test_delivered_only_after_shipped(as_staff, store):
    order = paid_order(store)
    refused = post(as_staff, f"/admin/orders/{order.id}/delivered")
    assert refused.status_code == 409
    assert "cannot be marked delivered" in refused.get_data(as_text=True)
    post(as_staff, f"/admin/orders/{order.id}/ship",
         {"carrier": "DHL", "tracking_number": "JD0002"})
    assert post(as_staff, f"/admin/orders/{order.id}/delivered").status_code == 303
    db.session.refresh(order)
    assert order.status == "delivered" and order.delivered_at is not None
    assert audit(order.id)[-1] == ("order_state_change", "shipped", "delivered",
                                   "staff:staff@example.com")


def test_internal_note(as_staff, store):
    order = make_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/notes",
                    {"body": "Customer called: leave with the neighbour."})
    assert response.status_code == 303
    note = db.session.scalar(select(OrderNote))
    assert (note.order_id, note.author, note.body) == \
        (order.id, "staff@example.com", "Customer called: leave with the neighbour.")
    assert audit(order.id, "note_added") == [("note_added", None, None,
                                              "staff:staff@example.com")]
    page = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "leave with the neighbour" in page


def test_an_empty_note_is_refused(as_staff, store):
    order = make_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/notes", {"body": "   "})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "body") == "Write the note first."
    assert db.session.scalar(select(func.count(OrderNote.id))) == 0


class TestCancel:
    def test_the_confirm_page_says_what_will_happen(self, as_staff, store):
        product = make_product(store, name="Burr Grinder")
        order = make_order(store, product=product, quantity=2)
        page = as_staff.get(f"/admin/orders/{order.id}/cancel").get_data(as_text=True)
        assert "Give back 2 × Burr Grinder held for this order." in page
        assert 'name="confirm"' in page

    def test_without_the_confirmation_nothing_happens(self, as_staff, store):
        order = make_order(store)
        response = post(as_staff, f"/admin/orders/{order.id}/cancel")
        assert response.status_code == 400
        assert field_error(response.get_data(as_text=True), "confirm") == \
            "Tick the box to confirm, or go back to the order."
        db.session.refresh(order)
        assert order.status == "pending"
        assert db.session.scalar(select(InventoryHold.status)) == HoldStatus.ACTIVE
        assert staff_events() == 0

    def test_an_unpaid_order_releases_its_holds(self, as_staff, store):
        order = make_order(store)
        response = post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
        assert response.status_code == 303
        db.session.refresh(order)
        assert order.status == "canceled" and order.canceled_at is not None
        assert db.session.scalar(select(InventoryHold.status)) == HoldStatus.RELEASED
        assert audit(order.id) == [("order_state_change", "pending", "canceled",
                                    "staff:staff@example.com")]

    def test_a_paid_order_restocks_and_records_the_refund_owed(self, as_staff, store):
        product = make_product(store, name="Burr Grinder", price=14900, stock=10)
        order = paid_order(store, product=product, quantity=2)
        assert product.stock_on_hand == 8
        page = as_staff.get(f"/admin/orders/{order.id}/cancel").get_data(as_text=True)
        assert "Put 2 × Burr Grinder back in stock." in page
        assert "$303.00 must still be refunded" in page
        response = post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
        assert response.status_code == 303
        db.session.refresh(order)
        db.session.refresh(product)
        assert (order.status, order.payment_status) == ("canceled", "paid")
        assert product.stock_on_hand == 10
        adjustment = db.session.scalar(select(StockAdjustment))
        assert (adjustment.delta, adjustment.stock_after, adjustment.reason) == \
            (2, 10, f"Order {order.number} canceled")
        assert db.session.scalar(select(InventoryHold.status)) == HoldStatus.RELEASED
        assert audit(order.id, "refund_owed") == [("refund_owed", None, None,
                                                   "staff:staff@example.com")]
        detail = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
        assert "$303.00 still has to be refunded" in detail  # the flash after the redirect
        dashboard = as_staff.get("/admin/").get_data(as_text=True)
        assert "Canceled, refund owed</span><span class=\"card-value\">1<" in dashboard

    def test_a_second_cancel_restocks_nothing_more(self, as_staff, store):
        product = make_product(store, stock=10)
        order = paid_order(store, product=product, quantity=2)
        post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
        again = post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
        assert again.status_code == 409
        db.session.refresh(product)
        assert product.stock_on_hand == 10

    def test_a_shipped_order_cannot_be_canceled(self, as_staff, store):
        order = paid_order(store)
        post(as_staff, f"/admin/orders/{order.id}/ship",
             {"carrier": "UPS", "tracking_number": "1Z999AA1"})
        page = as_staff.get(f"/admin/orders/{order.id}/cancel").get_data(as_text=True)
        assert "This order has shipped, so it can no longer be canceled." in page
        assert 'name="confirm"' not in page
        refused = post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
        assert refused.status_code == 409
        db.session.refresh(order)
        assert order.status == "shipped"

    def test_an_authorized_payment_must_be_voided_first(self, as_staff, store):
        order = make_order(store, payment_status="authorized", attempt="authorized")
        refused = post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
        assert refused.status_code == 409
        assert "Void the payment first" in refused.get_data(as_text=True)
        db.session.refresh(order)
        assert order.status == "pending"


def test_canceling_a_real_checkout_cancels_its_payment_intent(clean_app, as_staff, store,
                                                               stripe_client):
    product = make_product(store, stock=5)
    shopper = Shopper(clean_app.test_client())
    shopper.add(product, 2)
    token = shopper.checkout()
    intent_id = intent_id_from_secret(shopper.client_secret(token))
    order = db.session.scalar(select(Order).where(Order.token == token))
    response = post(as_staff, f"/admin/orders/{order.id}/cancel", {"confirm": "y"})
    assert response.status_code == 303
    assert stripe_client.v1.payment_intents.retrieve(intent_id).status == "canceled"
    attempt = db.session.scalar(select(PaymentAttempt).where(PaymentAttempt.order_id == order.id))
    assert attempt.status == "canceled"
    assert shopper.status(token)["status"] == "canceled"
    assert db.session.scalar(select(InventoryHold.status)) == HoldStatus.RELEASED
