"""Failed webhooks (counted on the dashboard as the webhook code records them, replayed from
the events page) and reconciliation run from the payments page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from sandbox.patches import PROCESSING_CARD
from shop.extensions import db
from shop.models import Order, PaymentAttempt, ReconciliationRun, StripeEvent
from shop.models.types import utcnow
from shop.services.webhooks.events import _record_failure
from shop.services.webhooks.listing import FAILED_OUTCOMES

from ..factories import make_product
from ..integration.payment_scenarios import sandbox_post, stripe_unreachable
from ..shopper import CARD_OK, Browser, Shopper, intent_id_from_secret, post_event, sandbox_events
from .helpers import csrf, post
from .money import audit_rows, flash_message, fresh, top_error
from .test_dashboard_and_lists import card

FAILED_CARD = "Failed webhooks to replay"


def paid_at_stripe_only(app, store, stripe_client, stripe_sandbox, card=CARD_OK):
    """The shopper paid at Stripe, but the shop has not heard yet: (order, intent id)."""
    product = make_product(store, name="Kenya Nyeri", price=1650, stock=10)
    shopper = Shopper(app.test_client())
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    Browser(stripe_client, stripe_sandbox.url).confirm(secret, card)
    order = db.session.scalar(select(Order).where(Order.token == token))
    return order, intent_id_from_secret(secret)


@pytest.fixture
def failed_event(clean_app, store, stripe_client, stripe_sandbox):
    """``payment_intent.processing`` (a hint: the shop asks Stripe for the intent) delivered,
    after the payment went through, while Stripe could not be asked: kept failed."""
    order, intent_id = paid_at_stripe_only(clean_app, store, stripe_client, stripe_sandbox,
                                           card=PROCESSING_CARD)
    sandbox_post(stripe_sandbox.url, intent_id, "_settle", {"success": "true"})
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.processing")
    with stripe_unreachable(clean_app):
        assert post_event(clean_app.test_client(), event).status_code == 500
    assert fresh(StripeEvent, event["id"]).outcome == "failed"
    return order, event


def test_the_failed_outcome_is_the_one_the_webhook_code_writes(clean_app):
    """The dashboard counts FAILED_OUTCOMES; what a failure writes must be among them."""
    event = {"id": "evt_boom", "type": "payment_intent.succeeded",
             "data": {"object": {"object": "payment_intent", "id": "pi_boom"}}}
    _record_failure(event, "{}", RuntimeError("boom"))
    assert fresh(StripeEvent, "evt_boom").outcome in FAILED_OUTCOMES


def test_the_dashboard_counts_a_real_failure_until_it_is_replayed(clean_app, as_staff,
                                                                  as_outsider, failed_event):
    order, event = failed_event
    assert card(as_staff.get("/admin/").get_data(as_text=True), FAILED_CARD) == "1"
    # Failures of a week ago still wait for a replay: they still count.
    db.session.execute(update(StripeEvent).values(received_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    assert card(as_staff.get("/admin/").get_data(as_text=True), FAILED_CARD) == "1"
    assert card(as_outsider.get("/admin/").get_data(as_text=True), FAILED_CARD) == "0"

    page = as_staff.get("/admin/webhooks?outcome=failed").get_data(as_text=True)
    assert f'action="/admin/webhooks/{event["id"]}/replay"' in page
    assert "GatewayError" in page  # why it failed
    response = post(as_staff, f"/admin/webhooks/{event['id']}/replay",
                    token_from="/admin/webhooks")
    assert response.status_code == 303
    listing = as_staff.get("/admin/webhooks").get_data(as_text=True)
    assert flash_message(listing) == f"Event {event['id']} replayed: processed."
    row = fresh(StripeEvent, event["id"])
    assert (row.outcome, row.tries) == ("processed", 2)
    paid = fresh(Order, order.id)
    assert (paid.status, paid.payment_status) == ("paid", "paid")
    assert ("order", "webhook_replayed", None, None, "staff:staff@example.com") in \
        audit_rows(entity_type="order", entity_id=order.id)
    assert card(as_staff.get("/admin/").get_data(as_text=True), FAILED_CARD) == "0"
    # Replayed once: a second press is refused in plain words.
    again = post(as_staff, f"/admin/webhooks/{event['id']}/replay",
                 token_from="/admin/webhooks")
    assert again.status_code == 409
    assert "only failed or unmatched events can be replayed" in top_error(
        again.get_data(as_text=True))


def test_a_replay_that_fails_again_says_so_and_keeps_the_event(clean_app, as_staff,
                                                               failed_event):
    order, event = failed_event
    with stripe_unreachable(clean_app):
        response = post(as_staff, f"/admin/webhooks/{event['id']}/replay",
                        token_from="/admin/webhooks")
    assert response.status_code == 503
    assert top_error(response.get_data(as_text=True)).startswith(
        f"Replaying {event['id']} failed again: Stripe could not be reached.")
    row = fresh(StripeEvent, event["id"])
    assert (row.outcome, row.tries) == ("failed", 2)
    assert fresh(Order, order.id).payment_status == "unpaid"
    assert ("order", "webhook_replay_failed", None, None, "staff:staff@example.com") in \
        audit_rows(entity_type="order", entity_id=order.id)


def test_staff_of_another_store_cannot_replay(as_outsider, failed_event):
    _order, event = failed_event
    response = post(as_outsider, f"/admin/webhooks/{event['id']}/replay",
                    token_from="/admin/webhooks")
    assert response.status_code == 404
    assert fresh(StripeEvent, event["id"]).outcome == "failed"


def test_a_replay_without_a_csrf_token_is_refused(as_staff, failed_event):
    _order, event = failed_event
    response = as_staff.post(f"/admin/webhooks/{event['id']}/replay")
    assert response.status_code == 400
    assert fresh(StripeEvent, event["id"]).outcome == "failed"


class TestReconciliation:
    @pytest.fixture
    def stuck(self, clean_app, store, stripe_client, stripe_sandbox):
        """Paid at Stripe, but the shop never heard: AUTHORIZING for 20 minutes."""
        order, _intent = paid_at_stripe_only(clean_app, store, stripe_client, stripe_sandbox)
        db.session.execute(update(PaymentAttempt).where(PaymentAttempt.order_id == order.id)
                           .values(status="authorizing",
                                   updated_at=utcnow() - timedelta(minutes=20)))
        db.session.commit()
        return order

    def test_the_card_and_run_now(self, as_staff, stuck):
        page = as_staff.get("/admin/payments").get_data(as_text=True)
        assert re.search(r'id="stuck-count"><a href="/admin/payments\?stuck=1">1 payment</a>',
                         page)
        assert 'id="last-run">Never<' in page
        refused = post(as_staff, "/admin/payments/reconciliation",
                       token_from="/admin/payments/reconciliation")
        assert refused.status_code == 400
        assert db.session.scalar(select(ReconciliationRun.id)) is None

        done = post(as_staff, "/admin/payments/reconciliation", {"confirm": "y"},
                    token_from="/admin/payments/reconciliation")
        assert done.status_code == 303 and done.headers["Location"] == "/admin/payments"
        run = db.session.scalar(select(ReconciliationRun))
        assert (run.trigger, run.fixed, run.error) == ("staff:staff@example.com", 1, None)
        assert fresh(Order, stuck.id).payment_status == "paid"
        page = as_staff.get("/admin/payments").get_data(as_text=True)
        assert flash_message(page).startswith("Reconciliation finished: 1 examined, 1 fixed")
        assert 'id="stuck-count">None' in page
        assert "by staff:staff@example.com" in page
        assert re.search(r'id="last-run-outcome">1 examined, 1 fixed', page)

    def test_stripe_away_is_shown_and_recorded(self, clean_app, as_staff, stuck):
        token = csrf(as_staff, "/admin/payments/reconciliation")
        with stripe_unreachable(clean_app):
            response = as_staff.post("/admin/payments/reconciliation",
                                     data={"csrf_token": token, "confirm": "y"})
        assert response.status_code == 503
        assert top_error(response.get_data(as_text=True)).startswith(
            "Reconciliation stopped: Stripe could not be reached")
        run = db.session.scalar(select(ReconciliationRun))
        assert run.error and run.error.startswith("GatewayError")
        page = as_staff.get("/admin/payments").get_data(as_text=True)
        assert 'id="last-run-outcome"><span class="badge badge-failed">failed</span>' in page
