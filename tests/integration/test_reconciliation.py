"""Reconciliation repairs what we missed from Stripe's real state, through the same settle
and webhook code as the live path, and flags what it cannot resolve."""

from datetime import timedelta

import pytest
import requests
from sqlalchemy import select

from shop.extensions import db
from shop.models import Order, PaymentAttempt, ReconciliationRun, StaffAlert, StripeEvent
from shop.models.types import utcnow
from shop.providers.stripe_gateway import GatewayError
from shop.services.payments.reconciliation import run_reconciliation

from ..payments import attempt_moves, count, fresh
from ..services import free_port
from ..shopper import CARD_3DS, CARD_OK, intent_id_from_secret

LATER = timedelta(minutes=20)


@pytest.fixture
def three_ds_pending(shopper, browser, product):
    """A shopper who started 3-D Secure and came back before finishing it."""
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    assert browser.confirm(secret, CARD_3DS).status == "requires_action"
    shopper.return_from_stripe(token, intent_id_from_secret(secret))
    attempt = db.session.scalar(select(PaymentAttempt))
    assert attempt.status == "authorizing"
    return token, secret, attempt


def test_a_stuck_attempt_is_settled_from_stripes_state(three_ds_pending, browser):
    token, secret, attempt = three_ds_pending
    browser.authenticate(secret, success=True)  # the webhook never reached us
    [early] = run_reconciliation(trigger="test", now=utcnow() + timedelta(minutes=5))
    assert early.examined == 0
    [run] = run_reconciliation(trigger="test", now=utcnow() + LATER)
    assert (run.examined, run.fixed, run.flagged, run.error) == (1, 1, 0, None)
    assert run.finished_at is not None
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert attempt_moves(attempt.id)[-2:] == [("authorizing", "authorized"),
                                              ("authorized", "captured")]
    assert count(StaffAlert) == 0


def test_what_stripe_cannot_resolve_is_flagged_once(three_ds_pending):
    _token, _secret, attempt = three_ds_pending
    for _ in range(2):
        [run] = run_reconciliation(trigger="test", now=utcnow() + LATER)
        assert (run.examined, run.fixed, run.flagged) == (1, 0, 1)
    alert = db.session.scalar(select(StaffAlert))
    assert (alert.kind, alert.attempt_id) == ("reconciliation_unresolved", attempt.id)
    assert count(StaffAlert) == 1
    assert fresh(PaymentAttempt, attempt.id).status == "authorizing"


def test_undelivered_events_are_applied_through_the_webhook_handler(
        shopper, browser, stripe_sandbox, product):
    dead = f"http://127.0.0.1:{free_port()}/webhooks/stripe"  # our endpoint was down
    endpoint = f"{stripe_sandbox.url}/_config/webhooks/ledger-dead"
    requests.post(endpoint, data={"url": dead, "secret": "whsec_x"}, timeout=10)
    try:
        shopper.add(product, 1)
        token = shopper.checkout()
        secret = shopper.client_secret(token)
        browser.confirm(secret, CARD_OK)  # the shopper closed the tab: no return either
        [run] = run_reconciliation(trigger="test")
    finally:
        requests.delete(endpoint, timeout=10)
    assert run.events_replayed >= 2  # payment_intent.succeeded, charge.succeeded, …
    order = db.session.scalar(select(Order).where(Order.token == token))
    assert (order.status, order.payment_status) == ("paid", "paid")
    outcomes = dict(db.session.execute(select(StripeEvent.type, StripeEvent.outcome)).all())
    assert outcomes["payment_intent.succeeded"] == "processed"
    stored = count(StripeEvent)
    [again] = run_reconciliation(trigger="test")
    assert again.events_replayed == 0  # all duplicates now
    assert count(StripeEvent) == stored


def test_a_failed_run_is_recorded_and_raised(clean_app, store, fault_proxy):
    fault_proxy.add("GET", "/v1/events", "drop")
    with pytest.raises(GatewayError):
        run_reconciliation(trigger="test")
    run = db.session.scalar(select(ReconciliationRun))
    assert run.error.startswith("GatewayError") and run.finished_at is not None


def test_reconcile_command(clean_app, store):
    result = clean_app.test_cli_runner().invoke(args=["shop", "reconcile"])
    assert result.exit_code == 0, result.output
    assert "examined 0, fixed 0, flagged 0" in result.output
    assert db.session.scalar(select(ReconciliationRun.trigger)) == "job"


def test_reconcile_command_fails_plainly_when_stripe_is_away(clean_app, store, fault_proxy):
    fault_proxy.add("GET", "/v1/events", "drop")
    result = clean_app.test_cli_runner().invoke(args=["shop", "reconcile"])
    assert result.exit_code == 1
    assert "Reconciliation stopped: Stripe" in result.output
    assert db.session.scalar(select(ReconciliationRun.error)).startswith("GatewayError")


def test_a_store_run_applies_only_that_stores_missed_events(clean_app, store, product,
                                                            other_store, stripe_client,
                                                            stripe_sandbox):
    """The other store's run (its staff or key) never applies this store's undelivered
    events, nor counts them; the periodic run over every store does."""
    from ..payments import Api
    from ..shopper import Browser, Shopper

    dead = f"http://127.0.0.1:{free_port()}/webhooks/stripe"
    endpoint = f"{stripe_sandbox.url}/_config/webhooks/ledger-dead"
    requests.post(endpoint, data={"url": dead, "secret": "whsec_x"}, timeout=10)
    try:
        shopper = Shopper(clean_app.test_client())
        shopper.add(product, 1)
        token = shopper.checkout()
        Browser(stripe_client, stripe_sandbox.url).confirm(shopper.client_secret(token), CARD_OK)
        [theirs] = Api.key(clean_app, other_store).post("/reconciliation").get_json()["runs"]
        order = db.session.scalar(select(Order).where(Order.token == token))
        assert order.store_id == store.id and order.payment_status == "unpaid"
        assert (theirs["store_id"], theirs["events_replayed"]) == (other_store.id, 0)
        assert count(StripeEvent) == 0
        mine, theirs = run_reconciliation(trigger="job")
    finally:
        requests.delete(endpoint, timeout=10)
    assert mine.store_id == store.id and mine.events_replayed >= 2
    assert (theirs.store_id, theirs.events_replayed) == (other_store.id, 0)
    assert fresh(Order, order.id).payment_status == "paid"
