"""Benchmark 3: ``payment_intent.succeeded`` webhooks for distinct pending orders.

    python -m bench.webhook [--orders 1000] [--concurrency 1,8]

The shop runs under gunicorn (4 workers, production settings, PostgreSQL from
``BENCH_DATABASE_URL``, which is wiped) against the loopback Stripe sandbox. Setup places
``--orders`` real orders through the real checkout (shoppers with cookie jars and CSRF
tokens: each order has its holds, its attempt and a PaymentIntent at the sandbox), then pays
every PaymentIntent at the sandbox with a test card, because the handler fetches the intent
from Stripe (an event is only a hint). The sandbox's ``payment_intent.succeeded`` events are
signed as Stripe signs them and each is posted once to ``/webhooks/stripe`` at
``--concurrency``: events per second and the latency until the 2xx. Target: p95 ≤ 20 ms.
Without ``--redis-url`` the receipt each payment asks for runs in-process after the commit,
inside the request (the embedded default); with it, it is enqueued on RQ (production).
Afterwards every order must be paid, its event processed: printed as figures, and the run
fails (exit 1) if not.

The deliveries are sent by ``wrk`` (``bench/wrk_driver.py``), whose own share of a latency is
a fraction of a millisecond; ``--driver httpx`` uses the Python load generator instead. Each
run also prints ``client_floor``: the same driver's latency for ``/healthz``, which does no
work, so that what the client itself adds can be read off.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

from bench import harness, wrk_driver
from bench.shoppers import order_token, prepare_shop, run_shoppers
from bench.webhook_events import confirm_intents, signed_delivery

NAME = "webhook"
TARGET_P95_MS = 20


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.webhook",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--concurrency", default="1,8",
                        help="comma-separated levels; the orders are shared out between them")
    parser.add_argument("--shoppers", type=int, default=16, help="setup only")
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--driver", choices=("wrk", "httpx"),
                        default="wrk" if wrk_driver.available() else "httpx",
                        help="what sends the deliveries (default: wrk when installed)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"),
                        help="jobs (the receipt) go to RQ on this Redis instead of running "
                             "in-process after the commit (default: $BENCH_REDIS_URL, unset)")
    return parser.parse_args(argv)


def place_orders(base: str, slugs: list[str], *, count: int, shoppers: int) -> list[str]:
    """``count`` pending orders through the real checkout; their order tokens."""
    tokens: list[str] = []
    lock = threading.Lock()

    def placed(response, _seconds: float) -> None:
        token = order_token(response)
        if token is None:
            raise RuntimeError(f"checkout answered {response.status_code}")
        with lock:
            tokens.append(token)

    errors = run_shoppers(base, slugs, shoppers=shoppers, until=lambda: len(tokens) < count,
                          on_checkout=placed)
    if errors:
        raise RuntimeError(f"{len(errors)} shopper errors in setup, first: {errors[0]}")
    return tokens[:count]


def outcome(app, tokens: list[str]) -> dict:
    """How many of these orders are paid, and how many events were processed."""
    from shop.extensions import db
    from shop.models import Order, StripeEvent

    with app.app_context():
        paid = db.session.scalar(select(func.count(Order.id)).where(
            Order.token.in_(tokens), Order.payment_status == "paid", Order.status == "paid"))
        events = dict(db.session.execute(select(StripeEvent.outcome, func.count())
                                         .group_by(StripeEvent.outcome)).all())
        db.session.remove()
    return {"orders_paid": paid, "events": events}


def run(args) -> int:
    from shop import create_app
    from tests.services import Sandbox

    url = harness.database_url()
    harness.check_database_name(url)
    slugs = prepare_shop(url, products=args.products)
    app = create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    workdir = Path(tempfile.mkdtemp(prefix="bench-webhook-"))
    sandbox = Sandbox()
    try:
        # REDIS_URL is this run's choice, not whatever the calling shell has.
        env = harness.shop_env(url, sandbox_url=sandbox.url, workdir=workdir,
                               REDIS_URL=args.redis_url)
        with harness.Server("wsgi:app", env=env, workdir=workdir, workers=args.workers) as server:
            started = time.perf_counter()
            tokens = place_orders(server.url, slugs, count=args.orders, shoppers=args.shoppers)
            events = confirm_intents(app, sandbox.url, tokens)
            setup_seconds = time.perf_counter() - started
            levels = harness.concurrency_levels(args.concurrency)
            floor = send(args.driver, server.url, [{"path": "/healthz"}] * 300, 1)
            results = [(level, send(args.driver, server.url,
                                    [signed_delivery(e) for e in events[i::len(levels)]],
                                    level))
                       for i, level in enumerate(levels)]
    finally:
        sandbox.stop()
    harness.emit(NAME, "client_floor", driver=args.driver, path="/healthz", concurrency=1,
                 **harness.summary(floor["latencies_ms"]))
    return report(args, results, outcome(app, tokens), setup_seconds,
                  jobs="rq" if args.redis_url else "in-process")


def send(driver: str, base: str, requests: list[dict], concurrency: int) -> dict:
    """Each request once, ``concurrency`` at a time."""
    if driver == "wrk":
        return wrk_driver.once(base, requests, concurrency=concurrency)
    return harness.load(base, requests, concurrency=concurrency, mode="once", duration=600)


def report(args, results: list[tuple[int, dict]], state: dict, setup_seconds: float, *,
           jobs: str) -> int:
    for concurrency, result in results:
        common = {"orders": args.orders, "concurrency": concurrency, "workers": args.workers,
                  "deliveries": result["requests"], "statuses": result["statuses"],
                  "errors": result["errors"], "jobs": jobs, "driver": args.driver}
        timing = result.get("server_timing_ms", {})
        app_ms = harness.summary(timing.get("app", []))
        harness.emit(NAME, "events_per_second", value=result["rps"], **common)
        latency = harness.summary(result["latencies_ms"])
        meets = latency["p95_ms"] is not None and latency["p95_ms"] <= TARGET_P95_MS
        harness.emit(NAME, "latency", **latency, server_app_p50_ms=app_ms["p50_ms"],
                     server_app_p95_ms=app_ms["p95_ms"],
                     stripe_p50_ms=harness.summary(timing.get("stripe", []))["p50_ms"],
                     target_p95_ms=TARGET_P95_MS, meets_target=meets, **common)
    delivered_ok = sum(result["statuses"].get("200", 0) for _, result in results)
    all_paid = (state["orders_paid"] == args.orders
                and state["events"].get("processed") == args.orders
                and delivered_ok == args.orders
                and all(set(result["statuses"]) == {"200"} for _, result in results))
    harness.emit(NAME, "orders_paid", value=state["orders_paid"], expected=args.orders,
                 event_outcomes=state["events"], setup_seconds=round(setup_seconds, 1),
                 all_paid=all_paid)
    return 0 if all_paid else 1


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
