"""Stripe hosted Checkout (``payment_method=stripe_checkout``) end to end: the shop's real
endpoints, the Stripe sandbox's Checkout Sessions and hosted page over HTTP, and Stripe's
checkout.session.* events signed as Stripe signs them."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
import pytest
import requests
import stripe
from sqlalchemy import select, update

from shop.extensions import db
from shop.models import AuditEvent, InventoryHold, Product, StripeEvent
from shop.models.types import utcnow
from shop.services.inventory.expiry import close_lapsed_orders, expire_lapsed_orders

from ..factories import make_user
from ..hosted_checkout import (
    attempts_of,
    come_back,
    effects,
    order_of,
    pay_on_page,
    session_events,
    session_id_of,
    start_hosted,
)
from ..payments import Api
from ..shopper import ADDRESS, CARD_PROCESSING, post_event, sandbox_events

COMPLETED = "checkout.session.completed"
PAGE_DECLINED = "4000000000000002"  # the hosted page's card the bank declines
ONE = {"captures": 1, "receipt_mails": 1, "receipts": 1}


@pytest.fixture
def hosted(shopper, product):
    return start_hosted(shopper, product, 2)


def test_the_session_is_priced_from_the_order_and_stored_once(shopper, stripe_client, hosted,
                                                              product):
    token, url = hosted
    order = order_of(token)
    [attempt] = attempts_of(order.id)
    assert (order.payment_method, attempt.provider) == ("stripe_checkout", "stripe")
    assert attempt.session_id == session_id_of(url) and attempt.redirect_url == url
    assert attempt.provider_reference is None  # Stripe makes the intent when the shopper pays
    session = stripe_client.v1.checkout.sessions.retrieve(attempt.session_id)
    assert (session.amount_total, session.currency) == (order.total, order.currency.lower())
    assert session.client_reference_id == f"order-{order.id}-attempt-{attempt.id}"
    assert session.metadata.to_dict()["attempt_id"] == str(attempt.id)
    assert session.success_url.endswith(
        f"/orders/{token}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}")
    assert session.cancel_url.endswith(f"/orders/{token}?checkout=canceled")
    lines = stripe_client.v1.checkout.sessions.line_items.list(session.id).data
    assert [(li.description, li.quantity, li.price.unit_amount) for li in lines][0] == (
        product.name, 2, product.price)
    assert sum(li.amount_total for li in lines) == order.total  # shipping and tax included
    holds_end = max(h.expires_at for h in db.session.scalars(select(InventoryHold)))
    # Never before the holds end, and within Stripe's range (30 minutes at least).
    assert session.expires_at >= holds_end.timestamp()
    assert session.expires_at >= time.time() + 30 * 60
    # The pay page (a reload, the status page's "Pay now") leads to the same open session.
    again = shopper.client.get(f"/orders/{token}/pay")
    assert (again.status_code, again.headers["Location"]) == (303, url)
    assert len(attempts_of(order.id)) == 1


def test_paid_on_the_hosted_page_then_the_return_settles_at_once(shopper, client, hosted,
                                                                 product, stripe_client):
    token, url = hosted
    answer = pay_on_page(url)
    assert answer.status_code == 303
    back = come_back(client, answer.headers["location"])
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/orders/{token}")
    order = order_of(token)
    assert (order.status, order.payment_status) == ("paid", "paid")
    [attempt] = attempts_of(order.id)
    session = stripe_client.v1.checkout.sessions.retrieve(attempt.session_id)
    assert attempt.status == "captured" and attempt.provider_reference == session.payment_intent
    assert db.session.get(Product, product.id).stock_on_hand == 8
    assert effects(order.id) == ONE
    page = client.get(back.headers["Location"]).get_data(as_text=True)
    assert "your order is paid" in page
    # Then Stripe's events arrive: checkout.session.completed and payment_intent.succeeded.
    [completed] = session_events(stripe_client, attempt.session_id, COMPLETED)
    [succeeded] = sandbox_events(stripe_client, session.payment_intent,
                                 "payment_intent.succeeded")
    for event in (completed, succeeded):
        assert post_event(client, event).get_json()["outcome"] == "processed"
    assert effects(order.id) == ONE
    assert db.session.get(Product, product.id).stock_on_hand == 8


@pytest.mark.parametrize("first", [COMPLETED, "payment_intent.succeeded"])
def test_webhook_before_the_return_one_effect(shopper, client, hosted, stripe_client, first):
    token, url = hosted
    answer = pay_on_page(url)
    order = order_of(token)
    session_id = session_id_of(url)
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session_id).payment_intent
    completed = session_events(stripe_client, session_id, COMPLETED)[0]
    succeeded = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")[0]
    events = [completed, succeeded] if first == COMPLETED else [succeeded, completed]
    assert post_event(client, events[0]).get_json()["outcome"] == "processed"
    assert order_of(token).payment_status == "paid"  # before the shopper is back
    assert attempts_of(order.id)[0].provider_reference == intent_id
    come_back(client, answer.headers["location"])
    assert post_event(client, events[1]).get_json()["outcome"] == "processed"
    assert effects(order.id) == ONE
    actors = db.session.scalars(select(AuditEvent.actor).where(
        AuditEvent.entity_type == "payment_attempt", AuditEvent.to_state == "captured")).all()
    assert actors == [f"webhook:{events[0]['id']}"]


def test_a_duplicate_event_has_one_effect(client, hosted, stripe_client):
    token, url = hosted
    pay_on_page(url)
    [completed] = session_events(stripe_client, session_id_of(url), COMPLETED)
    assert post_event(client, completed).get_json()["outcome"] == "processed"
    assert post_event(client, completed).get_json()["outcome"] == "duplicate"
    assert effects(order_of(token).id) == ONE


@pytest.mark.parametrize("sign_args", [
    {"secret": "whsec_forged"},  # noqa: S105 - a wrong secret, on purpose
    {"timestamp": int(time.time()) - 3600},  # stale: outside the tolerance
])
def test_a_forged_or_stale_event_is_400_and_changes_nothing(client, hosted, stripe_client,
                                                            sign_args):
    token, url = hosted
    pay_on_page(url)
    [completed] = session_events(stripe_client, session_id_of(url), COMPLETED)
    response = post_event(client, completed, **sign_args)
    assert response.status_code == 400
    order = order_of(token)
    assert (order.status, order.payment_status) == ("pending", "unpaid")
    assert attempts_of(order.id)[0].provider_reference is None
    assert db.session.scalar(select(StripeEvent.id)) is None
    assert effects(order.id) == {"captures": 0, "receipt_mails": 0, "receipts": 0}


def test_cancel_comes_back_to_a_page_with_retry_then_pays(client, hosted, stripe_client):
    token, url = hosted
    with httpx.Client(timeout=10) as browser:
        assert "Cancel and go back" in browser.get(url).text
    cancel_url = stripe_client.v1.checkout.sessions.retrieve(session_id_of(url)).cancel_url
    back = come_back(client, cancel_url)
    html = back.get_data(as_text=True)
    assert back.status_code == 200
    assert "Nothing was charged" in html and "Try again" in html
    assert order_of(token).payment_status == "unpaid"
    retry = client.get(f"/orders/{token}/pay")
    assert retry.headers["Location"] == url  # the same session, still open
    come_back(client, pay_on_page(url).headers["location"])
    assert order_of(token).payment_status == "paid"


def test_declined_on_the_page_then_another_card(client, hosted, stripe_client):
    token, url = hosted
    declined = pay_on_page(url, PAGE_DECLINED)
    assert declined.status_code == 402  # the hosted page shows the bank's answer
    session = stripe_client.v1.checkout.sessions.retrieve(session_id_of(url))
    [failed] = sandbox_events(stripe_client, session.payment_intent,
                              "payment_intent.payment_failed")
    assert post_event(client, failed).get_json()["outcome"] == "processed"  # found by metadata
    order = order_of(token)
    assert order.payment_status == "failed"
    assert attempts_of(order.id)[0].last_error_code
    come_back(client, pay_on_page(url).headers["location"])
    assert order_of(token).payment_status == "paid"
    assert effects(order.id) == ONE


def test_a_delayed_payment_that_fails_then_a_retry_on_a_new_session(
        shopper, client, hosted, stripe_client, stripe_sandbox, product):
    token, url = hosted
    answer = pay_on_page(url, CARD_PROCESSING)
    come_back(client, answer.headers["location"])
    order = order_of(token)
    assert order.payment_status == "processing"
    assert shopper.status(token)["pending"] is True
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session_id_of(url)).payment_intent
    requests.post(f"{stripe_sandbox.url}/v1/payment_intents/{intent_id}/_settle",
                  data={"success": "false"}, timeout=10,
                  headers={"Authorization": "Bearer sk_test_sandbox"}).raise_for_status()
    [failed] = session_events(stripe_client, session_id_of(url),
                              "checkout.session.async_payment_failed")
    assert post_event(client, failed).get_json()["outcome"] == "processed"
    order = order_of(token)
    assert (order.status, order.payment_status) == ("pending", "failed")
    # Retried: the completed session takes no second payment, so a new attempt and session.
    retry = client.get(f"/orders/{token}/pay")
    new_url = retry.headers["Location"]
    assert retry.status_code == 303 and new_url != url and "/checkout.stripe.com/" in new_url
    old, new = attempts_of(order.id)
    assert (old.status, new.status, new.session_id) == ("canceled", "initiated",
                                                         session_id_of(new_url))
    come_back(client, pay_on_page(new_url).headers["location"])
    assert order_of(token).payment_status == "paid"
    assert effects(order.id) == ONE
    assert db.session.get(Product, product.id).stock_on_hand == 8


def _lapse_holds() -> None:
    db.session.execute(update(InventoryHold).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_abandoned_hold_lapses_session_expired_order_closed_and_restocked(
        client, hosted, stripe_client, product):
    token, url = hosted
    order = order_of(token)
    _lapse_holds()
    report = expire_lapsed_orders()
    assert report.handed_on == 1 and report.expired == 0  # Stripe is asked first
    close_lapsed_orders(order_ids=[order.id])  # the job the outbox hands it to (idempotent)
    session = stripe_client.v1.checkout.sessions.retrieve(session_id_of(url))
    assert session.status == "expired"
    order = order_of(token)
    assert (order.status, order.payment_status) == ("expired", "unpaid")
    assert attempts_of(order.id)[0].status == "canceled"
    assert db.session.scalars(select(InventoryHold.status)).all() == ["released"]
    assert db.session.get(Product, product.id).stock_on_hand == 10
    # The session's own expiry event then changes nothing.
    [expired] = session_events(stripe_client, session.id, "checkout.session.expired")
    assert post_event(client, expired).get_json()["outcome"] == "processed"
    assert order_of(token).status == "expired"
    # And its page takes no money.
    assert httpx.post(url, data={"card": "4242424242424242"}, timeout=10).status_code == 409


def test_a_session_expired_at_stripe_cancels_the_attempt_and_the_lapsed_order(
        client, hosted, stripe_client):
    token, url = hosted
    _lapse_holds()
    stripe_client.v1.checkout.sessions.expire(session_id_of(url))  # as Stripe does by itself
    [expired] = session_events(stripe_client, session_id_of(url), "checkout.session.expired")
    assert post_event(client, expired).get_json()["outcome"] == "processed"
    order = order_of(token)
    assert order.status == "expired"
    assert attempts_of(order.id)[0].status == "canceled"


def test_an_expired_session_with_stock_still_held_gets_a_new_one(client, hosted,
                                                                 stripe_client):
    token, url = hosted
    stripe_client.v1.checkout.sessions.expire(session_id_of(url))
    [expired] = session_events(stripe_client, session_id_of(url), "checkout.session.expired")
    post_event(client, expired)
    order = order_of(token)
    assert (order.status, attempts_of(order.id)[0].status) == ("pending", "canceled")
    retry = client.get(f"/orders/{token}/pay")
    assert retry.status_code == 303 and retry.headers["Location"] != url
    come_back(client, pay_on_page(retry.headers["Location"]).headers["location"])
    assert order_of(token).payment_status == "paid"


@pytest.mark.parametrize("amount, status", [(None, "refunded"), (500, "partially_refunded")])
def test_refund_of_a_checkout_paid_order(clean_app, client, hosted, store, amount, status):
    token, url = hosted
    come_back(client, pay_on_page(url).headers["location"])
    order = order_of(token)
    [attempt] = attempts_of(order.id)
    staff = Api.staff(clean_app, make_user(store=store))
    body = {"attempt_id": attempt.id, **({"amount": amount} if amount else {})}
    response = staff.post("/refund", body)
    assert response.status_code == 200, response.get_json()
    assert order_of(token).payment_status == status
    refundable = response.get_json()["attempt"]["ledger"]["refundable"]
    assert refundable == (0 if amount is None else order.total - amount)


def test_reconciliation_settles_a_paid_session_whose_events_were_lost(clean_app, hosted,
                                                                      store):
    from shop.services.payments.reconciliation import run_reconciliation

    token, url = hosted
    pay_on_page(url)  # nobody tells the shop: no return, no event
    before = clean_app.config["RECONCILE_STUCK_MINUTES"]
    clean_app.config["RECONCILE_STUCK_MINUTES"] = 0
    try:
        [run] = run_reconciliation(trigger="test", store_ids=[store.id])
    finally:
        clean_app.config["RECONCILE_STUCK_MINUTES"] = before
    assert run.fixed >= 1
    assert order_of(token).payment_status == "paid"
    assert effects(order_of(token).id) == ONE


def test_the_pinned_version_refuses_a_checkout_parameter_it_does_not_have(stripe_client):
    # line_items[].amount (an inline price) left the API long before the pinned version.
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.checkout.sessions.create(params={  # type: ignore[typeddict-unknown-key]
            "mode": "payment", "success_url": "https://shop.test/ok",
            "line_items": [{"amount": 1000, "currency": "usd", "name": "Mug", "quantity": 1}]})
    assert "amount" in str(refused.value)


def test_switching_a_payment_element_order_to_hosted_checkout(shopper, client, product,
                                                              stripe_client):
    from ..hosted_checkout import pay_page_form

    shopper.add(product, 1)
    token = shopper.checkout()  # the Payment Element
    order = order_of(token)
    [element] = attempts_of(order.id)
    answer = client.post(f"/orders/{token}/pay/hosted", data=pay_page_form(client, token))
    assert answer.status_code == 303 and "/checkout.stripe.com/" in answer.headers["Location"]
    old, new = attempts_of(order.id)
    assert old.id == element.id and old.status == "canceled"
    intent = stripe_client.v1.payment_intents.retrieve(old.provider_reference)
    assert intent.status == "canceled"
    order = order_of(token)
    assert (order.payment_method, order.status) == ("stripe_checkout", "pending")
    assert db.session.scalar(select(AuditEvent.to_state).where(
        AuditEvent.action == "payment_method_change")) == "stripe_checkout"
    # The canceled intent's own event ends the old attempt only.
    [canceled] = sandbox_events(stripe_client, intent.id, "payment_intent.canceled")
    post_event(client, canceled)
    assert order_of(token).status == "pending"
    come_back(client, pay_on_page(answer.headers["Location"]).headers["location"])
    assert order_of(token).payment_status == "paid"
    assert effects(order.id) == ONE


def test_back_before_anyone_heard_the_status_page_waits(shopper, hosted):
    token, _url = hosted  # back on success_url, the session not paid (or Stripe away)
    page = shopper.client.get(f"/orders/{token}?checkout=success").get_data(as_text=True)
    assert "Confirming your payment" in page and 'data-pending="true"' in page
    assert "checkout=success" in page  # the polling asks with it
    state = shopper.client.get(f"/orders/{token}/status.json?checkout=success").get_json()
    assert (state["pending"], state["can_pay"]) == (True, False)
    assert shopper.status(token)["can_pay"] is True  # without it: "Pay now"


def test_a_store_with_hosted_checkout_only_sends_every_order_there(shopper, product):
    from shop.models import StoreSettings

    db.session.add(StoreSettings(store_id=product.store_id, payment_methods=["stripe_checkout"]))
    db.session.commit()
    shopper.add(product, 1)
    response = shopper.submit_checkout(shopper.checkout_form())  # no payment_method posted
    assert response.status_code == 303
    assert "/checkout.stripe.com/c/pay/" in response.headers["Location"]
    form = shopper.client.get("/checkout").get_data(as_text=True)
    assert 'type="radio" name="payment_method"' not in form  # one method: no choice shown


def test_the_unpaid_order_job_expires_the_session_and_cancels_the_order(hosted,
                                                                         stripe_client):
    from shop.services.inventory.expiry import cancel_stale_unpaid_orders

    token, url = hosted
    report = cancel_stale_unpaid_orders(ttl=timedelta(minutes=1),
                                        now=utcnow() + timedelta(minutes=2))
    assert report.closed == [order_of(token).id], report
    assert stripe_client.v1.checkout.sessions.retrieve(session_id_of(url)).status == "expired"
    order = order_of(token)
    assert (order.status, attempts_of(order.id)[0].status) == ("canceled", "canceled")
    assert db.session.scalars(select(InventoryHold.status)).all() == ["released"]


def test_paid_just_before_the_hold_lapsed_is_kept_not_closed(hosted, stripe_client):
    token, url = hosted
    pay_on_page(url)  # paid at Stripe; the shop has not heard yet
    _lapse_holds()
    close_lapsed_orders(order_ids=[order_of(token).id])
    order = order_of(token)
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert effects(order.id) == ONE


def test_a_new_checkout_of_the_cart_expires_the_old_orders_session(shopper, product, hosted,
                                                                   stripe_client):
    token, url = hosted
    form = shopper.checkout_form()  # the same cart, checked out again
    again = shopper.client.post("/checkout", data={**form, **ADDRESS,
                                                   "payment_method": "stripe_checkout"})
    assert again.status_code == 303 and again.headers["Location"] != url
    assert stripe_client.v1.checkout.sessions.retrieve(session_id_of(url)).status == "expired"
    old = order_of(token)
    assert old.status == "canceled" and attempts_of(old.id)[0].status == "canceled"


def test_hosted_checkout_captures_at_once_even_where_cards_are_authorized_first(
        manual_capture, shopper, client, product):
    token, url = start_hosted(shopper, product, 1)
    order = order_of(token)
    assert attempts_of(order.id)[0].capture_method == "automatic"
    come_back(client, pay_on_page(url).headers["location"])
    order = order_of(token)
    assert (order.status, order.payment_status) == ("paid", "paid")
    assert effects(order.id) == ONE
