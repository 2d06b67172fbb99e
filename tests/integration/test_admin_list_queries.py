"""The admin orders list costs a fixed number of statements per page, however many orders
the store has (no query per row: the page renders only the orders' own columns)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from shop.extensions import db
from shop.models import Role

from ..factories import PASSWORD, make_order, make_user
from ..shopper import login

PAGES = ["/admin/orders", "/admin/orders?status=pending&payment_status=unpaid",
         "/admin/orders?q=ada%40example.com", "/admin/orders?sort=total_high"]


def statements_for(client, path: str) -> int:
    count = []

    def listener(*_args):
        count.append(1)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.status_code
    return len(count)


@pytest.mark.parametrize("orders", [2, 60])
def test_the_orders_list_costs_the_same_statements_for_any_number_of_orders(
        clean_app, store, product, orders):
    owner = make_user("owner@example.com", store=store, role=Role.OWNER)
    for _ in range(orders):
        make_order(store, product)
    client = clean_app.test_client()
    assert login(client, owner.email, PASSWORD).status_code == 303
    first = client.get("/admin/orders").get_data(as_text=True)
    assert len(re.findall(r'href="/admin/orders/\d+"', first)) == min(orders, 50)
    for path in PAGES:
        # Session user, membership, store, the page of orders: not one per order.
        assert statements_for(client, path) <= 8, path
