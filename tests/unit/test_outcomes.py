from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hangtime.core.outcomes import (
    minutes_per_week,
    pain_change,
    pain_change_from_ends,
    session_pain_rises,
    summarize_days,
)
from hangtime.core.planning import SessionLog


def test_pain_change_uses_the_minimal_important_change() -> None:
    assert pain_change([6, 6, 6, 4, 4, 4]).direction == "better"  # -2 points
    assert pain_change([6, 6, 6, 5, 5, 5]).direction == "no important change"  # -1 point, 17%
    assert pain_change([3, 3, 3, 2, 2, 2]).direction == "better"  # -1 point but 33% of a low baseline
    assert pain_change([4, 4, 7, 7]).direction == "worse"
    assert pain_change([5]).direction == "not enough data"


def test_daily_and_weekly_aggregates() -> None:
    monday = dt.date(2026, 11, 23)
    logs = [
        SessionLog(date=monday, pain_before=5, pain_after=3, inverted_s=120, angle_deg=20),
        SessionLog(date=monday, pain_before=3, pain_after=3, inverted_s=60, angle_deg=30),
        SessionLog(date=monday + dt.timedelta(days=8), pain_before=2, pain_after=5, inverted_s=180),
    ]
    days = summarize_days(logs)
    assert [d.sessions for d in days] == [2, 1]
    assert days[0].pain_before == 4 and days[0].angle_deg == 25 and days[0].inverted_s == 180
    assert minutes_per_week(days) == [(monday, 3.0), (monday + dt.timedelta(days=7), 3.0)]
    assert session_pain_rises(logs) == [logs[2]]


@given(st.lists(st.integers(min_value=0, max_value=10), max_size=40))
def test_the_trend_from_six_end_points_equals_the_trend_over_every_score(scores: list[int]) -> None:
    # What the database reads (the first and last three, and the count) gives what the whole series defines:
    # the mean of the first and of the last min(3, n // 2) scores.
    trend = pain_change_from_ends(scores[:3], scores[-3:], len(scores))
    if len(scores) < 2:
        assert trend.direction == "not enough data"
        return
    size = min(3, len(scores) // 2)
    baseline, latest = sum(scores[:size]) / size, sum(scores[len(scores) - size :]) / size
    assert (trend.baseline, trend.latest) == (round(baseline, 2), round(latest, 2))
    assert trend == pain_change(scores)
