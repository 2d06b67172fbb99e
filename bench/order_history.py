"""How fast a shopper with 1 000 orders sees their history and one order.

Fills PostgreSQL (``BENCH_DATABASE_URL``, wiped) with 1 000 orders of one shopper (each with
two lines and a payment attempt) among 200 000 orders of other shoppers, serves the shop
under gunicorn (4 workers, production settings), logs the shopper in over HTTP and drives
``/account/orders`` (first page, a later page, a status filter) and one order's page with the
load generator. Target: p95 ≤ 100 ms each.

    python -m bench.order_history [--orders 1000] [--others 200000] [--reuse]
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import select, text

from bench import harness
from bench.schema import add_default_variants, rebuild_schema

TARGET_P95_MS = 100
PASSWORD = "bench password 123"  # noqa: S105 - a throwaway account in a throwaway database
EMAIL = "shopper@bench.example"  # a shopper, not staff

ORDERS = """
INSERT INTO orders (store_id, user_id, token, checkout_token, status, payment_status, email,
    ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, ship_country,
    shipping_method, currency, subtotal, shipping, tax, tax_rate_bp, total, created_at,
    updated_at, paid_at)
SELECT :store_id, CASE WHEN g <= :mine THEN :user_id END, :prefix || g, :prefix || 'c' || g,
    (ARRAY['paid','fulfilling','shipped','delivered','canceled','delivered'])[1 + g % 6],
    (ARRAY['paid','paid','paid','paid','refunded','paid'])[1 + g % 6],
    'shopper' || g || '@example.com', 'Shopper', '1 Main Street', '', 'Springfield', '62701',
    'US', 'standard', 'USD', 2000, 500, 0, 0, 2500, :now - g * interval '7 minutes',
    :now - g * interval '7 minutes', :now - g * interval '7 minutes'
FROM generate_series(1, :count) AS g
"""
LINES = """
INSERT INTO order_lines (order_id, product_id, variant_id, name, unit_price, quantity, total)
SELECT o.id, 1 + k, 1 + k, 'Product ' || k, 1000, 1, 1000
FROM orders o CROSS JOIN generate_series(0, 1) AS k WHERE o.user_id = :user_id
"""
ATTEMPTS = """
INSERT INTO payment_attempts (store_id, order_id, provider, provider_reference, status, amount,
    currency, idempotency_key, attempt_count, capture_method, created_at, updated_at)
SELECT store_id, id, 'stripe', 'pi_bench_' || id, 'captured', total, 'USD', 'bench-' || id, 0,
    'automatic', created_at, created_at FROM orders
"""


def build(app, mine: int, others: int) -> None:
    from shop.extensions import db
    from shop.models import Product, Store
    from shop.models.types import utcnow
    from shop.services.accounts.users import create_user

    rebuild_schema(app)
    started = time.perf_counter()
    with app.app_context():
        store = Store(slug="main", name="Bench Shop", currency="USD")
        db.session.add(store)
        db.session.flush()
        db.session.add_all([Product(store_id=store.id, slug=f"p{n}", name=f"Product {n}",
                                    price=1000, currency="USD", stock_on_hand=100)
                            for n in range(2)])
        db.session.commit()
        user = create_user(email=EMAIL, password=PASSWORD)
        params = {"store_id": store.id, "user_id": user.id, "now": utcnow(), "mine": mine}
        with db.engine.begin() as conn:
            add_default_variants(conn)
            conn.execute(text(ORDERS), {**params, "count": mine, "prefix": "m"})
            conn.execute(text(ORDERS), {**params, "count": others, "prefix": "o", "mine": 0})
            conn.execute(text(LINES), params)
            conn.execute(text(ATTEMPTS))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    harness.emit("order_history", "fill", orders=mine, other_orders=others,
                 seconds=round(time.perf_counter() - started, 1))


def cases(app) -> dict[str, str]:
    from shop.extensions import db
    from shop.models import Order, User

    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == EMAIL))
        middle = db.session.scalar(select(Order.id).where(Order.user_id == user_id)
                                   .order_by(Order.id).offset(500).limit(1))
    return {"history_first_page": "/account/orders",
            "history_page_10": "/account/orders?page=10",
            "history_status_filter": "/account/orders?status=shipped",
            "order_detail": f"/account/orders/{middle}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--others", type=int, default=200_000)
    harness.page_arguments(parser)
    args = parser.parse_args(argv)
    url = harness.database_url()
    harness.check_database_name(url)
    app = harness.bench_app(url)
    if not args.reuse:
        build(app, args.orders, args.others)
    harness.measure_signed_in_pages(url, cases(app), email=EMAIL, password=PASSWORD,
                                    concurrency=args.concurrency, benchmark="order_history",
                                    duration=args.duration, target_p95_ms=TARGET_P95_MS,
                                    orders=args.orders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
