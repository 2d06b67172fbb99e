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
