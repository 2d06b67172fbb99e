"""How long the daily archive job takes over a million eligible orders, and whether the admin
list's default page still reads an index afterwards.

Fills PostgreSQL (``BENCH_DATABASE_URL``, wiped) with ``--orders`` delivered or canceled
orders of one store, all older than 90 days, plus a tenth as many that must stay (paid, not
delivered), using ``generate_series`` as ``bench.admin_orders`` does; then runs
``archive_orders`` (batches of 1 000, one transaction and one audit row each) and times it,
runs it again (nothing left: the idempotent pass), and prints the plans of the admin list's
pages (the first page must use ``ix_orders_store_live_created_id``, the partial index).

    python -m bench.archive [--orders 1000000] [--batch 1000] [--reuse]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from bench import harness
from bench.schema import rebuild_schema
from shop.extensions import db
from shop.models import AuditEvent, Order, Store
from shop.services.orders.archive import archive_orders
from shop.services.orders.queries import SORTS, OrderQuery, _conditions

FILL = """
INSERT INTO orders (store_id, token, checkout_token, status, payment_status, email,
    ship_name, ship_line1, ship_line2, ship_city, ship_postal_code, ship_country,
    shipping_method, currency, subtotal, shipping, tax, tax_rate_bp, total, created_at,
    updated_at, paid_at)
SELECT :store_id, :prefix || g, :prefix || 'c' || g,
    CASE WHEN :keep THEN 'paid' ELSE (ARRAY['delivered','canceled'])[1 + g % 2] END,
    'paid', 'shopper' || (g % 50000) || '@example.com', 'Shopper ' || g, '1 Main Street', '',
    'Springfield', '62701', 'US', 'standard', 'USD', 1000 + g % 9000, 500, 0, 0,
    1500 + g % 9000, :now - interval '100 days' - g * interval '10 seconds',
    :now - interval '100 days' - g * interval '10 seconds',
    :now - interval '100 days' - g * interval '10 seconds'
FROM generate_series(1, :count) AS g
"""


def build(app, count: int) -> None:
    rebuild_schema(app)
    with app.app_context():
        store = Store(slug="main", name="Bench Shop", currency="USD")
        db.session.add(store)
        db.session.commit()
        now = datetime.now(UTC)
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for n, prefix, keep in ((count, "a", False), (count // 10, "k", True)):
                conn.execute(text(FILL), {"store_id": store.id, "count": n, "prefix": prefix,
                                          "keep": keep, "now": now})
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE orders"))
        harness.emit("archive", "fill", seconds=round(time.perf_counter() - started, 1),
                     eligible=count, kept=count // 10)


# The admin list's pages whose plans must stay on an index once most orders are archived.
PAGES = {"first_page": OrderQuery(), "delivered": OrderQuery(status="delivered"),
         "refunded_payment": OrderQuery(payment_status="refunded"),
         "canceled_by_total": OrderQuery(status="canceled", sort="total_high"),
         "include_archived": OrderQuery(include_archived=True)}


def plans(app) -> dict[str, list[str]]:
    """``EXPLAIN ANALYZE`` of each page's statement: its scans and its execution time."""
    found = {}
    with app.app_context():
        store_id = db.session.scalar(select(Store.id).where(Store.slug == "main"))
        db.session.execute(text("ANALYZE orders"))
        for name, query in PAGES.items():
            column, descending = SORTS[query.sort]
            stmt = (select(Order).where(*_conditions(store_id, query))
                    .order_by(column.desc() if descending else column.asc(), Order.id.desc())
                    .limit(51))
            compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
            rows = db.session.execute(text(f"EXPLAIN ANALYZE {compiled}")).scalars()
            found[name] = [row.strip() for row in rows
                           if "Scan" in row or "Execution Time" in row or "Sort" in row]
        db.session.rollback()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args(argv)
    url = harness.database_url()
    harness.check_database_name(url)
    app = harness.bench_app(url)
    if not args.reuse:
        build(app, args.orders)
    with app.app_context():
        started = time.perf_counter()
        run = archive_orders(batch=args.batch)
        seconds = time.perf_counter() - started
        harness.emit("archive", "first_run", seconds=round(seconds, 1), **run.as_dict(),
                     orders_per_second=round(run.archived / seconds) if seconds else None)
        started = time.perf_counter()
        again = archive_orders(batch=args.batch)
        harness.emit("archive", "second_run", seconds=round(time.perf_counter() - started, 2),
                     **again.as_dict())
        audit_rows = db.session.scalar(select(func.count()).select_from(AuditEvent))
        left = db.session.scalar(select(func.count()).select_from(Order).where(
            Order.archived_at.is_(None)))
        db.session.rollback()
    harness.emit("archive", "after", audit_rows=audit_rows, orders_left_live=left)
    found = plans(app)
    for name, lines in found.items():
        harness.emit("archive", f"plan_{name}", plan=lines)
    uses_index = "ix_orders_store_live_created_id" in " ".join(found["first_page"])
    return 0 if uses_index and run.archived == args.orders and again.archived == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
