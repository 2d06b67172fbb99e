"""How long the payments API takes to list a busy store's payments (SQLite or DATABASE_URL).

    SHOP_ENV=testing .venv/bin/python -m bench.payments_api [N]

The database is emptied first: point DATABASE_URL at a scratch database only. Seeds N
attempts (each with an AUTH and a CAPTURE row) and prints the median time of a page of 20
with its true total, of a search, and of summarizing one attempt's ledger.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

from flask_migrate import upgrade

from bench.schema import drop_everything
from shop import create_app
from shop.domain.ledger import summarize
from shop.extensions import db
from shop.models import Order, PaymentAttempt, PaymentTransaction, Store
from shop.services.accounts.api_keys import create_api_key


def seed(n: int) -> Store:
    store = Store(slug="bench", name="Bench", currency="USD")
    db.session.add(store)
    db.session.flush()
    for i in range(n):
        order = Order(store_id=store.id, token=f"t{i}", checkout_token=f"c{i}",
                      email=f"buyer{i}@example.com", ship_name="A", ship_line1="1",
                      ship_city="X", ship_postal_code="1", ship_country="US",
                      shipping_method="standard", currency="USD", subtotal=1000, shipping=0,
                      tax=0, total=1000, status="paid", payment_status="paid")
        db.session.add(order)
        db.session.flush()
        attempt = PaymentAttempt(store_id=store.id, order_id=order.id, status="captured",
                                 amount=1000, currency="USD", idempotency_key=f"k{i}",
                                 provider_reference=f"pi_bench{i}")
        db.session.add(attempt)
        db.session.flush()
        for kind in ("auth", "capture"):
            db.session.add(PaymentTransaction(
                store_id=store.id, attempt_id=attempt.id, kind=kind, status="succeeded",
                amount=1000, currency="USD", actor="bench", provider_reference=f"ch_{i}"))
    db.session.commit()
    return store


def median_ms(action, runs: int = 30) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        drop_everything(db.engine)
        upgrade()
        store = seed(n)
        _key, token = create_api_key(store_id=store.id, name="bench")
        attempt_id = db.session.scalar(db.select(PaymentAttempt.id).limit(1))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    def page():
        body = client.get("/api/payments?per_page=20", headers=headers).get_json()
        assert body["total"] == n

    def search():
        client.get("/api/payments?q=buyer1999@", headers=headers).get_json()

    with app.app_context():
        rows = list(db.session.scalars(db.select(PaymentTransaction)
                                       .where(PaymentTransaction.attempt_id == attempt_id)))
        ledger = median_ms(lambda: summarize(rows), runs=1000)
    print(f"{n} attempts on {url.split(':')[0]}")
    print(f"GET /api/payments page of 20 + total: {median_ms(page):.1f} ms (median)")
    print(f"GET /api/payments?q=e-mail:           {median_ms(search):.1f} ms (median)")
    print(f"summarize one attempt's ledger:      {ledger * 1000:.1f} µs (median)")


if __name__ == "__main__":
    main()
