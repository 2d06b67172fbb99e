"""A checkout and a paying webhook send as many SQL statements for an order of ten lines among
ten times the orders as for one line among a few (docs/performance.md): no statement per
line, per product or per order already there (on SQLite, apart from the INSERT per new row
that the unit of work sends there: ``statements.batches``)."""

from __future__ import annotations

from sqlalchemy import select

from shop.extensions import db
from shop.models import Order

from ..factories import make_order, make_product
from ..shopper import CARD_OK, Shopper, intent_id_from_secret, post_event, sandbox_events
from ..statements import batches, recorded_statements


def checkout(app, products) -> tuple[str, int]:
    """A fresh shopper's checkout of one unit of each product: its order token and the
    number of statements of its POST."""
    shopper = Shopper(app.test_client())
    for product in products:
        shopper.add(product, 1)
    form = shopper.checkout_form()
    with recorded_statements() as statements:
        response = shopper.submit_checkout(form)
    assert response.status_code == 303, response.status_code
    return (response.headers["Location"].split("/orders/")[1].split("/")[0],
            len(batches(statements)))


def more_orders(store, product, count: int) -> None:
    for _ in range(count):
        make_order(store, product)


def test_checkout_statements_do_not_grow_with_lines_or_orders(clean_app, store, product):
    products = [product] + [make_product(store) for _ in range(9)]
    checkout(clean_app, [product])  # the worker's first checkout reads what it then keeps
    more_orders(store, product, 1)
    _, one_line = checkout(clean_app, [product])
    more_orders(store, product, 20)
    _, ten_lines = checkout(clean_app, products)
    assert one_line == ten_lines


def paying_webhook(app, products, browser, stripe_client) -> int:
    """The statements of the ``payment_intent.succeeded`` delivery that pays a new order."""
    token, _ = checkout(app, products)
    secret = Shopper(app.test_client()).client_secret(token)
    browser.confirm(secret, CARD_OK)
    paid_event = sandbox_events(stripe_client, intent_id_from_secret(secret),
                                "payment_intent.succeeded")[0]
    with recorded_statements() as statements:
        response = post_event(app.test_client(), paid_event)
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "processed"
    db.session.rollback()
    assert db.session.scalar(select(Order.payment_status).where(Order.token == token)) == "paid"
    return len(batches(statements))


def test_paying_webhook_statements_do_not_grow_with_lines_or_orders(
        clean_app, store, product, browser, stripe_client):
    products = [product] + [make_product(store) for _ in range(9)]
    paying_webhook(clean_app, [product], browser, stripe_client)  # first of its worker
    more_orders(store, product, 1)
    one_line = paying_webhook(clean_app, [product], browser, stripe_client)
    more_orders(store, product, 20)
    ten_lines = paying_webhook(clean_app, products, browser, stripe_client)
    assert one_line == ten_lines
