"""How long migration 0017_variants takes on a database with a million orders.

Builds PostgreSQL (``BENCH_DATABASE_URL``, wiped) at revision 0017_receipts (the one before
0017_variants), fills it with ``--products`` products, ``--orders`` orders with one to
two lines each (``generate_series``), a live hold per recent order line, stock adjustments
and cart lines, then runs the upgrade to 0017_variants and reports its wall time and the
rows it gave a variant.

    python -m bench.migration_variants [--orders 1000000] [--products 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import text

from bench import harness
from bench.schema import drop_everything
from shop.extensions import db

BEFORE = "0017_receipts"
FILL = (
    """INSERT INTO stores (id, slug, name, currency, country) VALUES (1, 'main', 'Bench', 'USD',
       'US')""",
    """INSERT INTO products (id, store_id, slug, name, description, price, currency,
       stock_on_hand, active) SELECT p, 1, 'p' || p, 'Product ' || p, '', 1000 + p, 'USD',
       100000, true FROM generate_series(1, :products) AS p""",
    """INSERT INTO orders (id, store_id, token, checkout_token, status, payment_status, email,
       ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, ship_country,
       shipping_method, currency, subtotal, shipping, tax, tax_rate_bp, total, created_at,
       updated_at) SELECT g, 1, 't' || g, 'c' || g, 'delivered', 'paid', 'a@example.com', 'A',
       '1 Main', '', 'Springfield', '62701', 'US', 'standard', 'USD', 2000, 500, 0, 0, 2500,
       :now - g * interval '30 seconds', :now - g * interval '30 seconds'
       FROM generate_series(1, :orders) AS g""",
    """INSERT INTO order_lines (order_id, product_id, name, unit_price, quantity, total)
       SELECT g, 1 + g % :products, 'Product ' || (1 + g % :products), 1000, 1, 1000
       FROM generate_series(1, :orders) AS g""",
    """INSERT INTO order_lines (order_id, product_id, name, unit_price, quantity, total)
       SELECT g, 1 + (g * 7) % :products, 'Product', 1000, 1, 1000
       FROM generate_series(1, :orders, 2) AS g""",
    """INSERT INTO inventory_holds (product_id, order_id, quantity, status, expires_at,
       created_at) SELECT product_id, order_id, quantity, 'converted', :now, :now
       FROM order_lines""",
    """INSERT INTO stock_adjustments (store_id, product_id, delta, stock_after, reason, actor,
       created_at) SELECT 1, 1 + g % :products, 10, 100000, 'received', 'bench', :now
       FROM generate_series(1, 20000) AS g""",
    """INSERT INTO carts (id, store_id, token, created_at, updated_at)
       SELECT g, 1, 'cart' || g, :now, :now FROM generate_series(1, 20000) AS g""",
    """INSERT INTO cart_items (cart_id, product_id, quantity)
       SELECT g, 1 + g % :products, 1 FROM generate_series(1, 20000) AS g""",
)
COUNTED = ("product_variants", "order_lines", "inventory_holds", "stock_adjustments",
           "cart_items")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=2000)
    args = parser.parse_args(argv)
    url = harness.database_url()
    harness.check_database_name(url)
    harness.ensure_database(url)
    app = harness.bench_app(url)
    with app.app_context():
        drop_everything(db.engine)
        upgrade(revision=BEFORE)
        started = time.perf_counter()
        params = {"products": args.products, "orders": args.orders, "now": datetime.now(UTC)}
        with db.engine.begin() as conn:
            for statement in FILL:
                conn.execute(text(statement), params)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        harness.emit("migration_variants", "fill", seconds=round(time.perf_counter() - started,
                                                                 1), orders=args.orders)
        started = time.perf_counter()
        upgrade(revision="0017_variants")
        seconds = round(time.perf_counter() - started, 1)
        with db.engine.connect() as conn:
            counts = {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
                      for table in COUNTED}
            unfilled = {table: conn.execute(text(
                f"SELECT count(*) FROM {table} WHERE variant_id IS NULL")).scalar()  # noqa: S608
                for table in COUNTED[1:]}
        harness.emit("migration_variants", "upgrade", seconds=seconds, rows=counts,
                     unfilled=unfilled)
    return 0 if not any(unfilled.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
