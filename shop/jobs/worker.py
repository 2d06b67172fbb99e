"""The shop's RQ worker class: ``rq worker -w shop.jobs.worker.Worker``.

RQ forks a work horse per job. Building the app and importing the jobs once in the parent
makes each job start in milliseconds instead of seconds; the parent never opens a database
connection, and each child drops the pool it inherited so no connection crosses a fork.
"""

from __future__ import annotations

import importlib
import os

from rq.worker import Worker as RQWorker

from .registry import JOBS
from .runtime import worker_app

_prepared = False


def _prepare() -> None:
    global _prepared
    if _prepared:
        return
    from ..extensions import db

    app = worker_app()
    for module in {path.rpartition(".")[0] for path in JOBS.values()} | {"shop.jobs.periodic"}:
        importlib.import_module(module)
    with app.app_context():
        engine = db.engine
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    _prepared = True


class Worker(RQWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _prepare()

    def subscribe(self):
        """RQ's own, with a 1 s read timeout instead of 60 s for the command channel's
        thread: redis-py (8.2) joins that thread when the worker stops it, so a worker that
        lost the race between the unsubscribe reply and the stop waited up to a minute to
        exit (every ``rq worker --burst`` run of the tests)."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler)
