"""The admin orders list costs as many statements per page for ten times the orders (no
query per row: the page renders only the orders' own columns)."""

from __future__ import annotations

import re

from shop.models import Role

from ..factories import PASSWORD, make_order, make_user
from ..shopper import login
from ..statements import statements_for

PAGES = ["/admin/orders", "/admin/orders?status=pending&payment_status=unpaid",
         "/admin/orders?q=ada%40example.com", "/admin/orders?sort=total_high"]


def test_the_orders_list_costs_the_same_statements_for_ten_times_the_orders(
        clean_app, store, product):
    owner = make_user("owner@example.com", store=store, role=Role.OWNER)
    client = clean_app.test_client()
    assert login(client, owner.email, PASSWORD).status_code == 303
    counts, made = [], 0
    for orders in (6, 60):
        for _ in range(orders - made):
            make_order(store, product)
        made = orders
        first = client.get("/admin/orders").get_data(as_text=True)
        assert len(re.findall(r'href="/admin/orders/\d+"', first)) == min(orders, 50)
        counts.append({path: len(statements_for(client, path)) for path in PAGES})
    assert counts[0] == counts[1]
