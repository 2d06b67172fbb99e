"""How fast the admin's orders list answers with a million orders.

Fills PostgreSQL (``BENCH_DATABASE_URL``, wiped) with 1 000 000 orders of one store (plus
100 000 of another, so the store filter does real work) using ``generate_series``, serves the
shop under gunicorn (4 workers, production settings), logs in as the owner over HTTP and
drives each page with the load generator (concurrency 4): the first page, a filtered page
(fulfilment + payment status + date range), a payment filter sorted by total, a search by
e-mail and by number, and a deep keyset page. Target: p95 ≤ 100 ms each.

    python -m bench.admin_orders [--orders 1000000] [--duration 4] [--reuse]

``--reuse`` keeps the data filled by an earlier run.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from bench import harness
from bench.schema import rebuild_schema
from shop.extensions import db
from shop.models import Order, Role, Store

PASSWORD = "bench password 123"  # noqa: S105 - a throwaway account in a throwaway database
EMAIL = "owner@bench.example"
TARGET_P95_MS = 100

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
    from shop.services.accounts.users import create_user, grant_role

    rebuild_schema(app)
    with app.app_context():
        main = Store(slug="main", name="Bench Shop", currency="USD")
        other = Store(slug="other", name="Other Shop", currency="USD")
        db.session.add_all([main, other])
        db.session.commit()
        user = create_user(email=EMAIL, password=PASSWORD)
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
        harness.emit("admin_orders", "fill", seconds=round(time.perf_counter() - started, 1),
                     orders=count, other_store_orders=count // 10)


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
        "filtered_page": f"/admin/orders?status=shipped&payment_status=paid"
                         f"&date_from={since}&date_to={until}",
        "payment_filter_by_total": "/admin/orders?payment_status=failed&sort=total_high",
        "search_by_email": "/admin/orders?q=shopper4242%40example.com",
        "search_by_number": f"/admin/orders?q={deep.id}",
        "deep_page": f"/admin/orders?after={deep.created_at.isoformat()}~{deep.id}"
                     .replace("+", "%2B"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    harness.page_arguments(parser)
    args = parser.parse_args(argv)
    url = harness.database_url()
    harness.check_database_name(url)
    app = harness.bench_app(url)
    if not args.reuse:
        build(app, args.orders)
    harness.measure_signed_in_pages(url, cases(app), email=EMAIL, password=PASSWORD,
                                    concurrency=args.concurrency, benchmark="admin_orders",
                                    duration=args.duration, target_p95_ms=TARGET_P95_MS,
                                    orders=args.orders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
