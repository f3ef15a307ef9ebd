"""The dashboard's figures from plain facts: medians and 90th percentiles of the time to the first
acknowledgement and to the first human contact by urgency, SLA met %, and counts per day by
channel, condition and referrer. Pure."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

URGENCIES = ("crisis", "urgent", "routine")


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Timing:
    urgency: str
    leads: int
    measured: int  # leads that reached the event
    median_minutes: float | None
    p90_minutes: float | None


def timings(facts, event: str) -> list[Timing]:
    """`event`: the fact's attribute ("acknowledged_at", "first_contact_at")."""
    out = []
    for urgency in URGENCIES:
        group = [f for f in facts if f.urgency == urgency]
        minutes = [
            (getattr(f, event) - f.created_at).total_seconds() / 60
            for f in group
            if getattr(f, event) is not None
        ]
        out.append(
            Timing(urgency, len(group), len(minutes), percentile(minutes, 50), percentile(minutes, 90))
        )
    return out


@dataclass(frozen=True)
class SlaFigure:
    urgency: str
    met: int
    missed: int
    pending: int  # not acknowledged yet, deadline still ahead

    @property
    def percent(self) -> float | None:
        decided = self.met + self.missed
        return 100 * self.met / decided if decided else None


def sla(facts, now: datetime) -> list[SlaFigure]:
    out = []
    for urgency in (*URGENCIES, None):
        met = missed = pending = 0
        for f in facts:
            if f.acknowledge_due is None or (urgency is not None and f.urgency != urgency):
                continue
            if f.acknowledged_at is not None and f.acknowledged_at <= f.acknowledge_due:
                met += 1
            elif f.acknowledged_at is not None or f.acknowledge_due <= now:
                missed += 1
            else:
                pending += 1
        out.append(SlaFigure(urgency or "all", met, missed, pending))
    return out


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True)
class Series:
    """Counts per day per category, for a stacked bar chart and its table."""

    dimension: str
    days: list[date]
    categories: list[str]  # biggest first
    counts: dict[str, list[int]]  # category -> one count per day
    totals: dict[str, int]


def per_day(
    facts, dimension: str, attribute: str, first: date, last: date, top: int = 6, missing: str = "none"
) -> Series:
    """Categories beyond the `top` biggest are summed as "other"; a missing value is `missing`."""
    days = days_between(first, last)
    totals = Counter((getattr(f, attribute) or missing) for f in facts)
    keep = [c for c, _ in totals.most_common(top)]
    grid: dict[str, list[int]] = defaultdict(lambda: [0] * len(days))
    index = {d: i for i, d in enumerate(days)}
    for f in facts:
        category = getattr(f, attribute) or missing
        category = category if category in keep else "other"
        day = f.created_at.date()
        if day in index:
            grid[category][index[day]] += 1
    categories = keep + (["other"] if "other" in grid and "other" not in keep else [])
    return Series(
        dimension,
        days,
        categories,
        {c: grid[c] for c in categories},
        {c: sum(grid[c]) for c in categories},
    )


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    category: str
    count: int
    day: date


@dataclass(frozen=True)
class Chart:
    """A stacked bar chart's geometry, in SVG user units; the template draws it (no JS)."""

    width: int
    height: int
    bars: list[Bar]
    max_total: int
    ticks: list[tuple[float, int]]  # (y, value) for the axis
    labels: list[tuple[float, str]]  # (x centre, day label)


def stacked_bars(series: Series, width: int = 640, height: int = 220) -> Chart:
    left, bottom, top = 36, 24, 8
    plot_w, plot_h = width - left - 8, height - bottom - top
    totals = [sum(series.counts[c][i] for c in series.categories) for i in range(len(series.days))]
    max_total = max(totals, default=0) or 1
    slot = plot_w / max(len(series.days), 1)
    bar_w = max(2.0, slot * 0.7)
    bars = []
    for i, day in enumerate(series.days):
        y = top + plot_h
        for category in series.categories:
            count = series.counts[category][i]
            if not count:
                continue
            h = plot_h * count / max_total
            y -= h
            bars.append(Bar(left + i * slot + (slot - bar_w) / 2, y, bar_w, h, category, count, day))
    step = max(1, math.ceil(max_total / 4))
    ticks = [(top + plot_h - plot_h * v / max_total, v) for v in range(0, max_total + 1, step)]
    every = max(1, math.ceil(len(series.days) / 10))
    labels = [
        (left + i * slot + slot / 2, d.strftime("%m-%d")) for i, d in enumerate(series.days) if i % every == 0
    ]
    return Chart(width, height, bars, max_total, ticks, labels)
