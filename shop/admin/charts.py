"""Geometry of the dashboard's revenue chart, drawn as server-side SVG (no script, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 220
TOP, BOTTOM, LEFT, RIGHT = 12, 28, 8, 8


@dataclass(frozen=True)
class Bar:
    day: date
    amount: int
    x: float
    y: float
    width: float
    height: float
    label_x: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    bars: list[Bar]
    peak: tuple[date, int] | None
    total: int


def bar_chart(series: list[tuple[date, int]]) -> Chart:
    """Bars scaled to the largest day; a day with no revenue gets no bar, only its label."""
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(series))
    largest = max((amount for _, amount in series), default=0)
    bars = []
    for i, (day, amount) in enumerate(series):
        h = plot_h * amount / largest if largest else 0.0
        x = LEFT + i * slot + slot * 0.15
        bars.append(Bar(day, amount, round(x, 1), round(TOP + plot_h - h, 1),
                        round(slot * 0.7, 1), round(h, 1), round(x + slot * 0.35, 1)))
    peak = max(series, key=lambda item: item[1]) if largest else None
    return Chart(WIDTH, HEIGHT, TOP + plot_h, bars, peak, sum(a for _, a in series))
