"""Races on purpose: the browser's return and the webhook at the same instant, and many
shoppers after the last units of a product."""

import threading

from sqlalchemy import func, select

from shop.extensions import db
from shop.models import AuditEvent, InventoryHold, Order, Product

from ..factories import make_product
from ..shopper import CARD_OK, Shopper, intent_id_from_secret, post_event, sandbox_events


def run_together(*targets):
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def wrap(i, target):
        try:
            barrier.wait()
            results[i] = target()
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return results


def test_return_and_webhook_at_the_same_moment(clean_app, shopper, browser, stripe_client,
                                               product):
    shopper.add(product, 3)
    token = shopper.checkout()
    secret = shopper.client_secret(token)
    intent_id = intent_id_from_secret(secret)
    browser.confirm(secret, CARD_OK)
    [event] = sandbox_events(stripe_client, intent_id, "payment_intent.succeeded")
    cookie = shopper.client.get_cookie("session").value

    def returning():
        client = clean_app.test_client()
        client.set_cookie("session", cookie)
        return Shopper(client).return_from_stripe(token, intent_id).status_code

    def webhook():
        return post_event(clean_app.test_client(), event).status_code

    assert run_together(returning, webhook) == [303, 200]
    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    assert db.session.scalar(select(func.count(Order.id))) == 1
    assert db.session.scalar(select(Order.payment_status)) == "paid"
    assert db.session.get(Product, product.id).stock_on_hand == 7  # decremented once
    captured = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.to_state == "captured"))
    assert captured == 1


def test_twenty_shoppers_five_units(clean_app, store):
    product = make_product(store, name="Limited Edition", stock=5)
    shoppers = []
    for _ in range(20):
        s = Shopper(clean_app.test_client())
        s.add(product, 1)
        shoppers.append((s, s.checkout_form()))

    def checkout(s, form):
        return lambda: s.submit_checkout(form)

    responses = run_together(*(checkout(s, f) for s, f in shoppers))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [303] * 5 + [409] * 15
    for r in responses:
        if r.status_code == 409:
            assert "Limited Edition is sold out." in r.get_data(as_text=True)
    db.session.rollback()  # end the read snapshot (SQLite WAL) and reload
    assert db.session.scalar(select(func.count(Order.id))) == 5
    held = db.session.scalar(select(func.sum(InventoryHold.quantity)).where(
        InventoryHold.status == "active"))
    assert held == 5
    assert db.session.get(Product, product.id).stock_on_hand == 5  # holds, not decrements
