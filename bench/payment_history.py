"""How fast a shopper with 1 000 orders sees their payment history (``/account/payments``).

Fills PostgreSQL (``BENCH_DATABASE_URL``, wiped) as ``bench.order_history`` does (1 000
orders of one shopper among 200 000 of others, each with a captured payment attempt), then
gives every order its receipt (a card), every refunded order (one in six) its refund row,
and each attempt and refund its payment history entry. Serves the shop under gunicorn and
drives the first page, a later page, a status filter and a date range with the load
generator. Target: p95 ≤ 100 ms each.

    python -m bench.payment_history [--orders 1000] [--others 200000] [--reuse]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta

from sqlalchemy import text

from bench import harness, order_history

TARGET_P95_MS = 100

RECEIPTS = """
INSERT INTO receipts (store_id, order_id, kind, number, currency, amount, issued_at,
    snapshot, payment_method)
SELECT store_id, id, 'receipt', row_number() OVER (PARTITION BY store_id ORDER BY id),
    currency, total, created_at, '{}'::json,
    '{"type": "card", "brand": "visa", "last4": "4242"}'::json
FROM orders WHERE paid_at IS NOT NULL
"""
REFUNDS = """
INSERT INTO payment_transactions (store_id, attempt_id, kind, status, amount, currency, actor,
    created_at, updated_at)
SELECT a.store_id, a.id, 'refund', 'succeeded', a.amount, a.currency, 'bench',
    a.created_at + interval '1 day', a.created_at + interval '1 day'
FROM payment_attempts a JOIN orders o ON o.id = a.order_id
WHERE o.payment_status = 'refunded'
"""

# The history's read model for the rows above, as migration 0018_payment_history fills it.
ENTRIES = """
INSERT INTO payment_history (store_id, user_id, order_id, attempt_id, transaction_id, at)
SELECT a.store_id, o.user_id, a.order_id, a.id, NULL, a.created_at
FROM payment_attempts a JOIN orders o ON o.id = a.order_id
UNION ALL
SELECT t.store_id, o.user_id, a.order_id, a.id, t.id, t.created_at
FROM payment_transactions t JOIN payment_attempts a ON a.id = t.attempt_id
JOIN orders o ON o.id = a.order_id WHERE t.kind = 'refund'
"""


def build(app, mine: int, others: int) -> None:
    from shop.extensions import db

    order_history.build(app, mine, others)
    started = time.perf_counter()
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text(RECEIPTS))
            conn.execute(text(REFUNDS))
            conn.execute(text(ENTRIES))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    harness.emit("payment_history", "fill", receipts_and_refunds_seconds=round(
        time.perf_counter() - started, 1))


def cases() -> dict[str, str]:
    from shop.models.types import utcnow

    today = utcnow().date()
    since = (today - timedelta(days=2)).isoformat()
    return {"payments_first_page": "/account/payments",
            "payments_page_10": "/account/payments?page=10",
            "payments_refunded": "/account/payments?status=refunded",
            "payments_date_range": f"/account/payments?date_from={since}"
                                   f"&date_to={today.isoformat()}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--others", type=int, default=200_000)
    harness.page_arguments(parser)
    args = parser.parse_args(argv)
    url = harness.database_url()
    harness.check_database_name(url)
    harness.ensure_database(url)
    app = harness.bench_app(url)
    if not args.reuse:
        build(app, args.orders, args.others)
    harness.measure_signed_in_pages(url, cases(), email=order_history.EMAIL,
                                    password=order_history.PASSWORD,
                                    concurrency=args.concurrency, benchmark="payment_history",
                                    duration=args.duration, target_p95_ms=TARGET_P95_MS,
                                    orders=args.orders)
    return 0


if __name__ == "__main__":
    sys.exit(main())
