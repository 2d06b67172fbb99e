"""Who gets what under /admin: the authorization matrix over every admin route, CSRF, the
store switcher and the login redirect."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import (
    AuditEvent,
    Order,
    PaymentAttempt,
    Role,
    StaffAlert,
    StaffInvite,
    StoreMembership,
    StripeEvent,
)
from shop.models.types import utcnow
from shop.services.platform.tx import write_transaction
from shop.services.receipts.issue import issue_receipt

from ..factories import PASSWORD, make_product, make_store, make_user
from ..shopper import login
from .conftest import signed_in
from .helpers import csrf, make_order, paid_order

# Every admin endpoint, what protects it, and what a permitted user gets for a plain GET, or
# for a POST carrying only a valid CSRF token. A new admin route fails the matrix until it
# is listed here.
#   page: any member of the store · owner: owners only
#   scoped: reaches one row of the current store by id (another store's staff get 404)
ROUTES = {
    ("admin.dashboard", "GET"): ("page", 200),
    ("admin.switch", "POST"): ("page", 400),
    ("admin.orders", "GET"): ("page", 200),
    ("admin.export_orders", "GET"): ("page", 200),
    ("admin.order_detail", "GET"): ("scoped", 200),
    ("admin.mark_fulfilling", "POST"): ("scoped", 303),
    ("admin.mark_delivered", "POST"): ("scoped", 409),
    ("admin.mark_ready_for_shipment", "POST"): ("scoped", 303),  # paid → packed
    ("admin.mark_in_transit", "POST"): ("scoped", 409),
    ("admin.ship", "POST"): ("scoped", 400),
    ("admin.add_order_note", "POST"): ("scoped", 400),
    ("admin.cancel_confirm", "GET"): ("scoped", 200),
    ("admin.cancel", "POST"): ("scoped", 400),
    ("admin.cod_collected_confirm", "GET"): ("scoped", 200),
    ("admin.cod_collected", "POST"): ("scoped", 400),
    ("admin.cod_refused_confirm", "GET"): ("scoped", 200),
    ("admin.cod_refused", "POST"): ("scoped", 400),
    ("admin.transfer_received_confirm", "GET"): ("scoped", 200),
    ("admin.transfer_received", "POST"): ("scoped", 400),
    ("admin.payments", "GET"): ("page", 200),
    ("admin.products", "GET"): ("page", 200),
    ("admin.new_product", "GET"): ("page", 200),
    ("admin.new_product", "POST"): ("page", 400),
    ("admin.edit_product", "GET"): ("scoped", 200),
    ("admin.edit_product", "POST"): ("scoped", 400),
    ("admin.archive_product", "POST"): ("scoped", 303),
    # A post without its action is refused with a message on the product's page.
    ("admin.change_product_image", "POST"): ("scoped", 303),
    ("admin.adjust_product_stock", "POST"): ("scoped", 400),
    # A variant post without its fields is refused with the form's errors.
    ("admin.add_product_variant", "POST"): ("scoped", 400),
    ("admin.edit_product_variant", "POST"): ("scoped", 400),
    ("admin.low_stock_list", "GET"): ("page", 200),
    ("admin.webhooks", "GET"): ("page", 200),
    # The money half: each action's confirmation page opens; a post without its confirmation
    # box (or, for a refund, without a reason) is refused with 400 and changes nothing.
    ("admin.payment_detail", "GET"): ("scoped", 200),
    ("admin.capture_confirm", "GET"): ("scoped", 200),
    ("admin.capture", "POST"): ("scoped", 400),
    ("admin.void_confirm", "GET"): ("scoped", 200),
    ("admin.void", "POST"): ("scoped", 400),
    ("admin.refund_confirm", "GET"): ("scoped", 200),
    ("admin.refund", "POST"): ("scoped", 400),
    ("admin.resend_receipt_confirm", "GET"): ("scoped", 200),
    ("admin.resend_receipt_now", "POST"): ("scoped", 400),
    ("admin.reconcile_confirm", "GET"): ("page", 200),
    ("admin.reconcile", "POST"): ("page", 400),
    # A failed event about one of store A's payments (of a type we ignore, so the replay
    # needs no Stripe): replayed, then back to the list.
    ("admin.replay_webhook", "POST"): ("scoped", 303),
    ("admin.alerts", "GET"): ("page", 200),
    # Owners resolve (with a note: a post without one is refused); staff only read alerts.
    ("admin.resolve_alert_page", "GET"): ("owner", 200),
    ("admin.resolve_alert_page", "POST"): ("owner", 400),
    ("admin.alert_settings_save", "POST"): ("owner", 400),
    ("admin.document_pdf", "GET"): ("scoped", 200),
    ("admin.legal_settings_save", "POST"): ("owner", 303),  # all fields optional: saved
    ("admin.settings", "GET"): ("owner", 200),
    ("admin.settings", "POST"): ("owner", 400),
    # A post without its fields is refused with the section's errors (issue 20).
    ("admin.payment_settings_save", "POST"): ("owner", 400),
    ("admin.staff", "GET"): ("owner", 200),
    ("admin.add_staff", "POST"): ("owner", 400),
    ("admin.change_staff_role", "POST"): ("owner", 400),
    ("admin.remove_staff", "POST"): ("owner", 303),
    ("admin.revoke_staff_invite", "POST"): ("owner", 303),
}

ROLES = ["anonymous", "shopper", "other_store_staff", "staff", "owner"]


def expected_status(role: str, kind: str, allowed: int) -> int:
    if role == "anonymous":
        return 302
    if role == "shopper":
        return 403
    if role == "other_store_staff":
        # Staff of store B are members, so B's own pages open; A's rows are not there.
        return {"page": allowed, "owner": 403, "scoped": 404}[kind]
    if role == "staff":
        return 403 if kind == "owner" else allowed
    return allowed


def admin_routes(app) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                routes.append((rule.endpoint, method, rule.rule))
    return routes


def test_every_admin_route_is_in_the_matrix(app):
    found = {(endpoint, method) for endpoint, method, _ in admin_routes(app)}
    assert found - ROUTES.keys() == set(), "new admin routes: add them to ROUTES"
    assert ROUTES.keys() - found == set(), "ROUTES lists routes that no longer exist"


def _targets(store, staff_id: int):
    """Fresh rows of store A for each request: an action may change what it touches (the
    owner's remove-staff post really removes the staff member, so they are put back)."""
    intent = f"pi_matrix_{secrets.token_hex(6)}"
    order = paid_order(store, intent=intent)
    product = make_product(store)
    event = StripeEvent(id=f"evt_{intent}", type="customer.updated", payment_intent_id=intent,
                        outcome="failed", payload=json.dumps({
                            "id": f"evt_{intent}", "type": "customer.updated",
                            "data": {"object": {"object": "customer", "id": "cus_1"}}}))
    db.session.add(event)
    membership = db.session.scalar(select(StoreMembership).where(
        StoreMembership.user_id == staff_id, StoreMembership.store_id == store.id))
    if membership is None:
        membership = StoreMembership(user_id=staff_id, store_id=store.id, role=Role.STAFF)
        db.session.add(membership)
        db.session.commit()
    attempt_id = db.session.scalar(select(PaymentAttempt.id).where(
        PaymentAttempt.order_id == order.id))
    invite = StaffInvite(store_id=store.id, email=f"{intent}@example.com", role=Role.STAFF,
                         token_hash=secrets.token_hex(32), invited_by="staff:owner@example.com",
                         expires_at=utcnow() + timedelta(days=1))
    db.session.add(invite)
    alert = StaffAlert(store_id=store.id, kind="stripe_refused", message="Stripe refused.")
    db.session.add(alert)
    db.session.commit()
    with write_transaction() as session:
        label = issue_receipt(session, session.get_one(Order, order.id), reference=intent,
                              charge=None).label
    return {"label": label, "order_id": order.id, "product_id": product.id,
            "variant_id": product.variants[0].id, "membership_id": membership.id,
            "attempt_id": attempt_id, "event_id": event.id, "invite_id": invite.id,
            "alert_id": alert.id,
            "image_id": 1}  # any id: the post is refused before the image is looked up


def _client(app, role: str):
    if role == "anonymous":
        return app.test_client()
    email = {"shopper": "shopper@example.com", "other_store_staff": "outsider@example.com",
             "staff": "staff@example.com", "owner": "owner@example.com"}[role]
    return signed_in(app, email)


def _token(client, role: str) -> str:
    return csrf(client, "/account/login" if role == "anonymous" else "/")


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(clean_app, store, other_store, owner, staff_user, outsider,
                              role):
    make_user("shopper@example.com")
    client = _client(clean_app, role)
    token = _token(client, role)
    mismatches = []
    staff_id = staff_user.id
    for endpoint, method, rule in admin_routes(clean_app):
        kind, allowed = ROUTES[(endpoint, method)]
        values = _targets(store, staff_id)
        url = rule
        for name in list(values):
            url = url.replace(f"<int:{name}>", str(values[name])).replace(
                f"<{name}>", str(values[name]))
        assert "<" not in url, f"no test value for a parameter of {rule}: add it to _targets"
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token})
        want = expected_status(role, kind, allowed)
        if response.status_code != want:
            mismatches.append(f"{method} {rule}: got {response.status_code}, want {want}")
        if role == "anonymous":
            assert response.headers["Location"].startswith("/account/login?next=%2Fadmin")
    assert mismatches == []


def test_anonymous_is_sent_to_login_and_back(client, store, owner):
    response = client.get("/admin/orders?status=paid")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login?next=%2Fadmin%2Forders%3Fstatus%3Dpaid"
    signed = login(client, owner.email, PASSWORD, "/admin/orders?status=paid")
    assert signed.headers["Location"] == "/admin/orders?status=paid"
    assert client.get("/admin/orders?status=paid").status_code == 200


def test_a_shopper_gets_a_403_that_says_why(clean_app, store):
    make_user("shopper@example.com")
    response = signed_in(clean_app, "shopper@example.com").get("/admin/")
    assert response.status_code == 403
    assert "not a member of any store" in response.get_data(as_text=True)


def test_staff_do_not_see_owner_links(as_staff, as_owner):
    assert ">Settings<" not in as_staff.get("/admin/").get_data(as_text=True)
    assert ">Settings<" in as_owner.get("/admin/").get_data(as_text=True)


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_a_post_without_a_valid_csrf_token_is_refused(as_staff, store, token):
    order = paid_order(store)
    data = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    if token:
        data["csrf_token"] = token
    response = as_staff.post(f"/admin/orders/{order.id}/ship", data=data)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    db.session.refresh(order)
    assert (order.status, order.tracking_number) == ("paid", None)
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.actor.like("staff:%"))) == 0


def test_a_disabled_account_loses_the_admin_at_once(as_staff, staff_user):
    staff_user.disabled = True
    db.session.commit()
    assert as_staff.get("/admin/").status_code == 302


class TestStoreSwitcher:
    @pytest.fixture
    def two_stores(self, clean_app, store, other_store, owner):
        db.session.add(StoreMembership(user_id=owner.id, store_id=other_store.id,
                                       role=Role.STAFF))
        db.session.commit()
        make_order(store, email="in-main@example.com")
        make_order(other_store, email="in-other@example.com")
        return signed_in(clean_app, owner.email)

    def test_switching_changes_store_role_and_data(self, two_stores, store, other_store):
        page = two_stores.get("/admin/orders").get_data(as_text=True)
        assert 'name="store_id"' in page  # the switcher shows: two stores
        assert "in-main@example.com" in page and "in-other@example.com" not in page
        response = two_stores.post("/admin/store", data={
            "csrf_token": csrf(two_stores), "store_id": other_store.id})
        assert response.status_code == 303
        page = two_stores.get("/admin/orders").get_data(as_text=True)
        assert "in-other@example.com" in page and "in-main@example.com" not in page
        # Owner of main, but only staff in the other store.
        assert two_stores.get("/admin/settings").status_code == 403

    def test_cannot_switch_to_a_store_one_does_not_belong_to(self, two_stores, store):
        third = make_store("third")
        response = two_stores.post("/admin/store", data={
            "csrf_token": csrf(two_stores), "store_id": third.id})
        assert response.status_code == 400
        assert two_stores.get("/admin/settings").status_code == 200  # still owner of main

    def test_the_session_store_is_checked_on_every_request(self, two_stores, store,
                                                           other_store, owner):
        two_stores.post("/admin/store", data={"csrf_token": csrf(two_stores),
                                              "store_id": other_store.id})
        db.session.execute(StoreMembership.__table__.delete().where(
            StoreMembership.user_id == owner.id, StoreMembership.store_id == other_store.id))
        db.session.commit()
        page = two_stores.get("/admin/orders").get_data(as_text=True)
        assert "in-main@example.com" in page and "in-other@example.com" not in page
        assert 'name="store_id"' not in page


def test_staff_of_one_store_cannot_reach_another_stores_rows(as_outsider, store):
    order = paid_order(store)
    product = make_product(store)
    assert as_outsider.get(f"/admin/orders/{order.id}").status_code == 404
    assert as_outsider.get(f"/admin/products/{product.id}").status_code == 404
    shipped = as_outsider.post(f"/admin/orders/{order.id}/ship", data={
        "csrf_token": csrf(as_outsider), "carrier": "UPS", "tracking_number": "1Z999AA1"})
    assert shipped.status_code == 404
    stock = as_outsider.post(f"/admin/products/{product.id}/stock", data={
        "csrf_token": csrf(as_outsider), "delta": "5", "reason": "received"})
    assert stock.status_code == 404
    db.session.refresh(order)
    db.session.refresh(product)
    assert (order.status, product.stock_on_hand) == ("paid", 10)
    listing = as_outsider.get(f"/admin/orders?q={order.email}").get_data(as_text=True)
    assert order.number not in listing
    export = as_outsider.get("/admin/orders/export.csv").get_data(as_text=True)
    assert export.count("\n") == 1  # the header only
    assert db.session.get(Order, order.id).status == "paid"


def test_the_shop_header_links_staff_to_the_admin(clean_app, as_staff, store):
    make_user("shopper@example.com")
    assert 'href="/admin/">Admin<' in as_staff.get("/").get_data(as_text=True)
    shopper = signed_in(clean_app, "shopper@example.com")
    assert 'href="/admin/"' not in shopper.get("/").get_data(as_text=True)
