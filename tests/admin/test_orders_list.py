"""The orders list: filters, search, sorting, keyset pages, CSV export, and as many queries
per page for ten times the orders."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from shop.extensions import db
from shop.models.types import utcnow

from ..factories import make_product
from ..statements import statements_for
from .helpers import make_order, paid_order

ORDER_LINK = re.compile(r'href="/admin/orders/(\d+)"')


def listed(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return [int(i) for i in ORDER_LINK.findall(response.get_data(as_text=True))]


def link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


@pytest.fixture
def orders(store):
    """Five orders of store A, one of store B, created a day apart (newest last)."""
    now = utcnow()
    product = make_product(store, price=1000, stock=100)
    rows = {
        "old_paid": paid_order(store, product=product, created_at=now - timedelta(days=4),
                               email="grace@example.com"),
        "shipped": make_order(store, product=product, status="shipped", payment_status="paid",
                              created_at=now - timedelta(days=3), quantity=3,
                              email="alan@example.com"),
        "failed": make_order(store, product=product, payment_status="failed",
                             created_at=now - timedelta(days=2), email="ada@example.com"),
        "disputed": make_order(store, product=product, status="paid",
                               payment_status="disputed", created_at=now - timedelta(days=1),
                               attention="Paid, out of stock: x", email="edsger@example.com"),
        "new": make_order(store, product=product, attempt="authorizing",
                          intent="pi_findme123", quantity=2, email="barbara@example.com"),
    }
    return {name: order.id for name, order in rows.items()}


def test_newest_first_and_only_this_store(as_staff, orders, other_store):
    foreign = make_order(other_store).id
    ids = listed(as_staff, "/admin/orders")
    assert ids == [orders[n] for n in ("new", "disputed", "failed", "shipped", "old_paid")]
    assert foreign not in ids


@pytest.mark.parametrize("query,expected", [
    ("status=shipped", ["shipped"]),
    ("payment_status=disputed", ["disputed"]),
    ("status=paid&payment_status=paid", ["old_paid"]),
    ("attention=y", ["disputed"]),
    ("q=ada@example.com", ["failed"]),
    ("q=ADA%40example.com", ["failed"]),
    ("q=pi_findme123", ["new"]),
    ("q=nobody@example.com", []),
    ("sort=oldest", ["old_paid", "shipped", "failed", "disputed", "new"]),
    ("sort=total_high", ["shipped", "new", "disputed", "failed", "old_paid"]),
])
def test_filters_search_and_sort(as_staff, orders, query, expected):
    assert listed(as_staff, f"/admin/orders?{query}") == [orders[n] for n in expected]


def test_search_by_order_number(as_staff, orders):
    number = f"{orders['shipped']:06d}"
    assert listed(as_staff, f"/admin/orders?q=%23{number}") == [orders["shipped"]]


def test_date_range(as_staff, orders):
    today = utcnow().date()
    since = (today - timedelta(days=2)).isoformat()
    until = (today - timedelta(days=1)).isoformat()
    assert listed(as_staff, f"/admin/orders?date_from={since}&date_to={until}") == \
        [orders["disputed"], orders["failed"]]


def test_an_inverted_date_range_is_explained(as_staff, orders):
    response = as_staff.get("/admin/orders?date_from=2026-05-02&date_to=2026-05-01")
    assert response.status_code == 400
    assert "The end date is before the start date." in response.get_data(as_text=True)


def test_keyset_pages_walk_forward_and_back_without_gaps(as_staff, store, monkeypatch):
    monkeypatch.setitem(as_staff.application.config, "ADMIN_ORDERS_PER_PAGE", 3)
    product = make_product(store)
    same_time = utcnow() - timedelta(hours=1)
    # Ties on created_at: the id breaks them, so no order is skipped or shown twice.
    created = [make_order(store, product=product, created_at=same_time).id for _ in range(5)]
    created += [make_order(store, product=product).id for _ in range(3)]
    expected = sorted(created, key=lambda i: (i in created[5:], i), reverse=True)
    url, pages = "/admin/orders?sort=newest", []
    while url:
        html = as_staff.get(url).get_data(as_text=True)
        pages.append([int(i) for i in ORDER_LINK.findall(html)])
        url = link(html, "next")
    assert [len(p) for p in pages] == [3, 3, 2]
    assert sum(pages, []) == expected
    back = as_staff.get(link(as_staff.get(f"/admin/orders?sort=newest&after="
                                          f"{_cursor(as_staff)}").get_data(as_text=True),
                             "prev")).get_data(as_text=True)
    assert [int(i) for i in ORDER_LINK.findall(back)] == pages[0]
    assert link(back, "prev") is None


def _cursor(client) -> str:
    html = client.get("/admin/orders?sort=newest").get_data(as_text=True)
    return re.search(r"after=([^&\"]+)", link(html, "next")).group(1)


def test_a_garbled_cursor_shows_the_first_page(as_staff, orders):
    assert listed(as_staff, "/admin/orders?after=nonsense~x")[0] == orders["new"]


def test_csv_export_of_the_filtered_list(as_staff, store, orders):
    formula = make_order(store, email="=HYPERLINK@example.com", payment_status="failed",
                         name="=cmd|' /C calc'!A0")
    formula.ship_region = "US-IL"
    db.session.commit()
    response = as_staff.get("/admin/orders/export.csv?payment_status=failed")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="orders-main-')
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["order"] for r in rows][1:] == [f"{orders['failed']:06d}"]
    assert rows[1]["email"] == "ada@example.com" and rows[1]["total"] == "15.00"
    assert [(r["country"], r["region"], r["shipping_method"]) for r in rows] == [
        ("US", "US-IL", "standard"), ("US", "", "standard")]
    # A cell that a spreadsheet would run as a formula is neutralised.
    assert rows[0]["name"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["email"] == "'=HYPERLINK@example.com"


def test_csv_export_streams_every_order_in_batches(as_staff, store, monkeypatch):
    from shop.services.orders import queries as order_queries

    product = make_product(store)
    ids = [make_order(store, product=product).id for _ in range(7)]
    real = order_queries.export_csv
    monkeypatch.setattr("shop.admin.orders.export_csv",
                        lambda **kw: real(**kw, batch=3))
    body = as_staff.get("/admin/orders/export.csv").get_data(as_text=True)
    numbers = [row["order"] for row in csv.DictReader(io.StringIO(body))]
    assert numbers == [f"{i:06d}" for i in reversed(ids)]


def test_a_page_costs_the_same_queries_for_4_or_40_orders(as_staff, store):
    product = make_product(store, stock=1000)
    for _ in range(4):
        paid_order(store, product=product, attention="Paid, out of stock: x")
    few = len(statements_for(as_staff, "/admin/orders"))
    for _ in range(36):
        paid_order(store, product=product, attention="Paid, out of stock: x")
    many = len(statements_for(as_staff, "/admin/orders"))
    assert len(listed(as_staff, "/admin/orders")) == 40
    assert many == few
