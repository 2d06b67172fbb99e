"""What one store's people can reach of another store's and of the platform's: reconciliation
runs (and who triggered them) are per store; Stripe events that match no store are seen and
replayed by platform admins only (``flask shop grant-platform-admin``)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from shop.extensions import db
from shop.models import AuditEvent, ReconciliationRun, Role, StripeEvent, User
from shop.models.types import utcnow

from ..factories import make_user
from .conftest import signed_in
from .helpers import make_order, post
from .money import fresh


@pytest.fixture
def owner_b(other_store):
    return make_user("owner-b@example.com", store=other_store, role=Role.OWNER)


@pytest.fixture
def as_owner_b(clean_app, owner_b):
    return signed_in(clean_app, owner_b.email)


def grant(app, *args: str):
    return app.test_cli_runner().invoke(args=["shop", "grant-platform-admin", *args])


def test_a_store_never_sees_another_stores_run_or_its_owner(as_owner, as_owner_b, store,
                                                            other_store):
    done = post(as_owner_b, "/admin/payments/reconciliation", {"confirm": "y"},
                token_from="/admin/payments/reconciliation")
    assert done.status_code == 303
    run = db.session.scalar(select(ReconciliationRun))
    assert (run.store_id, run.trigger) == (other_store.id, "staff:owner-b@example.com")
    for url in ("/admin/payments", "/admin/payments/reconciliation"):
        page = as_owner.get(url).get_data(as_text=True)
        assert 'id="last-run">Never<' in page
        assert "owner-b@example.com" not in page
    assert "by staff:owner-b@example.com" in as_owner_b.get("/admin/payments").get_data(
        as_text=True)


@pytest.fixture
def unmatched_failed(clean_app):
    """A failed event about nothing any store knows (no PaymentIntent of ours)."""
    event = {"id": "evt_nobody", "object": "event", "type": "customer.created",
             "data": {"object": {"id": "cus_1", "object": "customer"}}}
    db.session.add(StripeEvent(id=event["id"], type=event["type"], outcome="failed", tries=1,
                               error="RuntimeError: boom", payload=json.dumps(event),
                               received_at=utcnow()))
    db.session.commit()
    return event["id"]


def test_an_owner_neither_sees_nor_replays_an_event_of_no_store(as_owner, unmatched_failed):
    assert unmatched_failed not in as_owner.get("/admin/webhooks").get_data(as_text=True)
    response = post(as_owner, f"/admin/webhooks/{unmatched_failed}/replay",
                    token_from="/admin/webhooks")
    assert response.status_code == 404
    row = fresh(StripeEvent, unmatched_failed)
    assert (row.outcome, row.tries) == ("failed", 1)


def test_an_owner_neither_sees_nor_replays_another_stores_event(as_owner, other_store):
    make_order(other_store, attempt="authorizing", intent="pi_theirs")
    db.session.add(StripeEvent(id="evt_theirs", type="payment_intent.processing",
                               outcome="failed", payment_intent_id="pi_theirs", payload="{}",
                               received_at=utcnow()))
    db.session.commit()
    assert "evt_theirs" not in as_owner.get("/admin/webhooks").get_data(as_text=True)
    response = post(as_owner, "/admin/webhooks/evt_theirs/replay",
                    token_from="/admin/webhooks")
    assert response.status_code == 404
    assert fresh(StripeEvent, "evt_theirs").tries == 0


def test_a_platform_admin_sees_and_replays_events_of_no_store(clean_app, as_staff,
                                                              staff_user, unmatched_failed):
    result = grant(clean_app, "STAFF@example.com ")
    assert result.exit_code == 0, result.output
    assert "staff@example.com is a platform admin." in result.output
    assert fresh(User, staff_user.id).is_platform_admin is True
    assert ("user", "platform_admin_changed", "false", "true", "cli") in [
        tuple(row) for row in db.session.execute(select(
            AuditEvent.entity_type, AuditEvent.action, AuditEvent.from_state,
            AuditEvent.to_state, AuditEvent.actor).where(AuditEvent.entity_id == staff_user.id))]

    page = as_staff.get("/admin/webhooks").get_data(as_text=True)
    assert unmatched_failed in page and "As a platform admin" in page
    response = post(as_staff, f"/admin/webhooks/{unmatched_failed}/replay",
                    token_from="/admin/webhooks")
    assert response.status_code == 303
    assert fresh(StripeEvent, unmatched_failed).outcome == "ignored"
    assert f"Event {unmatched_failed} replayed: ignored." in as_staff.get(
        "/admin/webhooks").get_data(as_text=True)

    revoked = grant(clean_app, "staff@example.com", "--revoke")
    assert revoked.exit_code == 0 and "no longer a platform admin" in revoked.output
    assert unmatched_failed not in as_staff.get("/admin/webhooks").get_data(as_text=True)


def test_granting_an_unknown_email_fails_plainly(clean_app, store):
    result = grant(clean_app, "nobody@example.com")
    assert result.exit_code == 1
    assert "No user with the e-mail 'nobody@example.com'." in result.output
    assert db.session.scalar(select(User.id).where(User.is_platform_admin)) is None


def test_granting_someone_of_no_store_says_what_is_missing(clean_app, store):
    make_user("ops@example.com")
    result = grant(clean_app, "ops@example.com")
    assert result.exit_code == 0
    assert "They belong to no store yet" in result.output
