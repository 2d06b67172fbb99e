"""How long the every-minute job takes to release 100 000 lapsed stock holds.

Fills PostgreSQL (``BENCH_DATABASE_URL``, wiped) with orders holding 1 to 4 lapsed holds
each (100 000 holds by default), a share of them with a PaymentIntent, plus paid orders and
orders still partly held that must be left alone, then times ``expire_holds`` (the periodic
job) once. Target: ≤ 10 s. Jobs go to Redis (``BENCH_REDIS_URL``), as in production; the
queue is emptied afterwards (no worker runs them here: Stripe cancellations are not timed).

    python -m bench.hold_expiry [--holds 100000] [--intent-share 0.1] [--reuse]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta

from sqlalchemy import func, select, text

from bench import harness
from bench.schema import rebuild_schema

TARGET_SECONDS = 10

# Order g holds 1 + g % 4 lapsed units (2.5 on average); every 1/share-th has an intent.
FILL = [
    """INSERT INTO stores (slug, name, currency) VALUES ('main', 'Bench Shop', 'USD')""",
    """INSERT INTO products (store_id, slug, name, description, price, currency,
           stock_on_hand, active)
       SELECT 1, 'p' || p, 'Product ' || p, '', 1000, 'USD', 1000000, true
       FROM generate_series(1, 50) AS p""",
    """INSERT INTO product_variants (id, store_id, product_id, sku, name, price,
           stock_on_hand, position, active)
       SELECT id, store_id, id, slug, '', price, stock_on_hand, 0, true FROM products""",
    """INSERT INTO orders (store_id, token, checkout_token, status, payment_status, email,
           ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, ship_country,
           shipping_method, currency, subtotal, shipping, tax, tax_rate_bp, total,
           created_at, updated_at)
       SELECT 1, 't' || g, 'c' || g, 'pending', 'unpaid', 'shopper' || g || '@example.com',
           'Shopper', '1 Main Street', '', 'Springfield', '62701', 'US', 'standard', 'USD',
           1000, 0, 0, 0, 1000, :lapsed, :lapsed
       FROM generate_series(1, :orders) AS g""",
    """INSERT INTO inventory_holds (product_id, variant_id, order_id, quantity, status,
           expires_at, created_at)
       SELECT 1 + (o.id + k) % 50, 1 + (o.id + k) % 50, o.id, 1, 'active', :lapsed, :lapsed
       FROM orders o CROSS JOIN generate_series(0, 3) AS k WHERE k <= o.id % 4""",
    """INSERT INTO payment_attempts (store_id, order_id, provider, provider_reference,
           status, amount, currency, idempotency_key, attempt_count, capture_method,
           created_at, updated_at)
       SELECT 1, id, 'stripe', 'pi_bench_' || id, 'initiated', 1000, 'USD', 'bench-' || id,
           0, 'automatic', :lapsed, :lapsed
       FROM orders WHERE id % :every = 0""",
]


def build(app, holds: int, intent_share: float) -> None:
    from shop.extensions import db
    from shop.models.types import utcnow

    rebuild_schema(app)
    orders = max(1, round(holds / 2.5))
    lapsed = utcnow() - timedelta(minutes=5)
    started = time.perf_counter()
    with app.app_context(), db.engine.begin() as conn:
        for statement in FILL:
            conn.execute(text(statement), {"orders": orders, "lapsed": lapsed,
                                           "every": max(1, round(1 / intent_share))
                                           if intent_share else orders + 1})
        # Orders the job must leave alone: paid ones, and ones with a fresh hold too.
        conn.execute(text("UPDATE orders SET status = 'paid', payment_status = 'paid', "
                          "paid_at = created_at WHERE id % 97 = 0"))
        conn.execute(text(
            "INSERT INTO inventory_holds (product_id, variant_id, order_id, quantity, status, "
            "expires_at, created_at) SELECT 1, 1, id, 1, 'active', :fresh, :lapsed FROM orders "
            "WHERE id % 101 = 0"), {"fresh": lapsed + timedelta(hours=1), "lapsed": lapsed})
    with app.app_context(), db.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    harness.emit("hold_expiry", "fill", orders=orders, seconds=round(
        time.perf_counter() - started, 1))


def counts(app) -> dict:
    from shop.extensions import db
    from shop.models import InventoryHold

    with app.app_context():
        rows = db.session.execute(select(InventoryHold.status, func.count())
                                  .group_by(InventoryHold.status)).all()
        return {status: n for status, n in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--holds", type=int, default=100_000)
    parser.add_argument("--intent-share", type=float, default=0.1,
                        help="share of orders with a PaymentIntent (handed to a job)")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's data")
    args = parser.parse_args(argv)
    url = harness.database_url()
    harness.check_database_name(url)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")

    from redis import Redis
    from rq import Queue

    from shop import create_app
    from shop.services.inventory.expiry import expire_lapsed_orders

    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench", "REDIS_URL": redis_url})
    if not args.reuse:
        build(app, args.holds, args.intent_share)
    before = counts(app)
    with app.app_context():
        started = time.perf_counter()
        report = expire_lapsed_orders(batch=args.batch)
        seconds = time.perf_counter() - started
    after = counts(app)
    Queue("default", connection=Redis.from_url(redis_url)).empty()
    harness.emit("hold_expiry", "release", seconds=round(seconds, 2), **report.as_dict(),
                 active_holds_before=before.get("active", 0),
                 active_holds_after=after.get("active", 0), batch=args.batch,
                 holds_per_second=round(report.holds_released / seconds) if seconds else None,
                 target_seconds=TARGET_SECONDS, meets_target=seconds <= TARGET_SECONDS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
