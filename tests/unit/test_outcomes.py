from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hangtime.core.outcomes import (
    GlobalImpression,
    PegAnswers,
    days_with_data_per_30,
    minutes_per_week,
    pain_change,
    pain_change_from_sums,
    peg_change,
    pgic_due,
    session_pain_rises,
    summarise_outcomes,
    summarize_days,
)
from hangtime.core.planning import SessionLog


def test_pain_change_uses_the_minimal_important_change() -> None:
    assert pain_change([6, 6, 6, 4, 4, 4]).direction == "better"  # -2 points
    assert pain_change([6, 6, 6, 5, 5, 5]).direction == "no important change"  # -1 point, 17%
    assert pain_change([3, 3, 3, 2, 2, 2]).direction == "better"  # -1 point but 33% of a low baseline
    assert pain_change([4, 4, 4, 7, 7, 7]).direction == "worse"
    # Better or worse only over enough sessions: six scores (the first and last three) at the least.
    assert pain_change([4, 4, 7, 7, 7]).direction == "not enough data yet"
    assert pain_change([5]).direction == "not enough data yet"


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
    # the mean of the first and of the last 3 scores, once there are 6.
    trend = pain_change_from_sums(sum(scores[:3]), sum(scores[-3:]), len(scores))
    if len(scores) < 6:
        assert trend.direction == "not enough data yet" and trend.change is None
        return
    size = 3
    baseline, latest = sum(scores[:size]) / size, sum(scores[len(scores) - size :]) / size
    assert (trend.baseline, trend.latest) == (round(baseline, 2), round(latest, 2))
    assert trend == pain_change(scores)


@given(st.lists(st.integers(min_value=0, max_value=10), max_size=40))
def test_the_trend_from_the_sums_of_the_ends_equals_the_trend_over_every_score(scores: list[int]) -> None:
    # What the clinic-wide read returns per patient: the sums of the first and last three, and the count up to six.
    trend = pain_change_from_sums(sum(scores[:3]), sum(scores[-3:]), min(len(scores), 6))
    assert trend == pain_change(scores)


def test_a_clinics_outcomes_count_patients_without_a_trend_apart() -> None:
    lines = [("better", 10), ("better", 0), ("worse", 4), ("no important change", 2), ("not enough data yet", 0)]
    summary = summarise_outcomes(lines)
    assert (summary.patients, summary.better, summary.worse, summary.no_important_change) == (5, 2, 1, 1)
    assert summary.not_enough_data == 1 and summary.with_a_session_in_30_days == 3
    assert summary.mean_days_with_data_30 == 3.2
    # Shares are of the patients whose trend is known: a patient without six scores is never "unchanged".
    assert summary.share(summary.better) == 50.0 and summary.as_dict()["pain_trend"]["worse_percent_of_known"] == 25.0
    empty = summarise_outcomes([])
    assert (empty.patients, empty.mean_days_with_data_30, empty.share(0)) == (0, None, None)
    unknown = summarise_outcomes([("not enough data yet", 1)])
    assert unknown.share(unknown.better) is None


def test_days_with_data_per_30_days() -> None:
    today = dt.date(2026, 11, 23)
    days = {today, today - dt.timedelta(days=29), today - dt.timedelta(days=30), today - dt.timedelta(days=95)}
    periods = days_with_data_per_30(days, today)
    assert periods[0] == (today - dt.timedelta(days=29), today, 2)  # exactly 29 days back is inside the period
    assert periods[1][2] == 1
    assert periods[2][2] == 0 and periods[3][2] == 1
    assert len(periods) == 4  # nothing older: no empty periods before the first data


def test_peg_change_needs_a_30_percent_fall_and_at_least_a_point() -> None:
    day = dt.date(2026, 11, 2)

    def peg(score: int, offset: int = 0) -> PegAnswers:
        return PegAnswers(date=day + dt.timedelta(weeks=offset), pain=score, enjoyment=score, activity=score)

    assert peg_change(peg(6), peg(4, 4)).direction == "better"  # 33%
    assert peg_change(peg(6), peg(5, 4)).direction == "no important change"  # 17%
    assert peg_change(peg(3), peg(2, 4)).direction == "better"  # exactly 1 point (33%)
    assert peg_change(peg(2), peg(1, 4)).direction == "better"  # 1 point: the floor
    assert peg_change(peg(10), peg(7, 4)).direction == "better"  # exactly 30%
    assert peg_change(peg(4), peg(6, 4)).direction == "worse"
    assert peg_change(peg(4), None).direction == "not enough data yet"


def test_the_impression_of_change_is_due_at_weeks_4_8_and_12_only_once() -> None:
    assert pgic_due(3, set()) is None
    assert pgic_due(4, set()) == 4
    assert pgic_due(4, {4}) is None
    assert pgic_due(9, {4}) == 8
    assert pgic_due(9, set()) == 8  # a missed week 4 is not asked after week 8 came
    assert pgic_due(12, {4, 8, 12}) is None
    assert pgic_due(None, set()) is None
    assert GlobalImpression.MUCH_BETTER.important_improvement
    assert not GlobalImpression.A_LITTLE_BETTER.important_improvement
