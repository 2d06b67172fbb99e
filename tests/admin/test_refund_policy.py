"""The staff refund limit and the refund window, enforced by the refund service: the admin
pages, the JSON API and the shop's own jobs each get the rule that applies to them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shop.extensions import db
from shop.models import Order, StoreSettings
from shop.models.types import utcnow
from shop.services.refunds.refunds import refund_payment

from ..factories import make_product
from ..payments import Api
from .money import (
    RefundPage,
    attempt_of,
    audit_rows,
    fresh,
    ledger,
    paid_checkout,
    refund_calls,
    top_error,
)


@pytest.fixture
def order(clean_app, store, stripe_client, stripe_sandbox):
    beans = make_product(store, name="Kenya Nyeri", price=1650, stock=10)
    return paid_checkout(clean_app, stripe_client, stripe_sandbox.url, [(beans, 2)])


def settings(store, **values) -> None:
    db.session.add(StoreSettings(store_id=store.id, **values))
    db.session.commit()


def paid_days_ago(order: Order, days: int) -> None:
    row = db.session.get(Order, order.id)
    row.paid_at = utcnow() - timedelta(days=days)
    db.session.commit()


class TestStaffLimit:
    def test_above_the_limit_is_refused_and_nothing_changes(self, as_staff, store, order,
                                                            stripe_sandbox):
        settings(store, staff_refund_limit=1000)
        attempt = attempt_of(order)
        page = RefundPage(as_staff, attempt.id)
        form = as_staff.get(f"/admin/payments/{attempt.id}/refund").get_data(as_text=True)
        assert "Your refund limit is <strong>$10.00</strong> per order" in form
        before = refund_calls(stripe_sandbox)
        reviewed = page.review(how="amount", amount="20.00")
        assert reviewed.status_code == 403
        assert top_error(reviewed.get_data(as_text=True)) == (
            "$20.00 is above your refund limit of $10.00. Ask an owner to make this refund.")
        forged = page.refund(how="amount", amount="20.00", expected=2000)
        assert forged.status_code == 403
        assert refund_calls(stripe_sandbox) == before
        assert ledger(attempt.id, "refund") == []
        assert fresh(Order, order.id).payment_status == "paid"

    def test_the_limit_counts_the_orders_earlier_refunds(self, as_staff, store, order):
        settings(store, staff_refund_limit=1000)
        page = RefundPage(as_staff, attempt_of(order).id)
        assert page.refund(how="amount", amount="6.00").status_code == 303
        second = page.review(how="amount", amount="5.00")
        assert second.status_code == 403
        assert top_error(second.get_data(as_text=True)) == (
            "Refunding $5.00 would bring the refunds on this order to $11.00, above your "
            "refund limit of $10.00. Ask an owner to make this refund.")
        assert page.refund(how="amount", amount="4.00").status_code == 303

    def test_owners_are_not_limited(self, as_owner, store, order):
        settings(store, staff_refund_limit=1000)
        attempt = attempt_of(order)
        form = as_owner.get(f"/admin/payments/{attempt.id}/refund").get_data(as_text=True)
        assert "Your refund limit" not in form
        assert RefundPage(as_owner, attempt.id).refund(how="full").status_code == 303
        assert ledger(attempt.id, "refund") == [("refund", "succeeded", order.total,
                                                 "staff:owner@example.com")]

    def test_no_limit_set_means_staff_may_refund_everything(self, as_staff, order):
        attempt = attempt_of(order)
        assert RefundPage(as_staff, attempt.id).refund(how="full").status_code == 303
        assert fresh(Order, order.id).payment_status == "refunded"


class TestRefundWindow:
    def test_staff_cannot_refund_after_the_window(self, as_staff, order, stripe_sandbox):
        paid_days_ago(order, 91)
        attempt = attempt_of(order)
        form = as_staff.get(f"/admin/payments/{attempt.id}/refund").get_data(as_text=True)
        assert "outside the 90-day refund window" in form
        assert 'name="override_reason"' not in form
        before = refund_calls(stripe_sandbox)
        response = RefundPage(as_staff, attempt.id).refund(how="amount", amount="5.00",
                                                           expected=500)
        assert response.status_code == 403
        assert top_error(response.get_data(as_text=True)).endswith(
            "outside the 90-day refund window. Only an owner can refund it now, giving a "
            "reason.")
        assert refund_calls(stripe_sandbox) == before and ledger(attempt.id, "refund") == []

    def test_an_owner_may_refund_after_the_window_with_a_reason(self, as_owner, order):
        paid_days_ago(order, 91)
        attempt = attempt_of(order)
        page = RefundPage(as_owner, attempt.id)
        form = as_owner.get(f"/admin/payments/{attempt.id}/refund").get_data(as_text=True)
        assert 'name="override_reason"' in form
        without = page.review(how="amount", amount="5.00")
        assert without.status_code == 403
        assert top_error(without.get_data(as_text=True)).endswith(
            "To refund it anyway, give a reason for the exception.")
        done = page.refund(how="amount", amount="5.00",
                           override_reason="Parcel lost by the carrier, claim accepted")
        assert done.status_code == 303
        assert ledger(attempt.id, "refund") == [("refund", "succeeded", 500,
                                                 "staff:owner@example.com")]
        assert ("order", "refund_window_override", None, None, "staff:owner@example.com") in \
            audit_rows(entity_type="order", entity_id=order.id)
        detail = as_owner.get(f"/admin/orders/{order.id}").get_data(as_text=True)
        assert "Parcel lost by the carrier, claim accepted" in detail  # in the timeline

    def test_the_owner_sets_the_window(self, as_staff, store, order):
        settings(store, refund_window_days=30)
        paid_days_ago(order, 29)
        page = RefundPage(as_staff, attempt_of(order).id)
        assert page.review(how="amount", amount="1.00").status_code == 200
        paid_days_ago(order, 31)
        response = page.review(how="amount", amount="1.00")
        assert response.status_code == 403
        assert "outside the 30-day refund window" in top_error(response.get_data(as_text=True))


class TestApi:
    """The same rules through /api/payments/refund."""

    def test_an_api_key_is_held_to_the_staff_limit(self, clean_app, store, order):
        settings(store, staff_refund_limit=1000)
        api = Api.key(clean_app, store)
        attempt = attempt_of(order)
        refused = api.post("/refund", {"attempt_id": attempt.id, "amount": 1001})
        assert refused.status_code == 403
        assert refused.get_json()["error"] == {
            "code": "refund_above_limit",
            "message": "$10.01 is above your refund limit of $10.00. Ask an owner to make "
                       "this refund."}
        assert api.post("/refund", {"attempt_id": attempt.id, "amount": 1000}).status_code \
            == 200

    def test_staff_and_owner_sessions(self, clean_app, store, owner, staff_user, order):
        settings(store, staff_refund_limit=1000)
        attempt = attempt_of(order)
        staff = Api.staff(clean_app, staff_user)
        assert staff.post("/refund", {"attempt_id": attempt.id, "amount": 2000}) \
            .get_json()["error"]["code"] == "refund_above_limit"
        boss = Api.staff(clean_app, owner)
        assert boss.post("/refund", {"attempt_id": attempt.id, "amount": 2000}).status_code \
            == 200

    def test_nobody_refunds_after_the_window_through_the_api(self, clean_app, store, owner,
                                                              order):
        paid_days_ago(order, 91)
        attempt = attempt_of(order)
        for api in (Api.key(clean_app, store), Api.staff(clean_app, owner)):
            response = api.post("/refund", {"attempt_id": attempt.id, "amount": 100})
            assert response.status_code == 403
            assert response.get_json()["error"]["code"] == "outside_refund_window"
        assert ledger(attempt.id, "refund") == []


def test_the_shop_itself_is_not_bound(store, order):
    """Jobs and webhooks (the automatic refund of a paid, out-of-stock order) pass no
    ``by``: neither the limit nor the window applies to them."""
    settings(store, staff_refund_limit=100)
    paid_days_ago(order, 200)
    attempt = attempt_of(order)
    row = refund_payment(attempt_id=attempt.id, actor="system:out-of-stock")
    assert (row.status, row.amount) == ("succeeded", order.total)
