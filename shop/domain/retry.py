"""When a failed authorization is worth trying again, and when."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta

# Failures of the path to the card network, not of the card: trying later may succeed.
# A decline (card_declined, insufficient_funds, expired_card, …) never is.
RETRYABLE_CODES = frozenset({
    "api_connection_error",
    "rate_limit",
    "rate_limit_error",
    "lock_timeout",
    "processing_error",
})

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)

# Seed 003: a background job, and the creation of a PaymentIntent, is tried at most five
# times in all (the first try and four retries); after that a person has to look.
MAX_TRIES = 5
JOB_BASE_DELAY = timedelta(seconds=15)
JOB_MAX_DELAY = timedelta(minutes=15)


def is_retryable(code: str | None) -> bool:
    return code in RETRYABLE_CODES


def retry_delay(
    attempt_count: int, *, base: timedelta = BASE_DELAY, cap: timedelta = MAX_DELAY,
    rand: Callable[[], float] = random.random,
) -> timedelta:
    """Exponential backoff with "equal jitter": half the step fixed, half random.

    ``attempt_count`` is how many failures there have been (1 after the first). The fixed
    half keeps retries from bunching near zero; the random half spreads many failed
    attempts apart so they do not all come back at the same instant.
    """
    if attempt_count < 1:
        raise ValueError("attempt_count starts at 1")
    exponent = min(attempt_count - 1, 30)  # 2**30 × 30 s is far past any cap
    step = min(cap, base * (2**exponent))
    return step / 2 + step / 2 * rand()


def retry_schedule(
    tries: int = MAX_TRIES, *, base: timedelta = JOB_BASE_DELAY, cap: timedelta = JOB_MAX_DELAY,
    rand: Callable[[], float] = random.random,
) -> list[timedelta]:
    """The waits before each retry of something tried at most ``tries`` times in all:
    ``retry_delay`` of each failure, drawn once (a job carries its whole schedule)."""
    if tries < 1:
        raise ValueError("something is tried at least once")
    return [retry_delay(failures, base=base, cap=cap, rand=rand) for failures in range(1, tries)]


def retries_exhausted(failures: int, tries: int = MAX_TRIES) -> bool:
    """Whether ``failures`` failed tries used up all ``tries``."""
    return failures >= tries
