"""RQ on REDIS_URL: the one place that enqueues."""

from __future__ import annotations

from functools import lru_cache

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

QUEUE_NAME = "default"
# Backoff between the tries of a failing job: 10 s, 30 s, 1 min, 5 min, 15 min.
RETRY = Retry(max=5, interval=[10, 30, 60, 300, 900])


@lru_cache(maxsize=4)
def connection(url: str) -> Redis:
    # Short timeouts: with Redis away, a request that dispatches must not hang on it.
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def enqueue(url: str, func_path: str, kwargs: dict, *, job_id: str) -> bool:
    """Put a job on the queue once; False if a job with this id is already in Redis."""
    queue = Queue(QUEUE_NAME, connection=connection(url))
    try:
        queue.enqueue(func_path, kwargs=kwargs, job_id=job_id, unique=True, retry=RETRY,
                      description=f"{func_path}({kwargs})")
    except DuplicateJobError:
        return False
    return True
