"""The benchmark harness's own arithmetic and load generator: figures are only worth
something if the tool counts right."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bench import wrk_driver
from bench.harness import load, percentile, summary
from bench.loadgen import server_timing
from tests.services import ROOT, free_port, missing


def test_server_timing_header_is_parsed_into_named_durations():
    assert server_timing("app;dur=12.50, stripe;dur=3") == {"app": 12.5, "stripe": 3.0}
    assert server_timing(None) == {}


def test_percentiles_of_a_known_distribution():
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.95) == 95.0
    figures = summary(values)
    assert (figures["p50_ms"], figures["p95_ms"], figures["max_ms"]) == (50.5, 95.0, 100.0)
    assert summary([])["p95_ms"] is None


@pytest.fixture
def counting_server():
    hits: Counter = Counter()
    lock = threading.Lock()

    @Request.application
    def app(request):
        with lock:
            hits[request.path] += 1
            seen[request.path] = (request.get_data(as_text=True),
                                  request.headers.get("Stripe-Signature"))
        return Response("ok", headers={"Server-Timing": "app;dur=2.0, stripe;dur=0.5"})

    seen: dict[str, tuple[str, str | None]] = {}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits, seen
    server.shutdown()


def test_once_mode_sends_every_request_exactly_once(counting_server):
    base, hits, _ = counting_server
    requests = [{"path": f"/event/{n}", "method": "POST", "body": "{}"} for n in range(40)]

    result = load(base, requests, mode="once", concurrency=6, duration=60)

    assert result["requests"] == 40 and result["statuses"] == {"200": 40}
    assert hits == Counter({f"/event/{n}": 1 for n in range(40)})
    assert result["server_timing_ms"]["stripe"] == [0.5] * 40


@pytest.mark.parametrize("concurrency", [1, 3])
def test_wrk_sends_every_request_exactly_once_with_its_headers_and_body(counting_server,
                                                                        concurrency):
    if not wrk_driver.available():
        missing("wrk is not installed (make wrk)")
    base, hits, seen = counting_server
    requests = [{"path": f"/event/{n}", "method": "POST", "body": f'{{"id": "evt_{n}"}}',
                 "headers": {"Content-Type": "application/json", "Stripe-Signature": f"t={n}"}}
                for n in range(25)]

    result = wrk_driver.once(base, requests, concurrency=concurrency)

    # wrk asks the script for a request once more at start, only to look at it: that one
    # must not be lost (the first delivery skipped) nor sent twice.
    assert +Counter({p: n for p, n in hits.items() if p != "/healthz"}) == \
        Counter({f"/event/{n}": 1 for n in range(25)})
    assert seen["/event/7"] == ('{"id": "evt_7"}', "t=7")
    assert result["requests"] == 25 and result["statuses"] == {"200": 25}
    # A client done before the others sends unmeasured /healthz until all are done.
    assert hits["/healthz"] == result["extra_requests"]
    assert result["server_timing_ms"] == {"app": [2.0] * 25, "stripe": [0.5] * 25}
    assert len(result["latencies_ms"]) == 25 and min(result["latencies_ms"]) > 0


def hello_app(environ, start_response):
    """What the gunicorn test below serves: ``/slow/...`` takes 50 ms."""
    if environ["PATH_INFO"].startswith("/slow/"):
        time.sleep(0.05)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def test_wrk_leaves_no_idle_connection_while_others_still_send(tmp_path):
    """gunicorn's sync workers serve one connection at a time and close it; wrk reconnects
    at once. A client done with its share early must not leave an open connection without a
    request: two of those hold both workers, and the other clients' deliveries wait for the
    worker timeout (the first make bench with wrk had a 34 s request that way)."""
    if not wrk_driver.available():
        missing("wrk is not installed (make wrk)")
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-t", "3", "-b", f"127.0.0.1:{port}",
             "tests.unit.test_bench_harness:hello_app"], cwd=ROOT, stdout=out, stderr=out)
        try:
            wait_for_port(port)
            # Client 0 gets every fifth request: the slow ones. The four others are done
            # long before it.
            requests = [{"path": f"/{'slow' if n % 5 == 0 else 'fast'}/{n}"}
                        for n in range(60)]
            result = wrk_driver.once(f"http://127.0.0.1:{port}", requests, concurrency=5,
                                     timeout=60)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert result["requests"] == 60 and result["statuses"] == {"200": 60}
    assert "WORKER TIMEOUT" not in log.read_text()


def wait_for_port(port: int, attempts: int = 200) -> None:
    for _ in range(attempts):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")
