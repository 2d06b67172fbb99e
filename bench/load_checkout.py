"""Load: a burst of shoppers after the last units of a product, then one signed webhook
delivered many times at once, against the shop under gunicorn.

    python -m bench.load_checkout --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_hardening

The database is wiped and migrated first (its name must contain "test" or "bench"). Starts its
own Stripe sandbox and gunicorn on free loopback ports; every shopper is a real HTTP client
with its own cookie jar and CSRF token. Prints one JSON line per phase and the invariants,
and exits 1 if an invariant does not hold. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
import stripe
from sqlalchemy import create_engine, func, select

from bench import harness
from bench.schema import add_default_variants, drop_everything

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = harness.WEBHOOK_SECRET
METRICS_TOKEN = secrets.token_urlsafe(16)
PRODUCT_SLUG = "last-units"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.load_checkout")
    parser.add_argument("--database-url", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test_hardening"))
    parser.add_argument("--shoppers", type=int, default=50)
    parser.add_argument("--stock", type=int, default=10)
    parser.add_argument("--deliveries", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    return parser.parse_args(argv)


def emit(**fields) -> None:
    print(json.dumps(fields), flush=True)


def percentiles(latencies: list[float]) -> dict:
    if not latencies:
        return {}
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p95_ms": round(p95 * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def prepare_database(url: str, stock: int) -> None:
    """Fresh schema through the migrations, one store, one product with ``stock`` units."""
    from flask_migrate import upgrade

    from shop import create_app
    from shop.extensions import db
    from shop.models import Product, Store

    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        drop_everything(db.engine)
        upgrade()
        store = Store(slug="main", name="Bench", currency="USD")
        db.session.add(store)
        db.session.flush()
        db.session.add(Product(store_id=store.id, slug=PRODUCT_SLUG, name="Last Units",
                               price=2500, currency="USD", stock_on_hand=stock,
                               description="Few left"))
        db.session.commit()
        with db.engine.begin() as conn:
            add_default_variants(conn)
        db.session.remove()
        db.engine.dispose()


def start_server(*, database_url: str, sandbox_url: str, workers: int,
                 workdir: Path) -> harness.Server:
    env = harness.shop_env(database_url, sandbox_url=sandbox_url, workdir=workdir,
                           METRICS_TOKEN=METRICS_TOKEN,
                           PROMETHEUS_MULTIPROC_DIR=str(workdir / "metrics"))
    env.pop("REDIS_URL", None)  # receipts run in-process, so the bench can count them
    return harness.Server("wsgi:app", env=env, workdir=workdir, workers=workers,
                          ready_path="/readyz", name="gunicorn")


def _token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]+)"', html)
    if not match:
        raise RuntimeError(f"no {name} in the page")
    return match.group(1)


ADDRESS = {"email": "load@example.com", "name": "Load Test", "line1": "1 Bench St",
           "line2": "", "city": "Springfield", "postal_code": "62701", "country": "US",
           "region": "US-IL",
           "shipping_method": "standard"}


def checkout_burst(base: str, shoppers: int) -> list[dict]:
    barrier = threading.Barrier(shoppers)
    results: list[dict] = [{} for _ in range(shoppers)]

    def shopper(i: int) -> None:
        http = requests.Session()
        try:
            page = http.get(f"{base}/products/{PRODUCT_SLUG}", timeout=30).text
            added = http.post(f"{base}/cart/add", allow_redirects=False, timeout=30, data={
                "csrf_token": _token(page, "csrf_token"), "product_id": _token(
                    page, "product_id"), "quantity": 1})
            form = http.get(f"{base}/checkout", timeout=30).text
            data = {"csrf_token": _token(form, "csrf_token"),
                    "checkout_token": _token(form, "checkout_token"), **ADDRESS}
            assert added.status_code == 303, added.status_code
        except Exception as exc:  # reported as an error of this shopper
            results[i] = {"status": "setup_error", "error": repr(exc)}
            barrier.abort()
            return
        barrier.wait()
        started = time.perf_counter()
        response = http.post(f"{base}/checkout", data=data, allow_redirects=False, timeout=60)
        results[i] = {"status": response.status_code, "seconds": time.perf_counter() - started,
                      "location": response.headers.get("Location", ""),
                      "sold_out": "sold out" in response.text}

    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results


def sign(payload: bytes) -> str:
    import hashlib
    import hmac

    timestamp = int(time.time())
    digest = hmac.new(WEBHOOK_SECRET.encode(), f"{timestamp}.".encode() + payload,
                      hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def pay_and_get_event(sandbox_url: str, intent_id: str) -> dict:
    client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": sandbox_url})
    method = client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4242424242424242", "exp_month": 12,
                                 "exp_year": 2034, "cvc": "123"}})
    client.v1.payment_intents.confirm(intent_id, params={"payment_method": method.id,
                                                         "return_url": "http://x/"})
    events = client.v1.events.list(params={"type": "payment_intent.succeeded", "limit": 100})
    return next(e.to_dict() for e in events.data if e.data.object.id == intent_id)


def webhook_burst(base: str, event: dict, deliveries: int) -> list[dict]:
    payload = json.dumps(event).encode()
    barrier = threading.Barrier(deliveries)
    results: list[dict] = [{} for _ in range(deliveries)]

    def deliver(i: int) -> None:
        headers = {"Stripe-Signature": sign(payload), "Content-Type": "application/json"}
        barrier.wait()
        started = time.perf_counter()
        response = requests.post(f"{base}/webhooks/stripe", data=payload, headers=headers,
                                 timeout=60)
        body = response.json() if response.headers.get("Content-Type", "").startswith(
            "application/json") else {}
        results[i] = {"status": response.status_code, "seconds": time.perf_counter() - started,
                      "outcome": body.get("outcome")}

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(deliveries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return results


def stored_state(database_url: str, order_token: str, event_id: str) -> dict:
    from shop.models import (
        AuditEvent,
        InventoryHold,
        Order,
        PaymentAttempt,
        Product,
        SentEmail,
        StripeEvent,
    )

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            def one(query):
                return conn.execute(query).scalar()

            paid_order = conn.execute(select(Order.id, Order.payment_status, Order.status)
                                      .where(Order.token == order_token)).one()
            return {
                "orders": one(select(func.count(Order.id))),
                "distinct_carts": one(select(func.count(func.distinct(Order.cart_id)))),
                "attempts": one(select(func.count(PaymentAttempt.id))),
                "distinct_intents": one(select(func.count(func.distinct(
                    PaymentAttempt.provider_reference)))),
                "active_held": one(select(func.coalesce(func.sum(InventoryHold.quantity), 0))
                                   .where(InventoryHold.status == "active")) or 0,
                "converted_holds": one(select(func.count(InventoryHold.id)).where(
                    InventoryHold.status == "converted")),
                "stock_on_hand": one(select(Product.stock_on_hand)),
                "paid_order_status": [paid_order.status, paid_order.payment_status],
                "event_rows": one(select(func.count(StripeEvent.id)).where(
                    StripeEvent.id == event_id)),
                "captured_audits": one(select(func.count(AuditEvent.id)).where(
                    AuditEvent.to_state == "captured")),
                "receipts": one(select(func.count(SentEmail.id)).where(
                    SentEmail.order_id == paid_order.id, SentEmail.kind == "receipt")),
            }
    finally:
        engine.dispose()


def scraped(base: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"{base}/metrics", timeout=10,
                        headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).text
    totals: Counter = Counter()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "shop_checkout_duration_seconds_count":
                totals["checkouts"] += sample.value
            if sample.name == "shop_webhook_events_total" and \
                    sample.labels.get("type") == "payment_intent.succeeded":
                totals["webhooks"] += sample.value
    return dict(totals)


def run(args) -> bool:
    from tests.services import Sandbox

    harness.check_database_name(args.database_url)
    prepare_database(args.database_url, args.stock)
    sandbox = Sandbox()
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    server = None
    try:
        server = start_server(database_url=args.database_url, sandbox_url=sandbox.url,
                          workers=args.workers, workdir=workdir)
        checkouts = checkout_burst(server.url, args.shoppers)
        statuses = Counter(str(r.get("status")) for r in checkouts)
        placed = [r for r in checkouts if r.get("status") == 303]
        sold_out = [r for r in checkouts if r.get("status") == 409 and r.get("sold_out")]
        errors = [r for r in checkouts if r not in placed and r not in sold_out]
        emit(phase="checkout", shoppers=args.shoppers, stock=args.stock,
             workers=args.workers, requests=len(checkouts), successes=len(placed),
             sold_out=len(sold_out), errors=len(errors), statuses=dict(statuses),
             **percentiles([r["seconds"] for r in checkouts if "seconds" in r]))
        tokens = [re.search(r"/orders/([^/?]+)", r["location"]).group(1) for r in placed]
        if not tokens:
            emit(phase="invariants", ok=False, reason="no checkout succeeded")
            return False

        engine = create_engine(args.database_url)
        with engine.connect() as conn:
            from shop.models import Order, PaymentAttempt

            intent_id = conn.execute(select(PaymentAttempt.provider_reference).join(
                Order, Order.id == PaymentAttempt.order_id).where(
                Order.token == tokens[0])).scalar()
        engine.dispose()
        event = pay_and_get_event(sandbox.url, intent_id)
        deliveries = webhook_burst(server.url, event, args.deliveries)
        outcomes = Counter(str(r.get("outcome")) for r in deliveries)
        emit(phase="webhook", requests=len(deliveries),
             successes=sum(r.get("status") == 200 for r in deliveries),
             errors=sum(r.get("status") != 200 for r in deliveries),
             outcomes=dict(outcomes), **percentiles([r["seconds"] for r in deliveries
                                                     if "seconds" in r]))

        state = stored_state(args.database_url, tokens[0], event["id"])
        metrics = scraped(server.url)
        expected = min(args.stock, args.shoppers)
        checks = {
            "exactly_stock_orders_hold_stock": len(placed) == expected == state["orders"],
            "others_cleanly_sold_out": len(sold_out) == args.shoppers - expected,
            "no_5xx_or_other_errors": not errors,
            "no_duplicate_orders": state["orders"] == state["distinct_carts"]
            == len(set(tokens)),
            "one_intent_per_order": state["attempts"] == state["distinct_intents"]
            == state["orders"],
            "stock_and_holds_consistent": state["stock_on_hand"] == args.stock - 1
            and state["active_held"] == expected - 1 and state["converted_holds"] == 1,
            "webhook_all_acknowledged": all(r.get("status") == 200 for r in deliveries),
            "webhook_one_effect": outcomes.get("processed") == 1
            and outcomes.get("duplicate") == args.deliveries - 1
            and state["event_rows"] == 1 and state["captured_audits"] == 1
            and state["paid_order_status"] == ["paid", "paid"],
            "one_receipt": state["receipts"] == 1
            and len(list((workdir / "mail").glob("*"))) == 1,
            "metrics_summed_across_workers": metrics.get("checkouts") == args.shoppers
            and metrics.get("webhooks") == args.deliveries,
        }
        ok = all(checks.values())
        emit(phase="invariants", ok=ok, checks=checks, state=state, metrics=metrics)
        return ok
    finally:
        if server is not None:
            server.stop()
        sandbox.stop()


def main(argv=None) -> int:
    return 0 if run(parse_args(argv)) else 1


if __name__ == "__main__":
    sys.exit(main())
