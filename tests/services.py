"""Real services for the tests: the loopback Stripe sandbox, PostgreSQL and Redis.

Under REQUIRE_SERVICES=1 (CI) a missing service fails the run instead of skipping.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def require_services() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "") == "1"


def missing(reason: str):
    if require_services():
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sandbox:
    """A ``sandbox`` process on a free loopback port."""

    def __init__(self, *, webhook_url: str | None = None, webhook_secret: str | None = None,
                 webhook_delay: float = 0.2, extra_args: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "sandbox", "--port", str(self.port)]
        if webhook_url:
            args += ["--webhook-url", webhook_url, "--webhook-secret", webhook_secret,
                     "--webhook-delay", str(webhook_delay)]
        args += list(extra_args)
        self.process = subprocess.Popen(  # noqa: S603 - our own module
            args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if "ready" in line:
                return
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("the Stripe sandbox did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process.stdout:
            self.process.stdout.close()


def _admin_url(url: str):
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed, parsed.set(drivername="postgresql", database="postgres") \
        .render_as_string(hide_password=False)


def create_private_database(url: str) -> str:
    """A database of this run's own beside ``url``'s, so that two copies of the suite on one
    server never share tables (dropped by ``drop_private_database``)."""
    import secrets

    import psycopg

    parsed, admin = _admin_url(url)
    name = f"{parsed.database}_run_{os.getpid()}_{secrets.token_hex(3)}"
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        missing(f"cannot create a private test database beside {parsed.database}: {exc}")
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_private_database(url: str) -> None:
    """Drop the run's database and the ones made beside it (``<name>_load``)."""
    import psycopg

    parsed, admin = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in (parsed.database, f"{parsed.database}_load"):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
