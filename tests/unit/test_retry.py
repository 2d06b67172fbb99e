from datetime import timedelta

import pytest

from shop.domain.retry import BASE_DELAY, MAX_DELAY, is_retryable, retry_delay


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
