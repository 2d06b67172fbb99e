"""A shopper's history and order pages cost a fixed number of statements, however many
orders the shopper has."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from shop.extensions import db

from ..factories import PASSWORD, make_order, make_user
from ..shopper import login


def statements_for(client, path: str) -> int:
    count = []

    def listener(*_args):
        count.append(1)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, (path, response.status_code)
    return len(count)


@pytest.mark.parametrize("orders", [2, 40])
def test_history_pages_cost_the_same_statements_for_any_number_of_orders(
        clean_app, store, product, orders):
    shopper = make_user("ada@example.com")
    placed = [make_order(store, product, user=shopper, status="paid", payment_status="paid")
              for _ in range(orders)]
    client = clean_app.test_client()
    assert login(client, shopper.email, PASSWORD).status_code == 303
    for path in ["/account/orders", "/account/orders?page=2", "/account/orders?status=paid",
                 f"/account/orders/{placed[-1].id}"]:
        # Session user, store, count and page (or the order, its attempt and lines).
        assert statements_for(client, path) <= 10, path
