"""What every benchmark shares: the machine's description, one JSON line per figure, a
gunicorn server with production settings, the load generator in its own process, and
alternating runs against a baseline.

A benchmark module builds its data, starts its servers with :class:`Server`, measures with
:func:`load` or :func:`alternate`, and reports with :func:`emit`. Figures are printed,
never asserted: targets are compared in ``docs/performance.md``.
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from functools import cache
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench"
WEBHOOK_SECRET = "whsec_bench"  # noqa: S105 - signs only loopback deliveries of a bench run
GENEROUS = "1000000 per minute"
RATE_LIMITS = ("RATELIMIT_CHECKOUT_PER_IP", "RATELIMIT_CHECKOUT_PER_SESSION",
               "RATELIMIT_PAYMENT_PER_IP", "RATELIMIT_PAYMENT_PER_SESSION",
               "CARD_TESTING_PER_IP", "CARD_TESTING_PER_SESSION")


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)


def check_database_name(url: str) -> None:
    """The benchmarks wipe their database: refuse one whose name does not say it may be."""
    parsed = make_url(url)
    name = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" and not re.search(r"test|bench", name):
        raise SystemExit(f"refusing to wipe database {name!r}: its name must contain "
                         "'test' or 'bench'")


def ensure_database(url: str) -> None:
    """Create the benchmarks' PostgreSQL database if it is not there yet."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    import psycopg

    with psycopg.connect(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                         dbname="postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        [parsed.database]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{parsed.database}"')


@cache
def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1])
    except (OSError, TypeError):
        mem_kb = 0
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024**2, 1),
            "os": platform.platform(terse=True), "python": platform.python_version()}


def emit(benchmark: str, figure: str, **fields) -> dict:
    """One figure, one JSON line on stdout, with the machine it was measured on."""
    line = {"benchmark": benchmark, "figure": figure, **fields,
            "load_average": round(os.getloadavg()[0], 2), "machine": machine()}
    print(json.dumps(line), flush=True)
    return line


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(latencies_ms: list[float]) -> dict:
    """p50/p95/p99/max of a list of milliseconds, rounded for printing."""
    if not latencies_ms:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None, "max_ms": None}
    return {"p50_ms": round(statistics.median(latencies_ms), 2),
            "p95_ms": round(percentile(latencies_ms, 0.95), 2),
            "p99_ms": round(percentile(latencies_ms, 0.99), 2),
            "max_ms": round(max(latencies_ms), 2)}


def bench_app(database: str, **extra):
    """The shop in this process on the bench database, to fill it and read it back."""
    from shop import create_app

    return create_app({"SHOP_ENV": "testing", "SQLALCHEMY_DATABASE_URI": database,
                       "SECRET_KEY": "bench", "SESSION_COOKIE_SECURE": False, **extra})


def shop_env(database: str, *, sandbox_url: str, workdir: Path, **extra: str) -> dict:
    """The shop's environment in production mode, on loopback, with rate limits that one
    load generator (one IP address) cannot trip: they are not what is measured."""
    return {**os.environ,
            "SHOP_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(32),
            # Links in mail only; the host check ignores the port the server listens on.
            "BASE_URL": "https://127.0.0.1",
            "DATABASE_URL": database, "STRIPE_SECRET_KEY": "sk_test_sandbox",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_sandbox",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": sandbox_url,
            "STRIPE_JS_URL": f"{sandbox_url}/js.stripe.com/v3/",
            "SESSION_COOKIE_SECURE": "0", "SERVER_TIMING": "1",
            "MAIL_OUTBOX_DIR": str(workdir / "mail"), "LOG_LEVEL": "WARNING",
            **{name: GENEROUS for name in RATE_LIMITS},
            # Every simulated shopper shares one address: the cap on open checkouts is not
            # what is measured either.
            "MAX_OPEN_CHECKOUTS_PER_IP": "1000000", "MAX_OPEN_CHECKOUTS_PER_SESSION": "1000000",
            **extra}


class Server:
    """``gunicorn`` serving ``app`` (``module:attribute``) on a free loopback port."""

    def __init__(self, app: str, *, env: dict, workdir: Path, workers: int = 4,
                 ready_path: str = "/healthz", name: str = "server"):
        from tests.services import free_port

        self.url = f"http://127.0.0.1:{free_port()}"
        self.log_path = workdir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "python:shop.gunicorn_conf",
             "-w", str(workers), "-b", self.url.removeprefix("http://"), app],
            cwd=ROOT, env={k: v for k, v in env.items() if v is not None},
            stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_ready(ready_path)

    def _wait_ready(self, path: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.url}{path}", timeout=10).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not become ready:\n" + self.log_path.read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()


def load(base: str, requests: list[dict], *, concurrency: int = 8, duration: float = 5,
         warmup: float = 0, mode: str = "cycle", headers: dict | None = None) -> dict:
    """Run the load generator (``bench/loadgen.py``) in its own process and return its
    result: ``rps``, ``statuses``, ``errors``, ``latencies_ms``, ``server_timing_ms``."""
    spec = {"base": base, "requests": requests, "concurrency": concurrency,
            "duration": duration, "warmup": warmup, "mode": mode, "headers": headers or {}}
    done = subprocess.run([sys.executable, "-m", "bench.loadgen"], input=json.dumps(spec),
                          capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr}")
    return json.loads(done.stdout)


def alternate(targets: dict[str, dict], *, rounds: int = 3, **load_options) -> dict[str, dict]:
    """Measure several targets in turns (A B, B A, A B, ...) so that the noise of a shared
    machine falls on each alike. ``targets`` maps a name to ``{"base": url, "requests":
    [...]}``; the result maps it to merged figures: rps over all its rounds, percentiles of
    all its latencies, statuses and errors summed."""
    merged = {name: {"requests": 0, "seconds": 0.0, "errors": 0, "statuses": {},
                     "latencies_ms": []} for name in targets}
    names = list(targets)
    for round_number in range(rounds):
        for name in names if round_number % 2 == 0 else reversed(names):
            result = load(targets[name]["base"], targets[name]["requests"], **load_options)
            into = merged[name]
            into["requests"] += result["requests"]
            into["seconds"] += result["seconds"]
            into["errors"] += result["errors"]
            into["latencies_ms"] += result["latencies_ms"]
            for status, count in result["statuses"].items():
                into["statuses"][status] = into["statuses"].get(status, 0) + count
    return {name: {"rps": round(m["requests"] / m["seconds"], 1) if m["seconds"] else 0.0,
                   "requests": m["requests"], "errors": m["errors"],
                   "statuses": m["statuses"], **summary(m["latencies_ms"])}
            for name, m in merged.items()}


def page_arguments(parser) -> None:
    """The options every signed-in page benchmark takes (admin list, order history)."""
    parser.add_argument("--duration", type=float, default=4, help="measured seconds a page")
    parser.add_argument("--concurrency", default="1,4",
                        help="comma-separated levels: alone, then under load")
    parser.add_argument("--reuse", action="store_true", help="keep an earlier run's data")


def concurrency_levels(text: str) -> list[int]:
    """``"1,4"`` -> ``[1, 4]``: a page is measured alone (its latency) and under load."""
    return [int(part) for part in text.split(",") if part.strip()]


def measure_pages(base: str, cases: dict[str, str], *, benchmark: str, cookie: str,
                  concurrencies: list[int], duration: float, target_p95_ms: float,
                  **fields) -> None:
    """Each page of ``cases`` (name -> path) at each concurrency, signed in with ``cookie``:
    one figure line each, with its p95 against the target."""
    for concurrency in concurrencies:
        for name, path in cases.items():
            result = load(base, [{"path": path}], concurrency=concurrency, duration=duration,
                          warmup=1, headers={"Cookie": cookie})
            stats = summary(result["latencies_ms"])
            app_ms = summary(result["server_timing_ms"].get("app", []))
            emit(benchmark, name, url=path, concurrency=concurrency,
                 requests=result["requests"], rps=result["rps"], statuses=result["statuses"],
                 errors=result["errors"], **stats, app_p95_ms=app_ms["p95_ms"],
                 target_p95_ms=target_p95_ms,
                 meets_target=stats["p95_ms"] is not None and stats["p95_ms"] <= target_p95_ms,
                 **fields)


def sign_in(base: str, email: str, password: str) -> str:
    """Log in over HTTP as a real browser would; the cookie header for the load generator."""
    with httpx.Client(base_url=base) as client:
        page = client.get("/account/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post("/account/login", data={
            "csrf_token": token, "email": email, "password": password})
        if response.status_code != 303:
            raise RuntimeError(f"login failed: {response.status_code}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


def measure_signed_in_pages(database: str, cases: dict[str, str], *, email: str,
                            password: str, concurrency: str, **options) -> None:
    """Serve the shop (no Stripe needed), sign in as ``email`` and :func:`measure_pages`."""
    with tempfile.TemporaryDirectory() as workdir:
        env = shop_env(database, sandbox_url="http://127.0.0.1:9", workdir=Path(workdir))
        with Server("wsgi:app", env=env, workdir=Path(workdir)) as server:
            measure_pages(server.url, cases, cookie=sign_in(server.url, email, password),
                          concurrencies=concurrency_levels(concurrency), **options)
