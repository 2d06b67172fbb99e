"""Benchmark: search and the category page over a million products (PostgreSQL), each
against a floor that sends the same SQL (``bench.search_floor``).

Fills the bench database with one store of 1 000 000 products (``bench.search_data``:
INSERT ... SELECT, the search indexes built after the load), checks that the floor sends
the shop's very statements, then serves both with gunicorn (4 workers each) and measures
them in alternating rounds at 4 concurrent clients:

- search: common words (one matches 2-3 % of the catalog), two words, prefixes, accents;
- category: the eight categories (125 000 products each), pages 1, 2, 3 and 5.

Misspelt searches (the respelling path: a trigram lookup, then the search again) have no
floor: their p95 is printed alone. Each page's statement is also timed alone, one at a
time (``*_sql_alone``), with the PostgreSQL backend's CPU per statement when the server
runs on this machine: the database's share, the last one steady under others' load.
Targets: each page's p95 ≤ 50 ms. The machine is shared: every figure carries the load
average (1 min) when it was printed::

    python -m bench.search [--products 1000000] [--reuse] [--seconds 5] [--rounds 4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench import harness
from bench.baseline_app import catalog_sql
from bench.catalog_data import normalised, shop_statements
from bench.search_data import fill
from bench.search_floor import search_sql

BENCHMARK = "search"
TARGET_P95_MS = 50.0
PAGES = (1, 2, 3, 5)
SEARCHES = (
    "espresso", "kenya", "grinder", "chocolate", "yirgacheffe", "matcha", "honey", "kettle",
    "bright espresso", "kenya filter", "dark roast", "green tea", "cold brew", "honey oolong",
    "grind", "espr", "yirga", "choc", "cafe", "narino", "bergamot", "french press",
)
MISSPELT = ("expreso", "grindr", "yirgacheff", "chocolat", "kenia filter")


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=harness.database_url())
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the products of an earlier run of this benchmark")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5, help="per alternating round")
    parser.add_argument("--rounds", type=int, default=4)
    return parser.parse_args(argv)


def reusable(app, products: int) -> dict | None:
    """An earlier run's data, if the database holds that many products of store ``main``."""
    from shop.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        try:
            count = conn.execute(text("SELECT count(*) FROM products")).scalar_one()
            slugs = conn.execute(text("SELECT slug FROM categories ORDER BY id")).scalars()
            return {"categories": list(slugs)} if count == products else None
        except Exception:  # noqa: BLE001 - no schema yet: fill it
            return None


def workloads(data: dict) -> dict[str, list[dict]]:
    return {"search": [{"path": "/?" + f"q={query.replace(' ', '+')}"} for query in SEARCHES],
            "category": [{"path": f"/?category={slug}&page={page}"}
                         for page in PAGES for slug in data["categories"]]}


def check_same_sql(app, data: dict) -> bool:
    cases = {"search": ("/?q=bright+espresso", search_sql()),
             "category": (f"/?category={data['categories'][1]}&page=2",
                          catalog_sql("postgresql"))}
    same = True
    for page, (path, floor) in cases.items():
        statements = shop_statements(app, path)
        found = normalised(floor) in {normalised(s) for s in statements}
        same = same and found
        harness.emit(BENCHMARK, "same_sql", page=page, path=path, same=found,
                     shop_statements=len(statements))
    return same


def measure(page: str, shop, floor, requests: list[dict], args) -> None:
    result = harness.alternate(
        {"shop": {"base": shop.url, "requests": requests},
         "floor": {"base": floor.url, "requests": requests}},
        rounds=args.rounds, concurrency=args.concurrency, duration=args.seconds, warmup=0.5)
    for name, figures in result.items():
        harness.emit(BENCHMARK, f"{page}_{name}", concurrency=args.concurrency, **figures)
    shop_p95, floor_p95 = result["shop"]["p95_ms"], result["floor"]["p95_ms"]
    harness.emit(BENCHMARK, f"{page}_shop_p95", concurrency=args.concurrency,
                 p95_ms=shop_p95, floor_p95_ms=floor_p95, target_p95_ms=TARGET_P95_MS,
                 meets_target=shop_p95 is not None and shop_p95 <= TARGET_P95_MS,
                 rps_ratio=round(result["shop"]["rps"] / result["floor"]["rps"], 3)
                 if result["floor"]["rps"] else None,
                 errors=result["shop"]["errors"], statuses=result["shop"]["statuses"])


def sql_alone(database_url: str, data: dict, repeats: int = 5) -> None:
    """Each page's statement (the floor's, the shop's SQL) run alone, one at a time, timed
    at the client: what the database itself needs, apart from Python and the load."""
    from sqlalchemy import bindparam, create_engine

    from bench.baseline_app import hold_params, page_window
    from bench.search_floor import search_rows
    from bench.search_floor import search_sql as floor_search
    from shop.domain.search_text import parse_search
    from shop.models.types import UTCDateTime
    from shop.services.catalog.search import MOST

    # The search unprepared, as the shop runs it (services.catalog.search.postgres.read);
    # the category page prepared after five runs, as psycopg does by default.
    engines = {"search": create_engine(database_url, isolation_level="AUTOCOMMIT",
                                       connect_args={"prepare_threshold": None}),
               "category": create_engine(database_url, isolation_level="AUTOCOMMIT")}
    statements = {name: text(sql).bindparams(bindparam("now", type_=UTCDateTime))
                  for name, sql in (("search", floor_search()),
                                    ("category", catalog_sql("postgresql")))}
    with engines["category"].connect() as conn:
        store_id = conn.execute(text("SELECT id FROM stores WHERE slug = 'main'")).scalar_one()
        categories = dict(conn.execute(text("SELECT slug, id FROM categories")).all())
    base = {**hold_params(), "store_id": store_id, "limit": 24}
    cases = {"search": [{**base, "offset": 0, "most_and_one": MOST + 1,
                         "words": parse_search(query).words} for query in SEARCHES],
             "category": [{**base, **page_window(page), "category_id": categories[slug]}
                          for page in PAGES for slug in data["categories"]]}
    for page, params_list in cases.items():
        with engines[page].connect() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
            timings = []
            cpu_before = _process_cpu_seconds(backend)
            for _ in range(repeats):
                for params in params_list:
                    started = time.perf_counter()
                    if page == "search":  # one or two statements, as the shop sends them
                        search_rows(conn, statements[page], params, params["words"])
                    else:
                        conn.execute(statements[page], params).all()
                    timings.append((time.perf_counter() - started) * 1000)
            cpu_after = _process_cpu_seconds(backend)
        cpu = (None if cpu_before is None or cpu_after is None
               else round((cpu_after - cpu_before) * 1000 / len(timings), 2))
        harness.emit(BENCHMARK, f"{page}_sql_alone", statements=len(timings),
                     **harness.summary(timings), server_cpu_ms_per_statement=cpu)
        engines[page].dispose()


def _process_cpu_seconds(pid: int) -> float | None:
    """CPU (user + system) the PostgreSQL backend ``pid`` has used, when it runs on this
    machine: what a statement costs whatever else shares the cores."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def misspelt(shop, args) -> None:
    requests = [{"path": f"/?q={query.replace(' ', '+')}"} for query in MISSPELT]
    result = harness.load(shop.url, requests, concurrency=args.concurrency,
                          duration=args.seconds * 2, warmup=0.5)
    figures = harness.summary(result["latencies_ms"])
    harness.emit(BENCHMARK, "misspelt_shop", concurrency=args.concurrency, rps=result["rps"],
                 statuses=result["statuses"], errors=result["errors"], **figures,
                 note="no floor: the respelling path (trigram lookup, then the search)")


def main(argv=None) -> int:
    args = parse(argv)
    harness.check_database_name(args.database_url)
    harness.ensure_database(args.database_url)
    app = harness.bench_app(args.database_url, PRODUCTS_PER_PAGE=24)
    data = reusable(app, args.products) if args.reuse else None
    started = time.monotonic()
    reused = data is not None
    if data is None:
        data = fill(app, products=args.products)
    harness.emit(BENCHMARK, "data", products=args.products, reused=reused,
                 fill_seconds=None if reused else round(time.monotonic() - started, 1),
                 categories=len(data["categories"]), load_average_5_15=os.getloadavg()[1:])
    same = check_same_sql(app, data)
    sql_alone(args.database_url, data)
    with app.app_context():
        from shop.extensions import db

        db.engine.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        workdir = Path(tmp)
        env = harness.shop_env(args.database_url, sandbox_url="http://127.0.0.1:9",
                               workdir=workdir, PRODUCTS_PER_PAGE="24", REDIS_URL=None)
        with harness.Server("wsgi:app", env=env, workdir=workdir, workers=args.workers,
                            name="shop") as shop, \
             harness.Server("bench.search_floor:from_env()", env=env, workdir=workdir,
                            workers=args.workers, name="floor") as floor:
            for page, requests in workloads(data).items():
                measure(page, shop, floor, requests, args)
            misspelt(shop, args)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
