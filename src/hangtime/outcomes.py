"""Outcomes: pain trends and the minimal important change, minutes inverted per week. Pure."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from hangtime.planning import SessionLog

PAIN_MIC_POINTS = 2  # Ostelo 2008: 2 points on 0-10, or 30% from baseline
PAIN_MIC_FRACTION = 0.30


@dataclass(frozen=True)
class PainChange:
    baseline: float | None
    latest: float | None
    change: float | None
    important: bool
    direction: str  # "better", "worse", "no important change", or "not enough data"


def pain_change(logs: list[SessionLog], window: int = 3) -> PainChange:
    """Baseline = mean pain before the first `window` sessions; latest = mean of the last `window`."""
    scores = [log.pain_before for log in sorted(logs, key=lambda log: log.date) if log.pain_before is not None]
    if len(scores) < 2:
        return PainChange(None, None, None, False, "not enough data")
    size = min(window, len(scores) // 2)
    baseline = sum(scores[:size]) / size
    latest = sum(scores[-size:]) / size
    change = latest - baseline
    threshold = max(1e-9, min(PAIN_MIC_POINTS, PAIN_MIC_FRACTION * baseline) if baseline else PAIN_MIC_POINTS)
    important = abs(change) >= threshold
    direction = "no important change" if not important else ("better" if change < 0 else "worse")
    return PainChange(round(baseline, 2), round(latest, 2), round(change, 2), important, direction)


def minutes_per_week(logs: list[SessionLog]) -> list[tuple[dt.date, float]]:
    """Minutes held inverted per ISO week (the Monday of the week)."""
    weeks: dict[dt.date, float] = defaultdict(float)
    for log in logs:
        monday = log.date - dt.timedelta(days=log.date.weekday())
        weeks[monday] += (log.inverted_s or 0) / 60
    return sorted(weeks.items())


def session_pain_rises(logs: list[SessionLog]) -> list[SessionLog]:
    """Sessions after which pain was up by the minimal important change or more."""
    return [
        log
        for log in logs
        if log.pain_before is not None
        and log.pain_after is not None
        and log.pain_after - log.pain_before >= PAIN_MIC_POINTS
    ]
