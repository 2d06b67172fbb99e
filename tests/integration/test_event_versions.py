"""Events as the pinned API version sends them, and events that are not.

An event rendered at another version is only a hint: its object is fetched at the pinned
version, one log line per version says so, and staff get an ``api_version_mismatch`` alert.
"""

from __future__ import annotations

import logging

import pytest
import requests
from sqlalchemy import select

from shop.config import STRIPE_API_VERSION
from shop.extensions import db
from shop.models import Order, PaymentDispute, StaffAlert
from shop.providers.stripe_gateway import intent_from
from shop.services.webhooks import versions as event_versions

from ..shopper import CARD_OK, Shopper, intent_id_from_secret, post_event, sandbox_events
from .money_scenarios import MoneyDriver, pay

OLD = "2022-08-01"


def intent_fetches(sandbox_url: str, intent_id: str) -> int:
    logged = requests.get(f"{sandbox_url}/_config/requests", timeout=10, params={
        "method": "GET", "path": f"/v1/payment_intents/{intent_id}"}).json()["data"]
    assert all(r["stripe_version"] == STRIPE_API_VERSION for r in logged)
    return len(logged)


def as_old_version(event: dict) -> dict:
    """The same event as Stripe renders it for an endpoint still on 2022-08-01: the intent
    lists its charges instead of naming its latest one."""
    old = {**event, "api_version": OLD}
    obj = dict(event["data"]["object"])
    charge = obj.pop("latest_charge")
    obj["charges"] = {"object": "list", "has_more": False, "data": [
        {"id": charge if isinstance(charge, str) else charge["id"], "object": "charge"}]}
    old["data"] = {"object": obj}
    return old


def paid_intent(client, browser, product) -> tuple[str, str]:
    shopper = Shopper(client)
    shopper.add(product, 1)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    assert browser.confirm(secret, CARD_OK).status == "succeeded"
    return token, intent_id_from_secret(secret)


def test_a_succeeded_event_at_the_pinned_version_is_applied_from_its_copy(
        client, browser, product, stripe_client, stripe_sandbox):
    token, intent_id = paid_intent(client, browser, product)
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    assert event["api_version"] == STRIPE_API_VERSION
    fetched = intent_fetches(stripe_sandbox.url, intent_id)
    assert post_event(client, event).status_code == 200
    assert intent_fetches(stripe_sandbox.url, intent_id) == fetched  # not asked again
    assert db.session.scalar(select(Order.payment_status)) == "paid"


def test_an_event_at_another_version_is_fetched_logged_once_and_alerted(
        client, browser, product, stripe_client, stripe_sandbox, caplog):
    event_versions._logged.discard(OLD)
    token, intent_id = paid_intent(client, browser, product)
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    old = as_old_version(event)
    fetched = intent_fetches(stripe_sandbox.url, intent_id)
    with caplog.at_level(logging.WARNING, logger="shop.services.webhooks.versions"):
        assert post_event(client, old).status_code == 200
        assert post_event(client, {**old, "id": old["id"] + "_again"}).status_code == 200
    assert intent_fetches(stripe_sandbox.url, intent_id) == fetched + 2  # each one fetched
    db.session.rollback()
    order = db.session.scalar(select(Order))
    assert order.payment_status == "paid"
    assert [r.getMessage() for r in caplog.records].count(
        "Stripe event at another API version") == 1
    [alert] = db.session.scalars(select(StaffAlert).where(
        StaffAlert.kind == "api_version_mismatch")).all()
    assert OLD in alert.message and STRIPE_API_VERSION in alert.message


def test_an_old_payload_still_gives_the_charge_id():
    event = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 100,
             "currency": "usd", "charges": {"object": "list", "data": [
                 {"id": "ch_new", "object": "charge"}, {"id": "ch_old", "object": "charge"}]}}
    assert intent_from(event).latest_charge_id == "ch_new"  # Stripe lists newest first


@pytest.fixture
def paid(clean_app, product, stripe_client, stripe_sandbox):
    return pay(clean_app, stripe_client, stripe_sandbox.url, product)


def test_a_dispute_without_a_payment_intent_is_matched_through_its_charge(
        client, paid, stripe_client, stripe_sandbox):
    driver = MoneyDriver(stripe_client, stripe_sandbox.url, paid.intent_id)
    driver.dispute("1000")
    event = driver.latest_event("charge.dispute.created")
    event["data"]["object"]["payment_intent"] = None  # as Stripe sends some disputes
    response = post_event(client, event)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "processed"  # never "unmatched"
    db.session.rollback()
    [dispute] = db.session.scalars(select(PaymentDispute)).all()
    assert dispute.order_id == paid.order_id
    assert db.session.get(Order, paid.order_id).payment_status == "disputed"
