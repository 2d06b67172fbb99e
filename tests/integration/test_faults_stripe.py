"""Stripe failing while a PaymentIntent is created: retried with the same idempotency key,
the shopper told clearly when it still fails, the order kept payable, and never a second
PaymentIntent. The app talks to the sandbox through ``tests.faults.FaultProxy``."""

import pytest
from sqlalchemy import func, select

from sandbox.patches import PROCESSING_CARD
from shop import create_app
from shop.extensions import db
from shop.models import AuditEvent, InventoryHold, Order, PaymentAttempt

from ..conftest import IsolatedClient, app_config, wipe
from ..factories import make_product, make_store
from ..faults import FaultProxy
from ..shopper import CARD_OK, Browser, Shopper, intent_id_from_secret, post_event
from .payment_scenarios import sandbox_post

CREATE = r"/v1/payment_intents"
RETRIEVE = r"/v1/payment_intents/pi_[A-Za-z0-9]+"


@pytest.fixture(scope="module")
def proxy(stripe_sandbox):
    proxy = FaultProxy(stripe_sandbox.url)
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def faulty_app(app, database_url, proxy, tmp_path_factory):
    """The shop with Stripe behind the proxy; a short timeout and two retries, as in prod."""
    config = app_config(database_url, proxy.url, tmp_path_factory.mktemp("faults"))
    faulty = create_app({**config, "STRIPE_API_BASE": proxy.url,
                         "STRIPE_TIMEOUT_SECONDS": 1, "STRIPE_MAX_NETWORK_RETRIES": 2})
    faulty.test_client_class = IsolatedClient
    return faulty


# The newest sandbox event when the test began: order ids start again after each wipe, so
# only intents created since then count as this test's.
_MARK: dict[str, str | None] = {"event": None}


@pytest.fixture
def shop(faulty_app, app, proxy, stripe_client):
    wipe(app)
    proxy.reset()
    newest = stripe_client.v1.events.list(params={"limit": 1}).data
    _MARK["event"] = newest[0].id if newest else None
    with faulty_app.app_context():
        store = make_store()
        product = make_product(store, name="Kenya Nyeri", price=1650, stock=10)
        yield faulty_app, product
        proxy.reset()
        db.session.remove()


def intents_created_for(stripe_client, order_token: str) -> list[str]:
    """PaymentIntents the sandbox created for this order since the test began (its events
    are the record)."""
    order = db.session.scalar(select(Order).where(Order.token == order_token))
    params = {"type": "payment_intent.created", "limit": 100}
    if _MARK["event"]:
        params["ending_before"] = _MARK["event"]
    events = stripe_client.v1.events.list(params=params)
    return [e.data.object.id for e in events.data
            if e.data.object.to_dict().get("metadata", {}).get("order_id") == str(order.id)]


def the_order() -> Order:
    db.session.rollback()
    return db.session.scalar(select(Order))


def test_5xx_is_retried_with_the_same_idempotency_key(shop, proxy, stripe_client):
    app, product = shop
    proxy.add("POST", CREATE, "error500", times=2)
    shopper = Shopper(app.test_client())
    shopper.add(product)
    token = shopper.checkout()
    creates = proxy.seen("POST", CREATE)
    assert [c.action for c in creates] == ["error500", "error500", "forward"]
    assert len({c.idempotency_key for c in creates}) == 1
    attempt = db.session.scalar(select(PaymentAttempt))
    assert creates[0].idempotency_key == attempt.idempotency_key
    assert intents_created_for(stripe_client, token) == [attempt.provider_reference]


def test_timeout_after_stripe_did_the_work_returns_the_same_intent(shop, proxy,
                                                                   stripe_client):
    app, product = shop
    # Stripe creates the intent but the answer never comes: the SDK times out (1 s here)
    # and retries with the same key, and Stripe replays the first intent.
    proxy.add("POST", CREATE, "forward_then_hold", times=1)
    shopper = Shopper(app.test_client())
    shopper.add(product)
    token = shopper.checkout()
    creates = proxy.seen("POST", CREATE)
    assert [c.action for c in creates] == ["forward_then_hold", "forward"]
    assert creates[0].idempotency_key == creates[1].idempotency_key
    attempt = db.session.scalar(select(PaymentAttempt))
    assert intents_created_for(stripe_client, token) == [attempt.provider_reference]
    assert shopper.client_secret(token).startswith(attempt.provider_reference + "_secret_")


def test_stripe_down_keeps_the_order_payable_and_never_makes_a_second_intent(
        shop, proxy, stripe_client, stripe_sandbox):
    app, product = shop
    # Every call of the checkout (1 + 2 retries) and of the first payment page view fails
    # after Stripe did the work: the worst case for duplicates.
    proxy.add("POST", CREATE, "forward_then_drop", times=6)
    shopper = Shopper(app.test_client())
    shopper.add(product, 2)
    token = shopper.checkout()

    page = shopper.client.get(f"/orders/{token}/pay")
    assert page.status_code == 503
    text = page.get_data(as_text=True)
    assert "We could not reach the payment service just now" in text
    assert "nothing was charged" in text and "Try again" in text
    order = the_order()
    assert (order.status, order.payment_status) == ("pending", "unpaid")
    attempt = db.session.scalar(select(PaymentAttempt))
    assert (attempt.status, attempt.provider_reference) == ("initiated", None)
    assert db.session.scalar(select(func.sum(InventoryHold.quantity)).where(
        InventoryHold.status == "active")) == 2

    # Stripe is back: the same page now works, with the intent Stripe made the first time.
    secret = shopper.client_secret(token)
    creates = proxy.seen("POST", CREATE)
    assert len(creates) == 7 and len({c.idempotency_key for c in creates}) == 1
    intent_id = intent_id_from_secret(secret)
    assert intents_created_for(stripe_client, token) == [intent_id]

    Browser(stripe_client, stripe_sandbox.url).confirm(secret, CARD_OK)
    assert shopper.return_from_stripe(token, intent_id).status_code == 303
    assert the_order().payment_status == "paid"
    shopper.client.get(f"/orders/{token}/pay")  # a late visit creates nothing
    assert intents_created_for(stripe_client, token) == [intent_id]
    assert db.session.scalar(select(func.count(PaymentAttempt.id))) == 1


def _paid_at_stripe(app, product, stripe_client, stripe_sandbox, event_type, *, card):
    """A checkout paid at Stripe the shop has not heard of: the intent's ``event_type`` event."""
    shopper = Shopper(app.test_client())
    shopper.add(product)
    secret = shopper.client_secret(shopper.checkout())
    intent_id = intent_id_from_secret(secret)
    Browser(stripe_client, stripe_sandbox.url).confirm(secret, card)
    if card == PROCESSING_CARD:
        sandbox_post(stripe_sandbox.url, intent_id, "_settle", {"success": "true"})
    [event] = [e.to_dict() for e in stripe_client.v1.events.list(
        params={"type": event_type, "limit": 100}).data if e.data.object.id == intent_id]
    return event


def test_webhook_while_stripe_is_down_is_500_and_applied_on_stripes_retry(
        shop, proxy, stripe_client, stripe_sandbox):
    """A ``processing`` event is a hint: the shop must ask Stripe, which is down."""
    app, product = shop
    event = _paid_at_stripe(app, product, stripe_client, stripe_sandbox,
                            "payment_intent.processing", card=PROCESSING_CARD)

    proxy.add("GET", RETRIEVE, "error500", times=3)  # the retrieve and both retries
    failed = post_event(app.test_client(), event)
    assert failed.status_code == 500
    assert failed.get_json()["error"]["code"] == "internal_error"
    assert the_order().payment_status == "unpaid"

    retried = post_event(app.test_client(), event)  # Stripe redelivers
    assert retried.status_code == 200 and retried.get_json()["outcome"] == "processed"
    assert the_order().payment_status == "paid"
    captured = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.to_state == "captured"))
    assert captured == 1


def test_a_succeeded_event_is_applied_while_stripe_is_down(
        shop, proxy, stripe_client, stripe_sandbox):
    """``succeeded`` is final, so its signed copy of the intent is the truth: no call."""
    app, product = shop
    event = _paid_at_stripe(app, product, stripe_client, stripe_sandbox,
                            "payment_intent.succeeded", card=CARD_OK)

    proxy.add("GET", RETRIEVE, "error500", times=3)
    asked_before = proxy.count("GET", RETRIEVE)
    response = post_event(app.test_client(), event)
    assert response.status_code == 200 and response.get_json()["outcome"] == "processed"
    assert (the_order().status, the_order().payment_status) == ("paid", "paid")
    assert proxy.count("GET", RETRIEVE) == asked_before


def test_a_refused_customer_session_still_lets_a_signed_in_shopper_pay(shop, proxy):
    from ..factories import PASSWORD, make_user
    from ..shopper import login

    app, product = shop
    make_user("ada@example.com")
    client = app.test_client()
    login(client, "ada@example.com", PASSWORD)
    proxy.add("POST", r"/v1/customer_sessions", "status", status=403)
    shopper = Shopper(client)
    shopper.add(product)
    token = shopper.checkout()
    page = client.get(f"/orders/{token}/pay")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-client-secret="pi_' in html
    assert "data-customer-session" not in html  # typed card only, no saved cards
    assert proxy.count("POST", r"/v1/customer_sessions") == 1
