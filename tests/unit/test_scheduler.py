"""The in-process schedule of the periodic jobs (shop/jobs/scheduler.py), on a fake clock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from shop.jobs.periodic import PERIODIC, Periodic, by_name
from shop.jobs.scheduler import AlreadyRunning, database_lock, next_run, run_loop

# Crontabs are read in local time, as rq cron reads them.
LOCAL = datetime.now(UTC).astimezone().tzinfo


def test_next_run_follows_interval_crontab_or_every():
    now = datetime(2026, 12, 7, 11, 3, 20, tzinfo=LOCAL).timestamp()
    assert next_run(by_name("expire_holds"), now) == now + 60
    assert next_run(by_name("cancel_unpaid_orders"), now) == \
        datetime(2026, 12, 7, 11, 15, tzinfo=LOCAL).timestamp()  # */15
    assert next_run(by_name("purge_outbox"), now) == \
        datetime(2026, 12, 8, 3, 43, tzinfo=LOCAL).timestamp()
    assert next_run(by_name("purge_outbox"), now, every=5) == now + 5
    assert all(next_run(job, now) > now for job in PERIODIC)


class FakeClock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_each_job_runs_now_and_then_when_due_until_stopped():
    clock, stop, ran = FakeClock(), threading.Event(), []
    jobs = [Periodic("fast", lambda: None, interval=60), Periodic("slow", lambda: None,
                                                                  interval=600)]

    def run(job):
        ran.append((job.name, clock.now))
        if len(ran) == 13:
            stop.set()

    class Wait(threading.Event):
        def wait(self, timeout=None):  # the loop sleeps until the next job is due
            clock.now += timeout
            return stop.is_set()

        def is_set(self):
            return stop.is_set()

    run_loop(jobs, stop=Wait(), run=run, clock=clock)
    start = 1_000_000.0
    assert ran[:3] == [("fast", start), ("slow", start), ("fast", start + 60)]
    assert [t for name, t in ran if name == "slow"] == [start, start + 600]
    assert len(ran) == 13


def test_a_set_stop_event_runs_nothing():
    stop = threading.Event()
    stop.set()
    ran = []
    run_loop(list(PERIODIC), stop=stop, run=ran.append)
    assert ran == []


def test_one_lock_per_database_url(tmp_path):
    with database_lock(f"sqlite:///{tmp_path}/a.db"):
        with pytest.raises(AlreadyRunning), database_lock(f"sqlite:///{tmp_path}/a.db"):
            pass
        with database_lock(f"sqlite:///{tmp_path}/b.db"):
            pass
    with database_lock(f"sqlite:///{tmp_path}/a.db"):
        pass
