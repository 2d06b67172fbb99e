"""Where ``POST /checkout`` and ``POST /webhooks/stripe`` spend their time: the app in this
process (production settings, Flask test client) against the loopback Stripe sandbox, with
pyinstrument and a count of the SQL statements of one request.

    python -m bench.profile_money checkout [--requests 200] [--sql]
    python -m bench.profile_money webhook [--requests 200] [--sql] [--redis-url URL]
    python -m bench.profile_money checkout|webhook --calls   # Python calls a request only
    python -m bench.profile_money checkout --against ../main --rounds 16 --requests 40

``--against`` compares the checkout's worker CPU per POST (``Server-Timing: cpu``, what
``bench.checkout`` reports) with another copy of the shop, e.g. main's worktree: two
long-lived processes, one per copy (each on its own database, ``BENCH_DATABASE_URL`` and
the same name ending in ``_against``), take turns, a round of ``--requests`` POSTs each, so
that a shared machine's load falls on both.

Wipes ``BENCH_DATABASE_URL`` like the benchmarks. A tool for finding work to cut, not a
benchmark: it prints a profile, not figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness
from bench.loadgen import server_timing
from bench.shoppers import ADDRESS, field, prepare_shop
from bench.webhook_events import confirm_intents, signed_delivery
from tests.statements import recorded_statements


def make_app(sandbox_url: str, redis_url: str | None = None):
    os.environ.update(harness.shop_env(harness.database_url(), sandbox_url=sandbox_url,
                                       workdir=Path(tempfile.mkdtemp(prefix="profile-")),
                                       REDIS_URL=redis_url or "",
                                       # The test client's host, refused otherwise in
                                       # production mode (only BASE_URL's host is served).
                                       ALLOWED_HOSTS="localhost"))
    from shop import create_app

    return create_app()


def checkout_once(app, slug: str):
    client = app.test_client()  # its own cookie jar: a fresh session and cart
    page = client.get(f"/products/{slug}").get_data(as_text=True)
    client.post("/cart/add", data={"csrf_token": field(page, "csrf_token"),
                                   "product_id": field(page, "product_id"), "quantity": 1})
    form = client.get("/checkout").get_data(as_text=True)
    data = {"csrf_token": field(form, "csrf_token"),
            "checkout_token": field(form, "checkout_token"), **ADDRESS}
    return lambda: client.post("/checkout", data=data)


def main(argv=None) -> int:
    from pyinstrument import Profiler

    from tests.services import Sandbox

    parser = argparse.ArgumentParser(prog="python -m bench.profile_money")
    parser.add_argument("endpoint", choices=("checkout", "webhook"))
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--sql", action="store_true", help="print one request's statements")
    parser.add_argument("--calls", action="store_true",
                        help="only count the Python function calls of 40 requests (cProfile): "
                             "the figure a busy machine does not disturb")
    parser.add_argument("--against", metavar="TREE",
                        help="alternate checkout rounds with the shop in TREE (CPU per POST)")
    parser.add_argument("--rounds", type=int, default=16, help="rounds of each, with --against")
    parser.add_argument("--serve", action="store_true",
                        help="(used by --against) a round of POSTs per line read on stdin")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL"),
                        help="jobs (a webhook's receipt) to RQ here, as in production; "
                             "default $BENCH_REDIS_URL, else in-process")
    args = parser.parse_args(argv)
    if args.against:
        return _alternate(args)
    harness.check_database_name(harness.database_url())
    slugs = prepare_shop(harness.database_url(), products=5)
    sandbox = Sandbox()
    try:
        app = make_app(sandbox.url, args.redis_url)
        if args.serve:
            return _serve(app, slugs)
        client = app.test_client()  # webhooks carry no cookies
        posts = [checkout_once(app, slugs[i % len(slugs)])
                 for i in range(args.requests if args.endpoint == "checkout" else 0)]
        if args.endpoint == "webhook":
            tokens = [_order(app, slugs[i % len(slugs)]) for i in range(args.requests)]
            deliveries = [signed_delivery(event) for event in
                          confirm_intents(app, sandbox.url, tokens)]
            posts = [(lambda d=d: client.post("/webhooks/stripe", data=d["body"],
                                              headers=d["headers"])) for d in deliveries]
        with app.app_context():
            from shop.extensions import db
            engine = db.engine
        warm = max(1, len(posts) // 10)
        for post in posts[:warm]:
            post()
        with recorded_statements(engine, control=True) as statements:
            response = posts[warm]()
        print(f"one request: {response.status_code}, {len(statements)} statements, "
              f"Server-Timing {response.headers.get('Server-Timing')}")
        if args.sql:
            for statement in statements:
                flat = " ".join(statement.split())  # its start, and its end (locks, RETURNING)
                print("  ", flat[:160], "…", flat[-90:])
        if args.calls:
            print(json.dumps({"calls_per_request": _calls(posts[warm + 1:warm + 41])}))
            return 0
        # The first half is timed without the profiler (its sampling costs CPU too), the
        # second half is profiled.
        rest = posts[warm + 1:]
        timed, profiled = rest[:len(rest) // 2], rest[len(rest) // 2:]
        walls, cpus, statuses = [], [], []
        for post in timed:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = post()
            walls.append((time.perf_counter() - started) * 1000)
            cpus.append((time.process_time() - cpu_started) * 1000)
            statuses.append(response.status_code)
            response.close()  # what waits until the answer is sent (outbox hand-on): untimed
        profiler = Profiler(interval=0.001)
        with profiler:
            statuses += [post().status_code for post in profiled]
        # CPU time of this process (the app; not PostgreSQL's, not the sandbox's) is what a
        # shared machine's noise disturbs least.
        print(json.dumps({"requests": len(walls), "statuses": sorted(set(statuses)),
                          "statements": len(statements), "jobs": "rq" if args.redis_url
                          else "in-process",
                          "ms_per_request": round(sum(walls) / max(1, len(walls)), 2),
                          "p50_ms": round(harness.percentile(walls, 0.5), 2),
                          "cpu_ms_per_request": round(sum(cpus) / max(1, len(cpus)), 2),
                          "cpu_p50_ms": round(harness.percentile(cpus, 0.5), 2)}))
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    finally:
        sandbox.stop()
    return 0


def _calls(posts) -> float:
    import cProfile
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for post in posts:
        post().close()
    profile.disable()
    return round(pstats.Stats(profile).total_calls / len(posts), 1)


def _serve(app, slugs: list[str]) -> int:
    """For each line N on stdin, N checkout POSTs; their Server-Timing CPU on stdout."""
    out, sys.stdout = sys.stdout, sys.stderr  # the app's and the sandbox's chatter aside
    for post in [checkout_once(app, slugs[i % len(slugs)]) for i in range(20)]:
        post().close()  # warm-up
    print("ready", file=out, flush=True)
    for line in sys.stdin:
        cpus = []
        for post in [checkout_once(app, slugs[i % len(slugs)]) for i in range(int(line))]:
            response = post()
            if response.status_code != 303:
                raise SystemExit(f"checkout answered {response.status_code}")
            cpus.append(server_timing(response.headers.get("Server-Timing"))["cpu"])
            response.close()
        print(json.dumps({"cpu": cpus, "load": os.getloadavg()[0]}), file=out, flush=True)
    return 0


def _alternate(args) -> int:
    """This copy of the shop and the one in ``args.against``, round after round (ABBA)."""
    ours = Path(__file__).resolve().parent.parent
    url = harness.database_url()
    copies = {"this": (ours, url), "against": (Path(args.against).resolve(), f"{url}_against")}
    workers = {}
    for name, (tree, database) in copies.items():
        harness.check_database_name(database)
        harness.ensure_database(database)
        # This file runs in both; ``shop`` (and ``bench``'s helpers) come from each tree.
        workers[name] = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, __file__, "checkout", "--serve"], cwd=tree, text=True,
            env={**os.environ, "BENCH_DATABASE_URL": database, "PYTHONPATH": str(tree)},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if workers[name].stdout.readline().strip() != "ready":
            raise SystemExit(f"the {name} copy did not start")
    cpus: dict[str, list[float]] = {name: [] for name in copies}
    medians: dict[str, list[float]] = {name: [] for name in copies}
    loads = []
    for round_ in range(args.rounds):
        for name in (("this", "against") if round_ % 2 == 0 else ("against", "this")):
            workers[name].stdin.write(f"{args.requests}\n")
            workers[name].stdin.flush()
            answer = json.loads(workers[name].stdout.readline())
            cpus[name] += answer["cpu"]
            medians[name].append(round(statistics.median(answer["cpu"]), 2))
            loads.append(answer["load"])
    for worker in workers.values():
        worker.stdin.close()
        worker.wait()
    lower = sum(a < b for a, b in zip(medians["this"], medians["against"], strict=True))
    print(json.dumps({
        **{name: {"tree": str(copies[name][0]), "posts": len(cpus[name]),
                  "cpu_p50_ms": round(statistics.median(cpus[name]), 2),
                  "round_p50s": medians[name]} for name in copies},
        "this_lower_in_rounds": f"{lower}/{args.rounds}",
        "load_average": [round(min(loads), 2), round(max(loads), 2)],
        "machine": harness.machine()}))
    return 0


def _order(app, slug: str) -> str:
    response = checkout_once(app, slug)()
    return response.headers["Location"].split("/orders/")[1].split("/")[0]


if __name__ == "__main__":
    sys.exit(main())
