"""Real services for the background tests: Redis (the shared one on our DB, or a private
``redis-server`` a test can stop), RQ workers in burst mode, an SMTP server on loopback."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis
from redis.exceptions import RedisError

from .services import ROOT, free_port, missing

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/4"


def redis_available(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=1).ping())
    except RedisError:
        return False


@pytest.fixture(scope="session")
def session_redis():
    """TEST_REDIS_URL when set; else a redis-server of this run's own, so that two copies
    of the suite on one machine never empty each other's queues; else the machine's."""
    url = os.environ.get("TEST_REDIS_URL")
    if url or shutil.which("redis-server") is None:
        yield url or DEFAULT_REDIS_URL
        return
    server = PrivateRedis()
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def redis_url(session_redis) -> str:
    """Our own Redis database, emptied (FLUSHDB on that database only)."""
    url = session_redis
    if not redis_available(url):
        missing(f"Redis is not reachable at {url}")
    Redis.from_url(url).flushdb()
    return url


@contextmanager
def app_settings(app, **settings):
    """Change the shared test app's settings for one test, then put them back."""
    saved = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    try:
        yield app
    finally:
        app.config.update(saved)


def worker_env(app) -> dict[str, str]:
    """The environment that makes ``create_app()`` in a worker build the test app's twin."""
    c = app.config
    env = {
        **os.environ,
        "SHOP_ENV": "testing", "SECRET_KEY": c["SECRET_KEY"],
        "DATABASE_URL": c["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": c["REDIS_URL"] or "",
        "STRIPE_SECRET_KEY": c["STRIPE_SECRET_KEY"],
        "STRIPE_PUBLISHABLE_KEY": c["STRIPE_PUBLISHABLE_KEY"],
        "STRIPE_WEBHOOK_SECRET": c["STRIPE_WEBHOOK_SECRET"],
        "STRIPE_API_BASE": c["STRIPE_API_BASE"], "STRIPE_MAX_NETWORK_RETRIES": "0",
        "MAIL_OUTBOX_DIR": c["MAIL_OUTBOX_DIR"], "BASE_URL": c["BASE_URL"],
        "HOLD_TTL_MINUTES": str(c["HOLD_TTL_MINUTES"]),
        "UNPAID_ORDER_TTL_HOURS": str(c["UNPAID_ORDER_TTL_HOURS"]),
        "AUTO_REFUND_OUT_OF_STOCK": "1" if c["AUTO_REFUND_OUT_OF_STOCK"] else "0",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("MAIL_SERVER", None)
    if c.get("MAIL_SERVER"):
        env.update(MAIL_SERVER=c["MAIL_SERVER"], MAIL_PORT=str(c["MAIL_PORT"]))
    return env


def run_worker(app, *, timeout: float = 120) -> str:
    """``rq worker --burst`` in its own process: runs every queued job, then exits."""
    from shop.extensions import db

    db.session.commit()  # what the test wrote is visible, and no SQLite lock is held
    result = subprocess.run(  # noqa: S603 - our own interpreter and rq's CLI
        [sys.executable, "-m", "rq.cli", "worker", "--burst", "--url", app.config["REDIS_URL"],
         "--worker-class", "shop.jobs.worker.Worker",
         "--name", f"test-{time.monotonic_ns()}", "default"],
        cwd=ROOT, env=worker_env(app), capture_output=True, text=True, timeout=timeout)
    db.session.rollback()  # read what the worker wrote
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


class PrivateRedis:
    """A ``redis-server`` of our own that a test may stop and start again on the same port."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            missing("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the system's redis-server
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not redis_available(self.url):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis():
    server = PrivateRedis()
    yield server
    server.stop()


class SmtpSink:
    """An SMTP server on loopback (aiosmtpd) that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self._cond = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()

    @property
    def port(self) -> int:
        return self.controller.port

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10) -> list[EmailMessage]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.messages) >= count, timeout=timeout)
            return list(self.messages)

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    yield sink
    sink.stop()


class HoldingSmtpSink(SmtpSink):
    """An SMTP sink that never answers the first message's DATA: its sender waits inside the
    SMTP send until it is killed (or gives up). Later messages are accepted as usual."""

    def __init__(self):
        self.holding = threading.Event()  # set once a sender is waiting on us
        self._held = False
        super().__init__()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        with self._cond:
            hold, self._held = not self._held, True
        if hold:
            self.holding.set()
            # Never resolved: cancelled when the sender's connection drops or the sink stops.
            await asyncio.get_running_loop().create_future()
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding_smtp():
    sink = HoldingSmtpSink()
    yield sink
    sink.stop()


def start_worker(app, *, scheduler: bool, log: Path) -> subprocess.Popen:
    """``rq worker`` (not burst) in its own process, as the Procfile runs it; output to ``log``."""
    from shop.extensions import db

    db.session.commit()
    args = [sys.executable, "-m", "rq.cli", "worker", "--url", app.config["REDIS_URL"],
            "--worker-class", "shop.jobs.worker.Worker", "--name",
            f"test-{time.monotonic_ns()}", "--maintenance-interval", "120", "default"]
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(  # noqa: S603 - our own interpreter and rq's CLI
            args + (["--with-scheduler"] if scheduler else []), cwd=ROOT, env=worker_env(app),
            stdout=output, stderr=subprocess.STDOUT)


def work_horse(worker: subprocess.Popen) -> int:
    """The process the worker forked for its current job (RQ puts it in its own group)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        pid, ppid = int(entry.name), int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == worker.pid and os.getpgid(pid) == pid:
            return pid
    raise AssertionError(f"worker {worker.pid} has no work horse")


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
