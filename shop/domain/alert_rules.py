"""Threshold alerts as plain rules: from a store's figures and thresholds, what is wrong.

The services measure (``services/platform/thresholds.py``); these functions decide. A ratio
over fewer than ``min_sample`` cases is never a breach: one decline in a quiet hour is not
worth paging an owner. Every finding carries its window: an open alert resolves itself
once its condition has been clear for that long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

LOW_SUCCESS_RATE = "payment_success_low"
WEBHOOK_FAILURES = "webhook_failures_high"
HOLD_LAPSES = "hold_lapses_high"
STUCK_AUTHORIZING = "payment_stuck_authorizing"
THRESHOLD_KINDS = (LOW_SUCCESS_RATE, WEBHOOK_FAILURES, HOLD_LAPSES, STUCK_AUTHORIZING)

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Thresholds:
    """A store's thresholds, percentages in whole percent."""

    success_rate_min: int
    min_sample: int
    webhook_failure_max: int
    hold_lapse_max: int


@dataclass(frozen=True)
class Ratio:
    part: int
    whole: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.part / self.whole, 1) if self.whole else None


@dataclass(frozen=True)
class Finding:
    kind: str
    breached: bool
    window: timedelta  # measured over, and clear for this long before resolving
    figures: dict
    message: str


def _breached(ratio: Ratio, t: Thresholds, threshold: int, *, below: bool) -> bool:
    """A ratio over at least the minimum sample that is past its threshold: under it for a
    success rate (``below``), over it for a failure rate. A quiet shop never breaches."""
    rate = ratio.percent
    if ratio.whole < t.min_sample or rate is None:
        return False
    return rate < threshold if below else rate > threshold


def success_rate(succeeded: Ratio, t: Thresholds) -> Finding:
    """``succeeded``: successful payments of all finished tries (declines, failed 3-D Secure
    and abandoned attempts included) over the last hour."""
    rate = succeeded.percent
    return Finding(
        LOW_SUCCESS_RATE, _breached(succeeded, t, t.success_rate_min, below=True), HOUR,
        {"rate": rate, "succeeded": succeeded.part, "sample": succeeded.whole,
         "threshold": t.success_rate_min, "min_sample": t.min_sample, "window": "1 hour"},
        f"Only {rate} % of payments succeeded in the last hour ({succeeded.part} of "
        f"{succeeded.whole} tries; alert below {t.success_rate_min} %). Check the payments "
        "page for the decline codes and Stripe's status.")


def webhook_failures(failed: Ratio, t: Thresholds) -> Finding:
    rate = failed.percent
    return Finding(
        WEBHOOK_FAILURES, _breached(failed, t, t.webhook_failure_max, below=False), HOUR,
        {"rate": rate, "failed": failed.part, "sample": failed.whole,
         "threshold": t.webhook_failure_max, "min_sample": t.min_sample, "window": "1 hour"},
        f"{rate} % of the Stripe webhook events of the last hour failed to process "
        f"({failed.part} of {failed.whole}; alert above {t.webhook_failure_max} %). See the "
        "webhooks page: failed events can be replayed once the cause is fixed.")


def hold_lapses(lapsed: Ratio, t: Thresholds) -> Finding:
    rate = lapsed.percent
    return Finding(
        HOLD_LAPSES, _breached(lapsed, t, t.hold_lapse_max, below=False), DAY,
        {"rate": rate, "lapsed": lapsed.part, "sample": lapsed.whole,
         "threshold": t.hold_lapse_max, "min_sample": t.min_sample, "window": "1 day"},
        f"{rate} % of the stock holds placed in the last day lapsed unpaid ({lapsed.part} of "
        f"{lapsed.whole}; alert above {t.hold_lapse_max} %). Shoppers are leaving at the "
        "payment step: try a checkout yourself.")


def stuck_authorizing(attempt_ids: list[int], stuck_after: timedelta) -> Finding:
    """Attempts authorizing for longer than ``stuck_after`` (reconciliation's threshold)."""
    minutes = int(stuck_after.total_seconds() // 60)
    shown = ", ".join(str(i) for i in attempt_ids[:10])
    return Finding(
        STUCK_AUTHORIZING, bool(attempt_ids), stuck_after,
        {"count": len(attempt_ids), "attempt_ids": attempt_ids[:10],
         "threshold_minutes": minutes},
        f"{len(attempt_ids)} payment(s) have been authorizing for over {minutes} minutes "
        f"(attempts {shown}). Reconciliation asks Stripe about them; if they stay, open "
        "them at Stripe.")
