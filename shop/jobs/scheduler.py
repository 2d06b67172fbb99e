"""The periodic jobs on their schedule in this process: ``flask shop run-periodic --loop``.

What ``rq cron`` does with Redis, for a shop without it (``make dev`` starts it next to the
server): hold expiry, the unpaid-order cancel and reconciliation then happen by themselves,
as the admin pages say. One loop per database (a lock file named after the database URL);
SIGTERM or Ctrl-C stops it between two jobs, never in the middle of one.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from croniter import croniter

from .periodic import Periodic

log = logging.getLogger(__name__)


class AlreadyRunning(RuntimeError):
    """Another loop holds the lock of this database."""


def lock_path(database_url: str) -> Path:
    # The URL may carry a password: only its digest goes into the file name.
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"shop-periodic-{digest}.lock"


@contextmanager
def database_lock(database_url: str) -> Iterator[None]:
    """Held while the loop runs; the kernel lets go of it if the process dies."""
    path = lock_path(database_url)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise AlreadyRunning(f"the periodic jobs already run for this database "
                                 f"(lock {path})") from exc
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def next_run(job: Periodic, after: float, every: float | None = None) -> float:
    """When ``job`` is due next after ``after`` (epoch seconds): its interval, its crontab
    (in local time, as ``rq cron`` reads it), or ``every`` seconds when given."""
    if every is not None:
        return after + every
    if job.interval is not None:
        return after + job.interval
    local = datetime.fromtimestamp(after, tz=UTC).astimezone()
    return croniter(job.cron, local).get_next(float)


def run_loop(jobs: Sequence[Periodic], *, stop: threading.Event,
             run: Callable[[Periodic], None], every: float | None = None,
             clock: Callable[[], float] = time.time) -> None:
    """Run every job once now, then each whenever it is due, until ``stop`` is set."""
    now = clock()
    due = {job.name: now for job in jobs}
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                return
            if clock() >= due[job.name]:
                run(job)
                due[job.name] = next_run(job, clock(), every)
        stop.wait(max(0.0, min(due.values()) - clock()))


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT (the handlers are put back afterwards)."""
    stop = threading.Event()

    def handler(signum, frame):  # noqa: ARG001 - the signal API's signature
        log.info("periodic jobs: %s, stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
