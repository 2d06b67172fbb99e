"""Background jobs. With REDIS_URL they go to RQ; without it they run in-process.

Jobs take ids, reload what they need and may run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

_worker_app = None


def _app():
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app()
    return _worker_app


def enqueue(job: Callable, *args) -> None:
    """Run ``job`` soon: on an RQ worker when Redis is configured, else right now."""
    url = current_app.config.get("REDIS_URL")
    if url:
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue, Retry

        try:
            queue = Queue("default", connection=Redis.from_url(url, socket_timeout=2))
            queue.enqueue(job, *args, retry=Retry(max=5, interval=[10, 30, 60, 300, 900]))
            return
        except RedisError:
            log.warning("Redis unavailable, running job in-process",
                        extra={"job": job.__name__}, exc_info=True)
    try:
        job(*args)
    except Exception:
        # Only notifications run here; the state they report is already committed.
        log.exception("in-process job failed", extra={"job": job.__name__})


def send_receipt_job(order_id: int) -> bool:
    from .services.notifications import send_receipt

    app = _app()
    with app.app_context(), app.test_request_context(base_url=app.config.get("BASE_URL")):
        return send_receipt(order_id)
