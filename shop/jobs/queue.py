"""RQ on REDIS_URL: the one place that enqueues."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from functools import lru_cache

from redis import Redis
from rq import Queue, Retry
from rq.exceptions import DuplicateJobError

from ..domain.retry import MAX_TRIES, retry_schedule

QUEUE_NAME = "default"


def job_retry(rand: Callable[[], float] = random.random) -> Retry:
    """A failing job is tried at most MAX_TRIES times, the waits growing exponentially with
    jitter (15 s, 30 s, 1 min, 2 min steps; each between half the step and the step) so that
    the jobs that failed in one outage do not all come back at the same second."""
    waits = retry_schedule(MAX_TRIES, rand=rand)
    return Retry(max=MAX_TRIES - 1, interval=[math.ceil(w.total_seconds()) for w in waits])


@lru_cache(maxsize=4)
def connection(url: str) -> Redis:
    # Short timeouts: with Redis away, a request that dispatches must not hang on it.
    return Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def enqueue(url: str, func_path: str, kwargs: dict, *, job_id: str) -> bool:
    """Put a job on the queue once; False if a job with this id is already in Redis."""
    queue = Queue(QUEUE_NAME, connection=connection(url))
    try:
        queue.enqueue(func_path, kwargs=kwargs, job_id=job_id, unique=True, retry=job_retry(),
                      description=f"{func_path}({kwargs})")
    except DuplicateJobError:
        return False
    return True
