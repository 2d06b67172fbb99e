"""A shopper's history and order pages cost as many statements for ten times the orders."""

from __future__ import annotations

from ..factories import PASSWORD, make_order, make_user
from ..shopper import login
from ..statements import statements_for


def test_history_pages_cost_the_same_statements_for_ten_times_the_orders(
        clean_app, store, product):
    shopper = make_user("ada@example.com")
    client = clean_app.test_client()
    assert login(client, shopper.email, PASSWORD).status_code == 303
    counts, placed = [], []
    for orders in (12, 120):  # two pages, then twelve
        placed += [make_order(store, product, user=shopper, status="paid",
                              payment_status="paid") for _ in range(orders - len(placed))]
        paths = ["/account/orders", "/account/orders?page=2", "/account/orders?status=paid",
                 f"/account/orders/{placed[-1].id}"]
        counts.append([len(statements_for(client, path)) for path in paths])
    assert counts[0] == counts[1]
