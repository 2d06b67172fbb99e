"""Server-Timing: how long a request took, how much of it was spent waiting for Stripe, and
how much CPU the worker spent on it (wall ÷ CPU shows how long it waited for a core).

Off unless ``SERVER_TIMING`` is set: the benchmarks read it to separate the shop's own
overhead from the Stripe call, but a public shop should not tell everyone its internals.
"""

from __future__ import annotations

import time

from flask import Flask, current_app, g, has_request_context


def add_stripe_time(seconds: float) -> None:
    if has_request_context():
        g.stripe_seconds = g.get("stripe_seconds", 0.0) + seconds


def init_server_timing(app: Flask) -> None:
    @app.before_request
    def start_cpu_clock():
        if current_app.config.get("SERVER_TIMING"):
            g.request_cpu_started = time.thread_time()

    @app.after_request
    def add_server_timing(response):
        started = g.get("request_started")
        if current_app.config.get("SERVER_TIMING") and started is not None:
            # CPU first: its window then lies within the wall clock's.
            cpu_ms = (time.thread_time() - g.get("request_cpu_started", time.thread_time())) * 1000
            total_ms = (time.perf_counter() - started) * 1000
            stripe_ms = g.get("stripe_seconds", 0.0) * 1000
            response.headers["Server-Timing"] = (
                f"app;dur={total_ms:.2f}, stripe;dur={stripe_ms:.2f}, cpu;dur={cpu_ms:.2f}")
        return response
