"""Each request of a list sent exactly once by ``wrk`` (C, epoll), one connection per
concurrent client: the latency figures of a Python load generator include a few
milliseconds of its own (httpx answered a trivial page in 3.1 ms at p50 where wrk saw 0.6 ms,
docs/performance.md), which a target of 20 ms cannot absorb.

    once(base, requests, concurrency=1) -> the result ``harness.load`` returns

Requests are ``{"method", "path", "headers", "body"}`` like ``bench/loadgen.py``'s. Needs
``wrk`` (Debian's package; ``make bench`` installs it when missing and it can).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_once.lua")
MARK = "WRK_RESULT "


def available() -> bool:
    return shutil.which("wrk") is not None


def _line(request: dict) -> str:
    headers = request.get("headers") or {}
    fields = [request.get("method", "GET"), request["path"], str(len(headers))]
    for name, value in headers.items():
        fields += [name, value]
    fields.append(request.get("body") or "")
    if any("\t" in f or "\n" in f for f in fields):
        raise ValueError("a request field holds a tab or a newline; wrk_once.lua cannot read it")
    return "\t".join(fields)


def once(base: str, requests: list[dict], *, concurrency: int = 1,
         timeout: float = 600) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="wrk-"))
    listing = workdir / "requests.tsv"
    listing.write_text("".join(_line(r) + "\n" for r in requests))
    clients = max(1, min(concurrency, len(requests)))
    done_dir = workdir / "done"
    done_dir.mkdir()
    process = subprocess.Popen(
        ["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{int(timeout)}s",
         "--timeout", "60s", "-s", str(SCRIPT), base, "--", str(listing), str(done_dir),
         str(clients)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout + 30
    # wrk sleeps for all of -d: once every thread has marked itself done, SIGINT ends it.
    while len(list(done_dir.iterdir())) < clients and process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("wrk did not finish")
        time.sleep(0.05)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    shutil.rmtree(workdir, ignore_errors=True)
    found = [line for line in out.splitlines() if line.startswith(MARK)]
    if not found:
        raise RuntimeError(f"wrk gave no result:\n{out}\n{err}")
    raw = json.loads(found[-1][len(MARK):])
    count = len(raw["latencies_ms"])
    seconds = raw["seconds"]
    timings = {name: raw[name] for name in ("app", "stripe") if raw[name]}
    return {"requests": count, "statuses": raw["statuses"], "errors": raw["errors"],
            "seconds": round(seconds, 3), "rps": round(count / seconds, 1) if seconds else 0.0,
            "latencies_ms": raw["latencies_ms"], "server_timing_ms": timings,
            "extra_requests": raw["extra"], "driver": "wrk"}
