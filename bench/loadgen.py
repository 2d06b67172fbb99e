"""The load generator: a separate process that drives HTTP requests at a server on loopback.

    echo '{"base": "http://127.0.0.1:8000", "requests": [{"path": "/"}], "concurrency": 8,
           "duration": 5}' | python -m bench.loadgen

Reads one JSON spec on stdin and prints one JSON result on stdout. ``concurrency``
connections (httpx, asyncio, keep-alive) each send one request at a time:

- ``mode: "cycle"`` (default) repeats the request list round-robin for ``duration`` seconds
  after ``warmup`` seconds whose requests are not counted;
- ``mode: "once"`` sends every request of the list exactly once (webhook deliveries, each
  for a distinct order), ``duration`` then being only a safety limit.

A request is ``{"method": "GET", "path": "/", "headers": {}, "body": "..."}``; only ``path``
is required. The result has the count, statuses, errors, requests per second, every latency
in milliseconds (so that alternating runs can be merged before taking percentiles) and,
when the server sends ``Server-Timing``, its ``app`` and ``stripe`` durations per request.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from collections import Counter

import httpx

_TIMING = re.compile(r"(\w+);dur=([0-9.]+)")


def server_timing(header: str | None) -> dict[str, float]:
    return {name: float(value) for name, value in _TIMING.findall(header or "")}


async def _drive(spec: dict) -> dict:
    requests = spec["requests"]
    concurrency = int(spec.get("concurrency", 8))
    mode = spec.get("mode", "cycle")
    duration = float(spec.get("duration", 5))
    warmup = float(spec.get("warmup", 0)) if mode == "cycle" else 0.0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    statuses: Counter = Counter()
    latencies: list[float] = []
    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    started = time.perf_counter()
    measure_from = started + warmup
    deadline = measure_from + duration
    queue = iter(range(len(requests))) if mode == "once" else None
    counter = iter(range(10**12))

    async with httpx.AsyncClient(base_url=spec["base"], limits=limits, timeout=60,
                                 headers=spec.get("headers", {})) as client:
        async def worker() -> None:
            while time.perf_counter() < deadline:
                index = next(queue, None) if queue is not None else next(counter) % len(
                    requests)
                if index is None:
                    return
                item = requests[index]
                sent = time.perf_counter()
                try:
                    response = await client.request(
                        item.get("method", "GET"), item["path"],
                        headers=item.get("headers"), content=item.get("body"))
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                    continue
                done = time.perf_counter()
                if sent < measure_from:
                    continue
                statuses[str(response.status_code)] += 1
                latencies.append((done - sent) * 1000)
                for name, value in server_timing(response.headers.get("Server-Timing")).items():
                    timings.setdefault(name, []).append(value)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - max(started, measure_from)
    return {"requests": len(latencies), "statuses": dict(statuses), "errors": len(errors),
            "error_kinds": dict(Counter(errors)), "seconds": round(elapsed, 3),
            "rps": round(len(latencies) / elapsed, 1) if elapsed > 0 else 0.0,
            "latencies_ms": [round(x, 3) for x in latencies], "server_timing_ms": timings}


def main() -> int:
    spec = json.load(sys.stdin)
    print(json.dumps(asyncio.run(_drive(spec))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
