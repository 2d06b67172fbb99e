import math
import random
from datetime import timedelta

import pytest

from shop.domain.retry import (
    BASE_DELAY,
    JOB_BASE_DELAY,
    JOB_MAX_DELAY,
    MAX_DELAY,
    MAX_TRIES,
    is_retryable,
    retries_exhausted,
    retry_delay,
    retry_schedule,
)
from shop.jobs.queue import job_retry


@pytest.mark.parametrize("code", ["api_connection_error", "rate_limit", "processing_error"])
def test_transient_failures_are_retried(code):
    assert is_retryable(code)


@pytest.mark.parametrize("code", ["card_declined", "insufficient_funds", "expired_card",
                                  "incorrect_cvc", "payment_intent_authentication_failure",
                                  None])
def test_declines_are_never_retried(code):
    assert not is_retryable(code)


def test_backoff_doubles_between_half_and_full_step():
    for count, step in [(1, 30), (2, 60), (3, 120), (4, 240)]:
        low = retry_delay(count, rand=lambda: 0.0)
        high = retry_delay(count, rand=lambda: 1.0)
        assert (low, high) == (timedelta(seconds=step / 2), timedelta(seconds=step))


def test_backoff_is_capped_and_jitter_spreads_it():
    assert retry_delay(50, rand=lambda: 1.0) == MAX_DELAY
    assert retry_delay(50, rand=lambda: 0.0) == MAX_DELAY / 2
    middle = retry_delay(1, rand=lambda: 0.5)
    assert BASE_DELAY / 2 < middle < BASE_DELAY


def test_attempt_count_starts_at_one():
    with pytest.raises(ValueError):
        retry_delay(0)


def test_a_schedule_with_a_fixed_seed_is_reproducible_and_jittered():
    first = retry_schedule(rand=random.Random(2026).random)
    assert first == retry_schedule(rand=random.Random(2026).random)
    assert first != retry_schedule(rand=random.Random(7).random)
    assert len(first) == MAX_TRIES - 1  # the first try, then the retries
    for failures, wait in enumerate(first, start=1):
        step = min(JOB_MAX_DELAY, JOB_BASE_DELAY * 2 ** (failures - 1))
        assert step / 2 <= wait <= step


def test_a_schedule_grows_exponentially_and_stops_at_its_cap():
    low = retry_schedule(8, cap=timedelta(minutes=1), rand=lambda: 0.0)
    assert [w.total_seconds() for w in low] == [7.5, 15, 30, 30, 30, 30, 30]
    assert retry_schedule(1) == []
    with pytest.raises(ValueError):
        retry_schedule(0)


def test_tries_are_exhausted_at_the_maximum():
    assert not retries_exhausted(MAX_TRIES - 1)
    assert retries_exhausted(MAX_TRIES)


def test_each_job_carries_its_own_jittered_schedule():
    retry = job_retry(rand=random.Random(1).random)
    assert retry.max == MAX_TRIES - 1
    expected = [math.ceil(w.total_seconds())
                for w in retry_schedule(rand=random.Random(1).random)]
    assert retry.intervals == expected
    assert job_retry(rand=random.Random(2).random).intervals != expected
