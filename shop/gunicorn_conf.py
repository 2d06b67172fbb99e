"""gunicorn settings for the shop: ``gunicorn -c python:shop.gunicorn_conf wsgi:app``.

Any of these can still be overridden on the command line (``-w 8``, ``-b ...``).
"""

import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = 30
graceful_timeout = 30


def on_starting(server):
    """Start with an empty metrics directory: samples of dead processes must not linger."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
