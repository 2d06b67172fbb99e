"""How fast the admin's orders list answers with a million orders.

Fills PostgreSQL with 1 000 000 orders of one store (plus 100 000 of another, so the store
filter does real work) using ``generate_series``, then times full page requests through the
Flask test client, signed in as the owner, and prints one JSON line per case with p50/p95 in
milliseconds. The target is p95 ≤ 100 ms.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_admin \\
        .venv/bin/python bench/admin_orders.py [--orders 1000000] [--runs 50] [--reuse]

It DROPS every table of that database first (refusing names that do not start with
``test`` or ``bench``); ``--reuse`` keeps data filled by an earlier run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.schema import drop_everything  # noqa: E402
from shop import create_app  # noqa: E402
from shop.extensions import db  # noqa: E402
from shop.models import Order, Role, Store  # noqa: E402

PASSWORD = "bench password 123"  # noqa: S105 - a throwaway account in a throwaway database
ORDER_LINK = re.compile(r'href="/admin/orders/\d+"')

FILL = """
INSERT INTO orders (store_id, token, checkout_token, status, payment_status, email,
    ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, ship_country,
    shipping_method, currency, subtotal, shipping, tax, tax_rate_bp, total, created_at,
    updated_at, paid_at)
SELECT :store_id, :prefix || g, :prefix || 'c' || g,
    (ARRAY['pending','paid','fulfilling','shipped','delivered','canceled'])[1 + g % 6],
    (ARRAY['unpaid','paid','paid','paid','paid','failed'])[1 + g % 6],
    'shopper' || (g % :shoppers) || '@example.com', 'Shopper ' || g, '1 Main Street', '',
    'Springfield', '62701', 'US', 'standard', 'USD', 1000 + g % 9000, 500, 0, 0,
    1500 + g % 9000, :now - g * interval '30 seconds', :now - g * interval '30 seconds',
    CASE WHEN g % 6 IN (1, 2, 3, 4) THEN :now - g * interval '30 seconds' END
FROM generate_series(1, :count) AS g
"""


def build(app, count: int) -> None:
    from flask_migrate import upgrade

    from shop.services.accounts import create_user, grant_role

    with app.app_context():
        drop_everything(db.engine)
        upgrade()
        main = Store(slug="main", name="Bench Shop", currency="USD")
        other = Store(slug="other", name="Other Shop", currency="USD")
        db.session.add_all([main, other])
        db.session.commit()
        user = create_user(email="owner@bench.example", password=PASSWORD)
        grant_role(user_id=user.id, store_id=main.id, role=Role.OWNER)
        now = datetime.now(UTC)
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for store, n, prefix in ((main, count, "m"), (other, count // 10, "o")):
                conn.execute(text(FILL), {"store_id": store.id, "count": n, "prefix": prefix,
                                          "shoppers": 50_000, "now": now})
        # Set the visibility map and hint bits now, as autovacuum would soon after a load.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE orders"))
        log({"fill_seconds": round(time.perf_counter() - started, 1), "orders": count,
             "other_store_orders": count // 10})


def log(record: dict) -> None:
    print(json.dumps(record), flush=True)


def sign_in(app):
    client = app.test_client()
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/account/login", data={
        "csrf_token": token, "email": "owner@bench.example", "password": PASSWORD})
    assert response.status_code == 303, response.status_code
    return client


def cases(app) -> dict[str, str]:
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "main"))
        total = db.session.scalar(select(func.count(Order.id)).where(
            Order.store_id == store_id))
        deep = db.session.execute(
            select(Order.created_at, Order.id).where(Order.store_id == store_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .offset(max(0, total - 100)).limit(1)).one()
        newest = db.session.scalar(select(func.max(Order.created_at)))
    until = (newest - timedelta(days=30)).date()
    since = until - timedelta(days=30)
    return {
        "first_page": "/admin/orders",
        "filtered_page": f"/admin/orders?status=shipped&date_from={since}&date_to={until}",
        "payment_filter_by_total": "/admin/orders?payment_status=failed&sort=total_high",
        "search_by_email": "/admin/orders?q=shopper4242%40example.com",
        "search_by_number": f"/admin/orders?q={deep.id}",
        "deep_page": f"/admin/orders?after={deep.created_at.isoformat()}~{deep.id}"
                     .replace("+", "%2B"),
    }


def percentiles(timings: list[float], prefix: str) -> dict:
    timings = sorted(timings)
    return {f"{prefix}p50_ms": round(statistics.median(timings), 2),
            f"{prefix}p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 2)}


def measure_page(client, url: str, runs: int) -> dict:
    """The whole request: session, access check, query, template."""
    for _ in range(3):
        assert client.get(url).status_code == 200
    timings, rows = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        rows = len(ORDER_LINK.findall(response.get_data(as_text=True)))
    return {**percentiles(timings, ""), "rows": rows}


def measure_query(app, url: str, runs: int) -> dict:
    """``services.order_queries.list_orders`` alone, with the filters the page parses."""
    from werkzeug.datastructures import MultiDict

    from shop.admin.forms.orders import OrderFilterForm
    from shop.services.order_queries import list_orders

    with app.test_request_context(url):
        from flask import request

        form = OrderFilterForm(MultiDict(request.args))
        assert form.validate(), form.errors
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "main"))
        timings = []
        for _ in range(runs + 3):
            started = time.perf_counter()
            list_orders(store_id=store_id, query=form.query(), after=request.args.get("after"),
                        per_page=50)
            timings.append((time.perf_counter() - started) * 1000)
            db.session.rollback()
    return percentiles(timings[3:], "query_")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's data")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url or make_url(url).get_backend_name() != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it will be emptied).")
    if not (make_url(url).database or "").startswith(("test", "bench")):
        sys.exit("Refusing to empty a database whose name does not start with test/bench.")
    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False})
    if not args.reuse:
        build(app, args.orders)
    client = sign_in(app)
    # The machine's load goes in every line: on a shared box it explains most of the spread.
    for name, path in cases(app).items():
        log({"case": name, "url": path, **measure_page(client, path, args.runs),
             **measure_query(app, path, args.runs),
             "load_avg_1m": round(os.getloadavg()[0], 1)})


if __name__ == "__main__":
    main()
