"""``make bench BENCH=peers``: Saleor, served on this machine, against the shop.

    bench/peers/saleor.sh <saleor source>   # once: installs and serves Saleor
    python -m bench.peers [--rounds 4] [--seconds 8]

In one run, alternating (A B, B A, ...) at the same concurrency on the same machine:

- ``list``: Saleor's storefront product-list query (24 products with price and
  availability) against our category page (24 products);
- ``product``: its product-by-slug query against our product page;
- ``checkout``: its checkoutCreate → checkoutDeliveryMethodUpdate → transactionCreate →
  checkoutComplete against our ``POST /checkout`` and the paying webhook (each client a
  closed loop). Ours also fills a cart (through a second server of the shop, so that the
  measured server's CPU is the two requests' alone) and pays at the Stripe sandbox between
  them: the throughput includes both, the latency neither.

Each scenario prints rps, p50, p95, the workers' CPU per request (from ``/proc``: the
server's own cost, whatever else runs on the machine; for ours also its PostgreSQL
backends') and the ratios ours ÷ theirs, with a warning line on stderr when ours is below
10× in rps or in workers' CPU per request. Our database (``BENCH_DATABASE_URL``)
is wiped and filled as ``bench.catalog`` fills it. Exits 2 when Saleor is not running.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench import harness
from bench.peers import ours, saleor

BENCHMARK = "peers"
GUARD_RATIO = 10.0
APPLICATION_NAME = "bench-peers-shop"
PAGES = (1, 2, 3)


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.peers",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=harness.database_url())
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8, help="list and product")
    parser.add_argument("--checkout-clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=8, help="per alternating round")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"),
                        help="our jobs (receipts) go to RQ here, as Saleor's go to Celery "
                             "(default: $BENCH_REDIS_URL; unset: in-process after the commit)")
    return parser.parse_args(argv)


def process_cpu(pid: int | str) -> float:
    """CPU seconds (user + system) a process has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def cpu_seconds(master_pid: int) -> float:
    """CPU time used so far by the children (workers) of ``master_pid``."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return sum(process_cpu(pid) for pid in children)


def database_cpu(url: str, backends: tuple[str, str] | None) -> dict[int, float]:
    """CPU used so far by each PostgreSQL backend (same server as ``url``) with the
    database and application name of ``backends``: what the database spends for our
    measured server, reported beside its workers' CPU."""
    if backends is None:
        return {}
    parsed = make_url(url)
    with psycopg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                         dbname="postgres", autocommit=True) as conn:
        pids = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                            "AND application_name LIKE %s", list(backends)).fetchall()
    return {pid: process_cpu(pid) for (pid,) in pids}


def closed_loop(make_client, *, clients: int, seconds: float) -> dict:
    """``clients`` threads each repeating ``client()`` (one whole checkout) for ``seconds``;
    a client may return the seconds to count as its latency, else the call's duration."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()
    deadline = started + seconds

    def run(index: int) -> None:
        client = make_client(index)
        try:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    counted = client()
                except Exception as exc:  # counted and reported: the run goes on
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:300])
                    continue
                with lock:
                    latencies.append(1000 * (counted or time.perf_counter() - sent))
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "seconds": elapsed, "latencies_ms": latencies,
            "errors": len(errors), "first_error": errors[0] if errors else None,
            "statuses": {}}


def alternate(sides: dict, *, rounds: int, database_url: str = "") -> dict:
    """``sides``: name -> (master pid, backends or None, measure()); rounds A B, B A,
    ... with the CPU of the side's workers and of its database backends counted around each
    measurement (a backend that exits during a round takes its share with it). Merged
    figures per side."""
    merged = {name: {"requests": 0, "seconds": 0.0, "errors": 0, "cpu": 0.0, "db_cpu": 0.0,
                     "latencies_ms": [], "statuses": {}, "first_error": None}
              for name in sides}
    names = list(sides)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            pid, backends, measure = sides[name]
            before, db_before = cpu_seconds(pid), database_cpu(database_url, backends)
            result = measure()
            into = merged[name]
            into["cpu"] += cpu_seconds(pid) - before
            into["db_cpu"] += sum(used - db_before.get(backend, 0.0) for backend, used
                                  in database_cpu(database_url, backends).items())
            for key in ("requests", "seconds", "errors"):
                into[key] += result[key]
            into["latencies_ms"] += result["latencies_ms"]
            into["first_error"] = into["first_error"] or result.get("first_error")
            for status, count in result["statuses"].items():
                into["statuses"][status] = into["statuses"].get(status, 0) + count
    cores = os.cpu_count() or 1
    return {name: {"rps": round(m["requests"] / m["seconds"], 2) if m["seconds"] else 0.0,
                   "rps_per_core": round(m["requests"] / m["seconds"] / cores, 2)
                   if m["seconds"] else 0.0,
                   "cpu_ms_per_request": round(1000 * m["cpu"] / m["requests"], 1)
                   if m["requests"] else None,
                   "db_cpu_ms_per_request": round(1000 * m["db_cpu"] / m["requests"], 1)
                   if m["requests"] and sides[name][1] is not None else None,
                   "requests": m["requests"], "errors": m["errors"],
                   "first_error": m["first_error"], "statuses": m["statuses"],
                   **harness.summary(m["latencies_ms"])}
            for name, m in merged.items()}


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    return round(numerator / denominator, 1) if numerator and denominator else None


def report(scenario: str, result: dict, **fields) -> bool:
    """Figures of both sides and the ratios, a warning line when ours is below the guard;
    False when a side had errors or a status other than 200 (a run that measured failures)."""
    ours_, theirs = result["ours"], result["saleor"]
    for name, figures in result.items():
        harness.emit(BENCHMARK, f"{scenario}_{name}", **fields, **figures)
    rps_ratio = ratio(ours_["rps"], theirs["rps"])
    # Workers only: Saleor's database share cannot be read (it opens a connection per
    # request, whose backend is gone before it can be counted).
    cpu_ratio = ratio(theirs["cpu_ms_per_request"], ours_["cpu_ms_per_request"])
    p95_ratio = ratio(theirs["p95_ms"], ours_["p95_ms"])
    holds = all(r is not None and r >= GUARD_RATIO for r in (rps_ratio, cpu_ratio))
    harness.emit(BENCHMARK, f"{scenario}_ratio", **fields, rps_ratio=rps_ratio,
                 cpu_per_request_ratio=cpu_ratio, p95_ratio=p95_ratio,
                 guard_ratio=GUARD_RATIO, meets_guard=holds)
    if not holds:
        print(f"WARNING peers {scenario}: ours is below {GUARD_RATIO:g}x Saleor "
              f"(rps ratio {rps_ratio}, CPU per request ratio {cpu_ratio})", file=sys.stderr)
    return all(not side["errors"] and set(side["statuses"]) <= {"200"} and side["requests"]
               for side in result.values())


def saleor_version() -> dict:
    source = saleor.SALEOR_DIR / "src" / "pyproject.toml"
    version = next((line.split('"')[1] for line in source.read_text().splitlines()
                    if line.startswith("version")), None) if source.exists() else None
    commit = saleor.SALEOR_DIR / "COMMIT"
    return {"saleor_version": version,
            "saleor_commit": commit.read_text().strip()[:10] if commit.exists() else None}


def get_scenarios(data: dict, peer: dict) -> dict[str, tuple[list, list]]:
    catalog = [{"path": f"/?category={slug}&page={page}"}
               for page in PAGES for slug in data["categories"]]
    products = [{"path": f"/products/{slug}"} for slug in data["buyable"]]
    return {"list": (catalog, [saleor.graphql_request(saleor.PRODUCT_LIST,
                                                      {"channel": saleor.CHANNEL})]),
            "product": (products, [saleor.graphql_request(saleor.PRODUCT_BY_SLUG,
                                                          {"slug": slug,
                                                           "channel": saleor.CHANNEL})
                                   for slug in peer["slugs"]])}


def main(argv=None) -> int:
    args = parse(argv)
    if not saleor.running():
        print(f"Saleor is not running at {saleor.SALEOR_URL}: start it with "
              "`bench/peers/saleor.sh <saleor source>` (SALEOR_URL and SALEOR_DIR say where "
              "it is)", file=sys.stderr)
        return 2
    harness.check_database_name(args.database_url)
    peer, token = saleor.catalog(), saleor.app_token()
    saleor.check_queries(peer["slugs"])
    app, data = ours.prepare(args.database_url, products=args.products)
    from tests.services import Sandbox

    sandbox = Sandbox()
    workdir = Path(tempfile.mkdtemp(prefix="bench-peers-"))
    try:
        env = harness.shop_env(args.database_url, sandbox_url=sandbox.url, workdir=workdir,
                               PRODUCTS_PER_PAGE="24", REDIS_URL=args.redis_url)
        measured = {**env, "DATABASE_URL": with_application_name(args.database_url)}
        with harness.Server("wsgi:app", env=measured, workdir=workdir, workers=args.workers,
                            name="shop") as shop, \
             harness.Server("wsgi:app", env=env, workdir=workdir, workers=2,
                            name="carts") as carts:
            return measure_all(args, app, data, peer, token, shop=shop, carts=carts,
                               sandbox_url=sandbox.url)
    finally:
        sandbox.stop()


def with_application_name(url: str) -> str:
    """The measured server's database URL: its backends named, so that only theirs count."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return url
    return parsed.update_query_dict({"application_name": APPLICATION_NAME}).render_as_string(
        hide_password=False)


def measure_all(args, app, data: dict, peer: dict, token: str, *, shop, carts,
                sandbox_url: str) -> int:
    saleor_pid = int((saleor.SALEOR_DIR / "state" / "gunicorn.pid").read_text())
    our_db = (make_url(args.database_url).database or "", APPLICATION_NAME)
    clean = []
    paid_before = ours.paid_orders(app)
    common = {"workers": args.workers, "rounds": args.rounds,
              "our_jobs": "rq" if args.redis_url else "in-process",
              "seconds_per_round": args.seconds, **saleor_version()}
    options = {"concurrency": args.concurrency, "duration": args.seconds, "warmup": 1}
    for scenario, (ours_requests, their_requests) in get_scenarios(data, peer).items():
        result = alternate({
            "ours": (shop.process.pid, our_db,
                     lambda r=ours_requests: harness.load(shop.url, r, **options)),
            "saleor": (saleor_pid, None,
                       lambda r=their_requests: harness.load(saleor.SALEOR_URL, r, **options))},
            rounds=args.rounds, database_url=args.database_url)
        clean.append(report(scenario, result, concurrency=args.concurrency, **common))
    result = alternate({
        "ours": (shop.process.pid, our_db, lambda: closed_loop(
            lambda i: ours.Checkout(app, shop.url, sandbox_url, data["buyable"], i,
                                    cart_base=carts.url),
            clients=args.checkout_clients, seconds=args.seconds)),
        "saleor": (saleor_pid, None, lambda: closed_loop(
            lambda _i: saleor.Checkout(peer["variants"], token),
            clients=args.checkout_clients, seconds=args.seconds))},
        rounds=args.rounds, database_url=args.database_url)
    paid = ours.paid_orders(app) - paid_before
    clean.append(paid == result["ours"]["requests"])
    clean.append(report("checkout", result, concurrency=args.checkout_clients,
                        our_orders_paid=paid, **common))
    return 0 if all(clean) else 1


if __name__ == "__main__":
    sys.exit(main())
