"""Saved cards: one Stripe Customer per account and store, cards saved while paying or
through a SetupIntent, default and removal, and nobody reaching anyone else's cards."""

import re

import pytest
import requests
import stripe
from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, EventStatus, Order, StripeCustomer, StripeEvent
from shop.services.accounts.payment_methods import customer_for, ensure_customer

from ..factories import PASSWORD, make_store, make_user
from ..shopper import CARD_OK, Shopper, csrf_token, intent_id_from_secret, login, post_event
from .test_races import run_together

CARD_3DS = "4000002500003155"
PK = "pk_test_sandbox"


@pytest.fixture
def ada(client, store):
    user = make_user("ada@example.com")
    login(client, "ada@example.com", PASSWORD)
    return user


@pytest.fixture
def bob_client(clean_app, store):
    make_user("bob@example.com")
    client = clean_app.test_client()
    login(client, "bob@example.com", PASSWORD)
    return client


def new_card(stripe_client, number: str = CARD_OK, *, redisplay: str = "always") -> str:
    return stripe_client.v1.payment_methods.create(params={
        "type": "card", "allow_redisplay": redisplay,
        "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}).id


def pay_page(client, token: str) -> str:
    page = client.get(f"/orders/{token}/pay")
    assert page.status_code == 200, page.status_code
    return page.get_data(as_text=True)


def attr(html: str, name: str) -> str | None:
    match = re.search(rf'{name}="([^"]+)"', html)
    return match.group(1) if match else None


def elements_session(sandbox_url: str, session_secret: str) -> dict:
    """What Stripe.js fetches with the Customer Session (the sandbox's stand-in)."""
    return requests.post(f"{sandbox_url}/v1/_elements/customer_session", timeout=10,
                         data={"key": PK, "customer_session_client_secret": session_secret}
                         ).json()


def checkout_and_open(client, product) -> tuple[str, str, str | None]:
    """Order a product; the order token, the intent's client secret, the Customer Session."""
    shopper = Shopper(client)
    shopper.add(product)
    token = shopper.checkout()
    html = pay_page(client, token)
    return token, attr(html, "data-client-secret"), attr(html, "data-customer-session")


def paid(token: str) -> str:
    db.session.rollback()
    return db.session.scalar(select(Order.payment_status).where(Order.token == token))


def cards_page(client) -> str:
    """The list of saved cards on /account/payment-methods (flashed messages left out)."""
    page = client.get("/account/payment-methods")
    assert page.status_code == 200
    return " | ".join(re.findall(r'<li class="address-card" data-card="[^"]+">\s*<p>(.*?)</p>',
                                 page.get_data(as_text=True)))


def post_card_action(client, pm_id: str, action: str):
    token = csrf_token(client.get("/account/payment-methods").get_data(as_text=True))
    return client.post(f"/account/payment-methods/{pm_id}/{action}",
                       data={"csrf_token": token})


def test_one_customer_per_account_and_store(clean_app, stripe_client, store, ada):
    first = ensure_customer(user_id=ada.id, store_id=store.id)
    assert ensure_customer(user_id=ada.id, store_id=store.id) == first
    other = make_store("other")
    assert ensure_customer(user_id=ada.id, store_id=other.id) not in (first, None)
    assert db.session.scalar(select(func.count(StripeCustomer.id))) == 2
    assert stripe_client.v1.customers.retrieve(first).email == "ada@example.com"


def test_two_tabs_at_once_make_one_customer(clean_app, client, store, ada):
    cookie = client.get_cookie("session").value

    def tab():
        other = clean_app.test_client()
        other.set_cookie("session", cookie)
        return other.get("/account/payment-methods/new").status_code

    assert run_together(tab, tab, tab, tab) == [200] * 4
    db.session.rollback()
    (row,) = db.session.scalars(select(StripeCustomer)).all()
    assert row.user_id == ada.id
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "stripe_customer")) == 1


def test_save_while_paying_then_pay_with_it_without_the_number(
        client, stripe_client, stripe_sandbox, product, ada):
    token, secret, session = checkout_and_open(client, product)
    assert session and session.startswith("cuss_secret_")
    assert elements_session(stripe_sandbox.url, session)["payment_methods"] == []
    intent_id = intent_id_from_secret(secret)
    stripe_client.v1.payment_intents.confirm(intent_id, params={
        "payment_method": new_card(stripe_client), "setup_future_usage": "on_session",
        "return_url": "http://shop.test/"})
    Shopper(client).return_from_stripe(token, intent_id)
    assert paid(token) == "paid"
    assert "Visa ending in 4242, expires 12/2034" in cards_page(client)

    token2, secret2, session2 = checkout_and_open(client, product)
    [saved] = elements_session(stripe_sandbox.url, session2)["payment_methods"]
    assert saved["card"]["last4"] == "4242" and "number" not in saved["card"]
    intent2 = intent_id_from_secret(secret2)
    confirmed = stripe_client.v1.payment_intents.confirm(intent2, params={
        "payment_method": saved["id"], "return_url": "http://shop.test/"})
    assert confirmed.status == "succeeded"
    Shopper(client).return_from_stripe(token2, intent2)
    assert paid(token2) == "paid"


def test_a_card_paid_without_saving_is_not_kept(client, stripe_client, product, ada):
    token, secret, _session = checkout_and_open(client, product)
    intent_id = intent_id_from_secret(secret)
    stripe_client.v1.payment_intents.confirm(intent_id, params={
        "payment_method": new_card(stripe_client, redisplay="unspecified"),
        "return_url": "http://shop.test/"})
    assert "ending in 4242" not in cards_page(client)


def test_guests_get_no_customer_and_no_saved_cards(clean_app, client, product, store):
    _token, _secret, session = checkout_and_open(client, product)
    assert session is None
    assert db.session.scalar(select(func.count(StripeCustomer.id))) == 0


def test_signed_in_shopper_on_someone_elses_order_sees_no_saved_cards(
        clean_app, client, bob_client, product, ada):
    token, _secret, _session = checkout_and_open(client, product)
    assert attr(pay_page(bob_client, token), "data-customer-session") is None


def saved_card(client, stripe_client, number: str = CARD_OK) -> str:
    """A card saved through the add-a-card page (SetupIntent), as Stripe.js would."""
    html = client.get("/account/payment-methods/new").get_data(as_text=True)
    secret = attr(html, "data-client-secret")
    seti_id = secret.split("_secret_")[0]
    stripe_client.v1.setup_intents.confirm(seti_id, params={
        "payment_method": new_card(stripe_client, number), "return_url": "http://shop.test/"})
    done = client.get(f"/account/payment-methods/new/done?setup_intent={seti_id}")
    assert done.status_code == 303 and done.headers["Location"].endswith(
        "/account/payment-methods")
    return stripe_client.v1.setup_intents.retrieve(seti_id).payment_method


def test_add_default_and_remove(client, stripe_client, store, ada):
    first = saved_card(client, stripe_client)
    second = saved_card(client, stripe_client, "5555555555554444")
    html = cards_page(client)
    assert "Visa ending in 4242" in html and "Mastercard ending in 4444" in html
    customer_id = customer_for(user_id=ada.id, store_id=store.id)

    assert post_card_action(client, second, "default").status_code == 303
    customer = stripe_client.v1.customers.retrieve(customer_id)
    assert customer.invoice_settings.default_payment_method == second
    assert '<strong class="tag">Default</strong> Mastercard ending in 4444' in cards_page(client)

    assert post_card_action(client, first, "remove").status_code == 303
    assert stripe_client.v1.payment_methods.retrieve(first).customer is None
    html = cards_page(client)
    assert "Visa ending in 4242" not in html and "Mastercard ending in 4444" in html
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_type == "user", AuditEvent.entity_id == ada.id)).all()
    assert sorted(actions) == ["card_default", "card_removed", "card_saved", "card_saved",
                               "stripe_customer"]


def test_setup_with_3d_secure_settles_from_the_setup_intents_status(
        client, stripe_client, stripe_sandbox, ada):
    html = client.get("/account/payment-methods/new").get_data(as_text=True)
    secret = attr(html, "data-client-secret")
    seti_id = secret.split("_secret_")[0]
    stripe_client.v1.setup_intents.confirm(seti_id, params={
        "payment_method": new_card(stripe_client, CARD_3DS)})
    # Back before the bank answered: nothing saved yet, whatever the query string says.
    done = client.get(f"/account/payment-methods/new/done?setup_intent={seti_id}"
                      "&redirect_status=succeeded")
    assert done.status_code == 303
    assert "ending in 3155" not in cards_page(client)
    requests.post(f"{stripe_sandbox.url}/v1/setup_intents/{seti_id}/_authenticate", timeout=10,
                  data={"key": PK, "client_secret": secret, "success": "false"})
    failed = client.get(f"/account/payment-methods/new/done?setup_intent={seti_id}")
    assert failed.headers["Location"].endswith("/account/payment-methods/new")
    assert "ending in 3155" not in cards_page(client)


def test_another_shoppers_card_is_not_found_and_unchanged(
        client, bob_client, stripe_client, store, ada, product):
    bobs = saved_card(bob_client, stripe_client)
    mine = saved_card(client, stripe_client, "5555555555554444")
    bob_id = db.session.scalar(select(StripeCustomer.customer_id).where(
        StripeCustomer.user_id != ada.id))
    assert post_card_action(bob_client, bobs, "default").status_code == 303
    for action in ("default", "remove"):
        assert post_card_action(client, bobs, action).status_code == 404
    assert stripe_client.v1.payment_methods.retrieve(bobs).customer == bob_id
    assert stripe_client.v1.customers.retrieve(
        bob_id).invoice_settings.default_payment_method == bobs
    assert "ending in 4242" not in cards_page(client)
    assert "ending in 4444" in cards_page(client)
    assert post_card_action(bob_client, mine, "remove").status_code == 404
    assert stripe_client.v1.payment_methods.retrieve(mine).customer is not None

    # Paying: Stripe refuses Bob's card on Ada's intent, and the order stays unpaid.
    token, secret, _session = checkout_and_open(client, product)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.payment_intents.confirm(intent_id_from_secret(secret), params={
            "payment_method": bobs, "return_url": "http://shop.test/"})
    assert refused.value.code == "resource_missing"
    assert paid(token) == "unpaid"


def test_a_guest_cannot_pay_with_a_saved_card(clean_app, stripe_client, bob_client, product):
    bobs = saved_card(bob_client, stripe_client)
    guest = clean_app.test_client()
    token, secret, _session = checkout_and_open(guest, product)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.confirm(intent_id_from_secret(secret), params={
            "payment_method": bobs, "return_url": "http://shop.test/"})
    assert paid(token) == "unpaid"


def test_another_shoppers_setup_intent_is_not_found(client, bob_client, stripe_client, ada):
    html = bob_client.get("/account/payment-methods/new").get_data(as_text=True)
    seti_id = attr(html, "data-client-secret").split("_secret_")[0]
    client.get("/account/payment-methods")  # Ada has no Customer yet: still 404
    assert client.get(f"/account/payment-methods/new/done?setup_intent={seti_id}"
                      ).status_code == 404
    client.get("/account/payment-methods/new")
    assert client.get(f"/account/payment-methods/new/done?setup_intent={seti_id}"
                      ).status_code == 404


@pytest.mark.parametrize("pm_id", ["pm_doesnotexist", "card_123", "x" * 300, "pm_%2e%2e"])
def test_unknown_card_ids_are_404(client, stripe_client, ada, pm_id):
    saved_card(client, stripe_client)
    for action in ("default", "remove"):
        assert post_card_action(client, pm_id, action).status_code == 404
    assert "Visa ending in 4242" in cards_page(client)


def test_card_actions_need_csrf_and_a_sign_in(client, stripe_client, store, ada):
    pm_id = saved_card(client, stripe_client)
    assert client.post(f"/account/payment-methods/{pm_id}/remove").status_code == 400
    assert "Visa ending in 4242" in cards_page(client)
    anonymous = client.application.test_client()
    for url in ("/account/payment-methods", "/account/payment-methods/new"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_card_events_are_recorded_and_acknowledged(client, stripe_client, ada):
    pm_id = saved_card(client, stripe_client)
    post_card_action(client, pm_id, "remove")
    for event_type in ("setup_intent.succeeded", "payment_method.attached",
                       "payment_method.detached"):
        [event] = [e for e in (raw.to_dict() for raw in stripe_client.v1.events.list(
            params={"type": event_type, "limit": 100}).data)
            if pm_id in (e["data"]["object"]["id"], e["data"]["object"].get("payment_method"))]
        assert post_event(client, event).status_code == 200
        assert post_event(client, event).status_code == 200  # a repeat is a no-op
        db.session.rollback()
        assert db.session.get(StripeEvent, event["id"]).status == EventStatus.IGNORED


def test_saved_card_pages_are_rate_limited_per_account(client, stripe_client, ada, limits):
    limits(RATELIMIT_SAVED_CARDS_PER_USER="2 per minute")
    assert [client.get("/account/payment-methods/new").status_code for _ in range(3)] == [
        200, 200, 429]
    assert client.get("/account/payment-methods").status_code == 200  # reading is never limited
