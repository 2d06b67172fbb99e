"""State-changing admin and staff-API actions share one budget per staff member or API key
(RATELIMIT_ADMIN_ACTIONS); reading is never limited, and the Stripe webhook never is."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from shop.extensions import db, limiter
from shop.models import OrderNote

from ..payments import Api
from .helpers import make_order, post


@pytest.fixture
def admin_limit(clean_app, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(clean_app.config, "RATELIMIT_ADMIN_ACTIONS", "3 per minute")
    yield
    limiter.reset()


def notes() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(OrderNote.id)))


def test_a_staff_member_is_slowed_not_locked_out(admin_limit, as_staff, as_owner, store):
    order = make_order(store)
    url = f"/admin/orders/{order.id}/notes"
    assert [post(as_staff, url, {"body": f"note {n}"}).status_code for n in range(3)] == \
        [303] * 3
    refused = post(as_staff, url, {"body": "one too many"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 61
    text = refused.get_data(as_text=True)
    assert "Too many changes from your account" in text
    assert notes() == 3  # the refused action changed nothing
    assert as_staff.get(f"/admin/orders/{order.id}").status_code == 200  # reading goes on
    assert post(as_owner, url, {"body": "the owner's own budget"}).status_code == 303
    assert notes() == 4


def test_each_api_key_has_its_own_budget_and_a_json_refusal(admin_limit, clean_app, store):
    first, second = Api.key(clean_app, store), Api.key(clean_app, store)
    answers = [first.post("/attempt", {"order_id": 10**6}, key=f"k{n}").status_code
               for n in range(4)]
    assert answers == [404, 404, 404, 429]
    refused = first.post("/attempt", {"order_id": 10**6}, key="k5")
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert first.get().status_code == 200  # listing payments is reading
    assert second.post("/attempt", {"order_id": 10**6}, key="k6").status_code == 404


def test_the_stripe_webhook_is_never_limited(admin_limit, clean_app):
    client = clean_app.test_client()
    answers = {client.post("/webhooks/stripe", data=b"{}",
                           headers={"Stripe-Signature": "t=1,v1=00"}).status_code
               for _ in range(6)}
    assert 429 not in answers and answers == {400}
