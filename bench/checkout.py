"""Benchmark 2: ``POST /checkout`` under 20 concurrent shoppers.

    python -m bench.checkout [--shoppers 20] [--duration 40] [--warmup 5]

The shop runs under gunicorn (4 workers, production settings, PostgreSQL from
``BENCH_DATABASE_URL``, which is wiped) against the loopback Stripe sandbox. Each shopper
is a real HTTP client with its own cookie jar: it adds a product to a fresh cart (with the
page's CSRF token), opens ``/checkout`` and posts the form, which prices the cart, places
the holds, creates the order and its attempt and a PaymentIntent at the sandbox. Only the
POST is timed: checkouts per second, full latency, and from ``Server-Timing`` the shop's own
overhead (app − stripe) and the worker's CPU time for the POST (overhead ÷ CPU is how long
the request waited for a core or the database). Target: overhead p95 ≤ 30 ms.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from bench import harness
from bench.loadgen import server_timing
from bench.shoppers import order_token, prepare_shop, run_shoppers

NAME = "checkout"
TARGET_OVERHEAD_P95_MS = 30


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.checkout",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=40, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=5, help="seconds not counted")
    parser.add_argument("--products", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    return parser.parse_args(argv)


class Recorder:
    """The POSTs that ended after the warm-up, with their statuses and Server-Timing."""

    def __init__(self, measure_from: float):
        self.measure_from = measure_from
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.latencies_ms: list[float] = []
        self.overhead_ms: list[float] = []
        self.stripe_ms: list[float] = []
        self.cpu_ms: list[float] = []
        self.orders = 0

    def __call__(self, response, seconds: float) -> None:
        if time.perf_counter() < self.measure_from:
            return
        timing = server_timing(response.headers.get("Server-Timing"))
        with self.lock:
            self.statuses[str(response.status_code)] += 1
            if order_token(response) is None:
                return  # only placed orders count: a 4xx is not a checkout
            self.orders += 1
            self.latencies_ms.append(seconds * 1000)
            if "app" in timing:
                self.overhead_ms.append(timing["app"] - timing.get("stripe", 0.0))
                self.stripe_ms.append(timing.get("stripe", 0.0))
            if "cpu" in timing:
                self.cpu_ms.append(timing["cpu"])


def run(args) -> int:
    from tests.services import Sandbox

    url = harness.database_url()
    harness.check_database_name(url)
    slugs = prepare_shop(url, products=args.products)
    workdir = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
    sandbox = Sandbox()
    try:
        env = harness.shop_env(url, sandbox_url=sandbox.url, workdir=workdir)
        with harness.Server("wsgi:app", env=env, workdir=workdir, workers=args.workers) as server:
            started = time.perf_counter()
            recorder = Recorder(started + args.warmup)
            deadline = recorder.measure_from + args.duration
            errors = run_shoppers(server.url, slugs, shoppers=args.shoppers,
                                  until=lambda: time.perf_counter() < deadline,
                                  on_checkout=recorder)
            seconds = time.perf_counter() - recorder.measure_from
    finally:
        sandbox.stop()
    return report(args, recorder, errors, seconds)


def report(args, recorder: Recorder, errors: list[str], seconds: float) -> int:
    posts = sum(recorder.statuses.values())
    common = {"shoppers": args.shoppers, "workers": args.workers, "seconds": round(seconds, 1),
              "posts": posts, "orders": recorder.orders, "statuses": dict(recorder.statuses),
              "setup_errors": len(errors)}
    harness.emit(NAME, "checkouts_per_second",
                 value=round(recorder.orders / seconds, 1) if seconds > 0 else 0.0, **common)
    harness.emit(NAME, "latency", **harness.summary(recorder.latencies_ms), **common)
    overhead = harness.summary(recorder.overhead_ms)
    meets = overhead["p95_ms"] is not None and overhead["p95_ms"] <= TARGET_OVERHEAD_P95_MS
    harness.emit(NAME, "server_overhead", **overhead,
                 stripe_p50_ms=harness.summary(recorder.stripe_ms)["p50_ms"],
                 cpu_p50_ms=harness.summary(recorder.cpu_ms)["p50_ms"],
                 cpu_p95_ms=harness.summary(recorder.cpu_ms)["p95_ms"],
                 target_p95_ms=TARGET_OVERHEAD_P95_MS, meets_target=meets, **common)
    if errors:
        print(f"{len(errors)} shopper errors, first: {errors[0]}", file=sys.stderr)
    # Every POST must have placed an order: a run that measured errors is a failed run.
    return 0 if recorder.orders and recorder.orders == posts and not errors else 1


def main(argv=None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
