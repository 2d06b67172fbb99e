"""Staff mark an order packed (ready_for_shipment) and handed to the carrier (in_transit):
each move audited with the staff member, a wrong state refused with nothing changed."""

from __future__ import annotations

from shop.extensions import db

from .helpers import make_order, paid_order, post
from .test_order_actions import audit

STAFF = "staff:staff@example.com"


def test_the_whole_path_with_both_steps(as_staff, store):
    order = paid_order(store)
    page = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Mark packed" in page and "Mark handed to carrier" not in page
    assert post(as_staff, f"/admin/orders/{order.id}/ready-for-shipment").status_code == 303
    db.session.refresh(order)
    assert order.status == "ready_for_shipment"
    page = as_staff.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Mark packed" not in page and "Mark shipped" in page
    assert post(as_staff, f"/admin/orders/{order.id}/ship",
                {"carrier": "DHL", "tracking_number": "JD014600006281230704"}).status_code == 303
    assert "Mark handed to carrier" in as_staff.get(
        f"/admin/orders/{order.id}").get_data(as_text=True)
    assert post(as_staff, f"/admin/orders/{order.id}/in-transit").status_code == 303
    assert post(as_staff, f"/admin/orders/{order.id}/delivered").status_code == 303
    db.session.refresh(order)
    assert order.status == "delivered"
    assert audit(order.id) == [
        ("order_state_change", "paid", "fulfilling", STAFF),
        ("order_state_change", "fulfilling", "ready_for_shipment", STAFF),
        ("order_state_change", "ready_for_shipment", "shipped", STAFF),
        ("order_state_change", "shipped", "in_transit", STAFF),
        ("order_state_change", "in_transit", "delivered", STAFF)]


def test_handing_over_an_unshipped_order_is_refused(as_staff, store):
    order = paid_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/in-transit")
    assert response.status_code == 409
    assert "This order is paid, so it cannot be marked in transit." in \
        response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.status == "paid" and audit(order.id) == []


def test_packing_an_unpaid_order_is_refused(as_staff, store):
    order = make_order(store)
    response = post(as_staff, f"/admin/orders/{order.id}/ready-for-shipment")
    assert response.status_code == 409
    db.session.refresh(order)
    assert order.status == "pending" and audit(order.id) == []


def test_the_action_needs_the_csrf_token(as_staff, store):
    order = paid_order(store)
    response = as_staff.post(f"/admin/orders/{order.id}/ready-for-shipment")
    assert response.status_code == 400
    db.session.refresh(order)
    assert order.status == "paid" and audit(order.id) == []


def test_another_stores_order_is_not_found(as_outsider, store):
    order = paid_order(store)
    response = post(as_outsider, f"/admin/orders/{order.id}/ready-for-shipment")
    assert response.status_code == 404
    db.session.refresh(order)
    assert order.status == "paid"


def test_the_shopper_sees_the_new_steps_in_words(store, client):
    order = paid_order(store)
    order.status = "in_transit"
    db.session.commit()
    page = client.get(f"/orders/{order.token}").get_data(as_text=True)
    assert "Your order is on its way" in page
