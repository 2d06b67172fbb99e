"""Benchmark 1: the catalog and product pages against a bare Flask baseline.

Fills the bench database with one store of 10 000 products over eight categories, checks
that ``bench.baseline_app`` sends the very statements the shop sends for its product list
and its product page, then serves both with gunicorn (4 workers each) and measures them:

1. the baseline alone at rising concurrency (1, 2, 4, 8, 16): the smallest concurrency
   giving at least 90 % of its best requests per second is where it saturates;
2. the shop and the baseline in alternating rounds at that concurrency, cycling over the
   categories and a few pages of each (catalog) or over many slugs (product).

Figures: rps and latency percentiles of each, the ratio shop ÷ baseline (target ≥ 0.60)
and the shop's p95 (target < 50 ms)::

    python -m bench.catalog [--database-url sqlite:////tmp/bench.db] [--products 10000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench import harness
from bench.baseline_app import catalog_sql, product_sql, variants_sql
from bench.catalog_data import fill, normalised, shop_statements

BENCHMARK = "catalog"
TARGET_RATIO = 0.60
TARGET_P95_MS = 50.0
PAGES = (1, 2, 3, 5)


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=harness.database_url())
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--steps", default="1,2,4,8,16", help="baseline concurrencies")
    parser.add_argument("--step-seconds", type=float, default=3)
    parser.add_argument("--seconds", type=float, default=5, help="per alternating round")
    parser.add_argument("--rounds", type=int, default=4)
    return parser.parse_args(argv)


def make_app(url: str):
    from shop import create_app

    return create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": url,
                       "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False,
                       "PRODUCTS_PER_PAGE": 24, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})


def workloads(data: dict) -> dict[str, list[dict]]:
    catalog = [{"path": f"/?category={slug}&page={page}"}
               for page in PAGES for slug in data["categories"]]
    slugs = data["products"]
    step = max(1, len(slugs) // 500)
    product = [{"path": f"/products/{slug}"} for slug in slugs[::step]]
    return {"catalog": catalog, "product": product}


def check_same_sql(app, data: dict) -> bool:
    """Does the baseline send the statements the shop sends? One figure per page."""
    from shop.extensions import db

    with app.app_context():
        dialect = db.engine.dialect.name
    product = f"/products/{data['products'][16]}"
    cases = {"catalog": (f"/?category={data['categories'][1]}&page=2", catalog_sql(dialect)),
             "product": (product, product_sql(dialect)),
             "product_variants": (product, variants_sql(dialect))}
    same = True
    for page, (path, baseline) in cases.items():
        statements = shop_statements(app, path)
        found = normalised(baseline) in {normalised(s) for s in statements}
        same = same and found
        harness.emit(BENCHMARK, "same_sql", page=page, path=path, same=found,
                     shop_statements=len(statements))
    return same


def saturation(base: str, requests: list[dict], steps: list[int], seconds: float) -> int:
    """The smallest concurrency at which the baseline gives ≥ 90 % of its best rps. Steps
    are run up then down, each keeping its better pass, so that a burst of load from
    elsewhere on a shared machine does not decide the concurrency alone."""
    rps: dict[int, float] = {}
    for concurrency in [*steps, *reversed(steps)]:
        measured = harness.load(base, requests, concurrency=concurrency, duration=seconds,
                                warmup=0.5)["rps"]
        rps[concurrency] = max(rps.get(concurrency, 0.0), measured)
    best = max(rps.values())
    chosen = min(c for c, r in rps.items() if r >= 0.9 * best)
    harness.emit(BENCHMARK, "baseline_saturation", page=requests[0]["path"].split("?")[0],
                 rps_by_concurrency=rps, concurrency=chosen)
    return chosen


def worker_cpu_seconds(server) -> float:
    """CPU time (user + system) used so far by the gunicorn workers of ``server``."""
    master = server.process.pid
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def cpu_per_request(server, requests: list[dict], concurrency: int, seconds: float) -> float:
    """Milliseconds of worker CPU a request costs: steadier than rps on a shared machine,
    since other processes' load changes how long a request waits, not what it costs."""
    before = worker_cpu_seconds(server)
    done = harness.load(server.url, requests, concurrency=concurrency, duration=seconds)
    return round((worker_cpu_seconds(server) - before) * 1000 / max(1, done["requests"]), 2)


def measure(page: str, shop, baseline, requests: list[dict], args) -> None:
    steps = [int(step) for step in args.steps.split(",")]
    concurrency = saturation(baseline.url, requests, steps, args.step_seconds)
    result = harness.alternate(
        {"shop": {"base": shop.url, "requests": requests},
         "baseline": {"base": baseline.url, "requests": requests}},
        rounds=args.rounds, concurrency=concurrency, duration=args.seconds, warmup=0.5)
    for name, figures in result.items():
        harness.emit(BENCHMARK, f"{page}_{name}", concurrency=concurrency, **figures)
    base_rps = result["baseline"]["rps"]
    ratio = round(result["shop"]["rps"] / base_rps, 3) if base_rps else 0.0
    harness.emit(BENCHMARK, f"{page}_ratio", concurrency=concurrency, ratio=ratio,
                 target_ratio=TARGET_RATIO, meets_target=ratio >= TARGET_RATIO)
    cpu = {name: cpu_per_request(server, requests, concurrency, args.step_seconds)
           for name, server in (("shop", shop), ("baseline", baseline))}
    harness.emit(BENCHMARK, f"{page}_cpu_ms_per_request", concurrency=concurrency, **cpu,
                 ratio=round(cpu["baseline"] / cpu["shop"], 3) if cpu["shop"] else None)
    p95 = result["shop"]["p95_ms"]
    harness.emit(BENCHMARK, f"{page}_shop_p95", concurrency=concurrency, p95_ms=p95,
                 target_p95_ms=TARGET_P95_MS,
                 meets_target=p95 is not None and p95 < TARGET_P95_MS,
                 errors=result["shop"]["errors"], statuses=result["shop"]["statuses"])


def main(argv=None) -> int:
    args = parse(argv)
    harness.check_database_name(args.database_url)
    app = make_app(args.database_url)
    data = fill(app, products=args.products)
    harness.emit(BENCHMARK, "data", products=args.products,
                 categories=len(data["categories"]))
    same = check_same_sql(app, data)
    with app.app_context():
        from shop.extensions import db

        db.engine.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp:
        workdir = Path(tmp)
        env = harness.shop_env(args.database_url, sandbox_url="http://127.0.0.1:9",
                               workdir=workdir, PRODUCTS_PER_PAGE="24", REDIS_URL=None)
        with harness.Server("wsgi:app", env=env, workdir=workdir, workers=args.workers,
                            name="shop") as shop, \
             harness.Server("bench.baseline_app:from_env()", env=env, workdir=workdir,
                            workers=args.workers, name="baseline") as baseline:
            for page, requests in workloads(data).items():
                measure(page, shop, baseline, requests, args)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
