"""How many SQL statements a checkout and a paying webhook take: a bound that pins the
benchmark work (docs/performance.md) and does not grow with the orders already there."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from shop.extensions import db
from shop.models import Order

from ..shopper import CARD_OK, Shopper, intent_id_from_secret, post_event, sandbox_events

# Statements that do work; BEGIN (SQLite's BEGIN IMMEDIATE) and the like are not counted.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
# 11 today on PostgreSQL, 12 on SQLite; 17 before the third round (docs/performance.md), 26
# before the money benchmarks' changes.
CHECKOUT_MAX = 12
# Receipt in-process, as in these tests: 20 today on PostgreSQL, 25 on SQLite (where the
# audit and ledger rows are not batched into one INSERT each); 25 and 28 before the third
# round, 31 and 33 before the second, 37 on PostgreSQL before the first.
WEBHOOK_MAX = 25


@contextmanager
def counted():
    statements: list[str] = []

    def count(conn, cursor, statement, *_):
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def checkout(app, product) -> tuple[str, int]:
    """A fresh shopper's checkout: its order token and the statements of its POST."""
    shopper = Shopper(app.test_client())
    shopper.add(product, 1)
    form = shopper.checkout_form()
    with counted() as statements:
        response = shopper.submit_checkout(form)
    assert response.status_code == 303, response.status_code
    return response.headers["Location"].split("/orders/")[1].split("/")[0], len(statements)


def test_checkout_statements_are_bounded(clean_app, product):
    counts = [checkout(clean_app, product)[1] for _ in range(4)]
    assert max(counts) <= CHECKOUT_MAX, counts
    assert counts[-1] <= counts[0], counts  # more orders in the table, no more statements


def test_paying_webhook_statements_are_bounded(clean_app, product, browser, stripe_client):
    counts = []
    for _ in range(2):
        token, _ = checkout(clean_app, product)
        shopper = Shopper(clean_app.test_client())
        secret = shopper.client_secret(token)
        browser.confirm(secret, CARD_OK)
        paid_event = sandbox_events(stripe_client, intent_id_from_secret(secret),
                                    "payment_intent.succeeded")[0]
        with counted() as statements:
            response = post_event(clean_app.test_client(), paid_event)
        assert response.status_code == 200
        assert response.get_json()["outcome"] == "processed"
        db.session.rollback()
        assert db.session.scalar(select(Order.payment_status)
                                 .where(Order.token == token)) == "paid"
        counts.append(len(statements))
    assert max(counts) <= WEBHOOK_MAX, counts
    assert counts[-1] <= counts[0], counts
