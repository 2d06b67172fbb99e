"""The peer benchmark's own logic (bench/peers): its loops count right, it says when ours
slips below the guard, a failed run is a failed run, and without Saleor it says how to
start it. Saleor itself is not needed: GraphQL answers come from a loopback server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import httpx
import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bench.peers import saleor
from bench.peers.__main__ import alternate, closed_loop, report
from tests.services import ROOT, free_port

SCRIPT = ROOT / "bench" / "peers" / "saleor.sh"


class Client:
    """A checkout client for ``closed_loop``: fails every third call, counts closes."""

    closed = 0

    def __init__(self, counted: float | None):
        self.counted = counted
        self.calls = 0

    def __call__(self) -> float | None:
        self.calls += 1
        if self.calls % 3 == 0:
            raise RuntimeError("declined")
        return self.counted

    def close(self) -> None:
        Client.closed += 1


def test_closed_loop_counts_completions_and_errors_apart_and_closes_its_clients():
    Client.closed = 0
    result = closed_loop(lambda _i: Client(0.25), clients=3, seconds=0.2)

    assert result["requests"] > 0 and result["errors"] > 0
    assert result["first_error"] == "RuntimeError: declined"
    # The client's own figure is the latency (ours counts two of its five requests).
    assert set(result["latencies_ms"]) == {250.0}
    assert Client.closed == 3


def test_alternate_takes_turns_and_merges_each_sides_rounds():
    order: list[str] = []

    def measure(name: str, requests: int):
        def run() -> dict:
            order.append(name)
            return {"requests": requests, "seconds": 1.0, "errors": 0,
                    "latencies_ms": [float(requests)] * requests, "statuses": {"200": requests}}
        return run

    pid = os.getpid()
    result = alternate({"ours": (pid, None, measure("ours", 10)),
                        "saleor": (pid, None, measure("saleor", 2))}, rounds=3)

    assert order == ["ours", "saleor", "saleor", "ours", "ours", "saleor"]
    assert result["ours"]["rps"] == 10.0 and result["saleor"]["rps"] == 2.0
    assert result["ours"]["statuses"] == {"200": 30} and result["saleor"]["requests"] == 6
    assert result["ours"]["rps_per_core"] == round(10.0 / (os.cpu_count() or 1), 2)


def side(rps: float, cpu_ms: float, **extra) -> dict:
    return {"rps": rps, "cpu_ms_per_request": cpu_ms, "p95_ms": 1000 / rps, "errors": 0,
            "requests": 100, "statuses": {"200": 100}, **extra}


def test_report_warns_when_ours_is_below_ten_times_and_not_when_above(capsys):
    assert report("list", {"ours": side(400, 6), "saleor": side(16, 115)}, concurrency=8)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    ratio = next(line for line in lines if line["figure"] == "list_ratio")
    assert (ratio["rps_ratio"], ratio["meets_guard"]) == (25.0, True)

    assert report("product", {"ours": side(100, 6), "saleor": side(16, 115)}, concurrency=8)
    captured = capsys.readouterr()
    assert "WARNING peers product: ours is below 10x Saleor (rps ratio 6.2" in captured.err


def test_report_fails_a_run_that_measured_errors_or_other_statuses():
    assert not report("list", {"ours": side(400, 6, statuses={"200": 90, "500": 10}),
                               "saleor": side(16, 115)})
    assert not report("list", {"ours": side(400, 6), "saleor": side(16, 115, errors=3)})


@pytest.fixture
def graphql_server():
    answers: list[tuple[int, dict]] = []

    @Request.application
    def app(request):
        status, body = answers.pop(0)
        return Response(json.dumps(body), status=status, content_type="application/json")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}") as client:
        yield client, answers
    server.shutdown()


def test_graphql_errors_in_a_200_or_in_a_mutation_payload_raise(graphql_server):
    client, answers = graphql_server
    answers += [(200, {"data": {"products": None},
                       "errors": [{"message": "PermissionDenied"}]}),
                (200, {"data": {"checkoutComplete": {"order": None,
                                                     "errors": [{"code": "INSUFFICIENT_STOCK"}]}}}),
                (200, {"data": {"products": {"edges": []}}})]

    with pytest.raises(saleor.GraphQLError, match="PermissionDenied"):
        saleor.call(client, saleor.PRODUCT_LIST, {"channel": "c"})
    with pytest.raises(saleor.GraphQLError, match="INSUFFICIENT_STOCK"):
        saleor.call(client, saleor.COMPLETE, {"id": "x"})
    assert saleor.call(client, saleor.PRODUCT_LIST, {"channel": "c"}) == {
        "products": {"edges": []}}


def test_without_saleor_the_bench_says_how_to_start_it_and_exits_non_zero(tmp_path):
    env = {**os.environ, "SALEOR_URL": f"http://127.0.0.1:{free_port()}",
           # Never reached: the check comes before the database is touched.
           "BENCH_DATABASE_URL": f"sqlite:///{tmp_path / 'untouched.db'}"}
    done = subprocess.run([sys.executable, "-m", "bench.peers"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 2
    assert "Saleor is not running" in done.stderr
    assert "bench/peers/saleor.sh <saleor source>" in done.stderr
    assert not (tmp_path / "untouched.db").exists()


def test_setup_script_without_source_lists_what_it_could_not_do(tmp_path):
    env = {**os.environ, "SALEOR_DIR": str(tmp_path / "saleor")}
    env.pop("SALEOR_SOURCE", None)
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60, check=False)

    assert done.returncode == 1
    assert "could not do:" in done.stderr
    assert "source: give Saleor's source" in done.stderr
    assert not (tmp_path / "saleor" / "venv").exists()


def test_setup_script_refuses_a_source_that_is_not_saleor(tmp_path):
    (tmp_path / "not-saleor").mkdir()
    env = {**os.environ, "SALEOR_DIR": str(tmp_path / "saleor")}
    done = subprocess.run(["bash", str(SCRIPT), str(tmp_path / "not-saleor")], env=env,
                          capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 1
    assert "is neither a work tree with manage.py nor a git directory" in done.stderr
