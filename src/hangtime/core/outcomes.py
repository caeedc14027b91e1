"""Outcomes: pain trends and the minimal important change, minutes inverted per week. Pure."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field

from hangtime.core.planning import Pain, SessionLog

PAIN_MIC_POINTS = 2  # Ostelo 2008: 2 points on 0-10, or 30% from baseline
PAIN_MIC_FRACTION = 0.30


@dataclass(frozen=True)
class PainChange:
    baseline: float | None
    latest: float | None
    change: float | None
    important: bool
    direction: str  # "better", "worse", "no important change", or "not enough data yet"


class DiaryEntry(BaseModel):
    """A day's pain (0-10), also on days without a session: the series an N-of-1 comparison and the clinician's
    trend need, not only the days someone inverted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    pain: Pain = Field(ge=0, le=10)


# PEG-3 (Krebs 2009, J Gen Intern Med 24:733; public domain): three 0-10 items about the past week, scored as
# their mean. Its minimal important change is taken as a 30% fall (the IMMPACT moderate-improvement threshold,
# Dworkin 2008, and the SPACE trial's response, Krebs 2018), and never less than 1 point on the 0-10 scale.
PEG_MIC_FRACTION = 0.30
PEG_MIC_MIN_POINTS = 1.0
PEG_ITEMS = {
    "pain": "What number best describes your pain on average in the past week?",
    "enjoyment": "What number best describes how, during the past week, pain has interfered with your enjoyment of"
    " life?",
    "activity": "What number best describes how, during the past week, pain has interfered with your general activity?",
}


class PegAnswers(BaseModel):
    """A week's PEG-3: each item 0 (no pain / does not interfere) to 10 (worst / completely interferes)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    pain: int = Field(ge=0, le=10)
    enjoyment: int = Field(ge=0, le=10)
    activity: int = Field(ge=0, le=10)

    @property
    def score(self) -> float:
        return round((self.pain + self.enjoyment + self.activity) / 3, 2)


def peg_due(today: dt.date, last: dt.date | None) -> bool:
    """Once a week: due when none was answered in the same ISO week (Monday to Sunday)."""
    return last is None or last.isocalendar()[:2] != today.isocalendar()[:2]


def peg_change(first: PegAnswers | None, latest: PegAnswers | None) -> PainChange:
    """The first PEG against the latest, judged on a 30% fall (at least 1 point)."""
    if first is None or latest is None or first == latest:
        return PainChange(None, None, None, False, "not enough data yet")
    change = latest.score - first.score
    threshold = max(PEG_MIC_MIN_POINTS, PEG_MIC_FRACTION * first.score)
    important = abs(change) >= threshold
    direction = "no important change" if not important else ("better" if change < 0 else "worse")
    return PainChange(first.score, latest.score, round(change, 2), important, direction)


class GlobalImpression(IntEnum):
    """Patient Global Impression of Change (Guy 1976, ECDEU Assessment Manual; US government, public domain)."""

    VERY_MUCH_BETTER = 1
    MUCH_BETTER = 2
    A_LITTLE_BETTER = 3
    NO_CHANGE = 4
    A_LITTLE_WORSE = 5
    MUCH_WORSE = 6
    VERY_MUCH_WORSE = 7

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()

    @property
    def important_improvement(self) -> bool:
        """'Much' or 'very much' better: the answers that match a clinically important fall in pain (Farrar 2001,
        Pain 94:149)."""
        return self <= GlobalImpression.MUCH_BETTER


PGIC_QUESTION = (
    "Since you started your inversion programme, how would you describe the change (if any) in your back pain and"
    " what it lets you do?"
)
PGIC_WEEKS = (4, 8, 12)


class GlobalImpressionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    week: int = Field(ge=1, le=52)
    answer: GlobalImpression


def pgic_due(plan_week: int | None, answered_weeks: set[int]) -> int | None:
    """The PGIC week to ask now: from week 4, 8 or 12 of the plan, once each; a missed one is replaced by the next,
    never asked after it."""
    reached = [week for week in PGIC_WEEKS if plan_week is not None and week <= plan_week]
    return reached[-1] if reached and reached[-1] not in answered_weeks else None


@dataclass(frozen=True)
class DaySummary:
    """One day of sessions, as the charts plot it."""

    day: dt.date
    sessions: int
    pain_before: float | None
    pain_after: float | None
    angle_deg: float | None
    inverted_s: int


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize_days(logs: list[SessionLog]) -> list[DaySummary]:
    """Per-day means and totals (the store computes the same in SQL for long histories)."""
    by_day: dict[dt.date, list[SessionLog]] = defaultdict(list)
    for log in logs:
        by_day[log.date].append(log)
    return [
        DaySummary(
            day=day,
            sessions=len(day_logs),
            pain_before=_mean([float(x.pain_before) for x in day_logs if x.pain_before is not None]),
            pain_after=_mean([float(x.pain_after) for x in day_logs if x.pain_after is not None]),
            angle_deg=_mean([x.angle_deg for x in day_logs if x.angle_deg is not None]),
            inverted_s=sum(x.inverted_s or 0 for x in day_logs),
        )
        for day, day_logs in sorted(by_day.items())
    ]


def pain_scores(logs: list[SessionLog]) -> list[int]:
    """Pain before each session, in date order: the series the minimal important change is judged on."""
    return [log.pain_before for log in sorted(logs, key=lambda log: log.date) if log.pain_before is not None]


def pain_change(scores: list[int], window: int = 3) -> PainChange:
    """Baseline = mean pain before the first `window` sessions; latest = mean of the last `window`."""
    return pain_change_from_sums(sum(scores[:window]), sum(scores[-window:]) if scores else 0, len(scores), window)


def pain_change_from_sums(first_sum: int, last_sum: int, count: int, window: int = 3) -> PainChange:
    """The same from the sums of the first and last `window` scores and how many scores there are: what the
    database reads, so that a long history is never read whole for a trend that uses six numbers, and a clinic's
    figures are one row per patient."""
    if count < 2 * window:  # better or worse only over enough sessions: the first and the last `window`, apart
        return PainChange(None, None, None, False, "not enough data yet")
    baseline = first_sum / window
    latest = last_sum / window
    change = latest - baseline
    threshold = max(1e-9, min(PAIN_MIC_POINTS, PAIN_MIC_FRACTION * baseline) if baseline else PAIN_MIC_POINTS)
    important = abs(change) >= threshold
    direction = "no important change" if not important else ("better" if change < 0 else "worse")
    return PainChange(round(baseline, 2), round(latest, 2), round(change, 2), important, direction)


@dataclass(frozen=True)
class ClinicOutcomes:
    """A group of patients' pain trend and adherence: how many are better, unchanged or worse by the minimal
    important change (each over their own first and last three scores), and their days with a session in the
    last 30. Patients with fewer than six scores are counted apart, never as unchanged."""

    patients: int
    better: int
    no_important_change: int
    worse: int
    not_enough_data: int
    with_a_session_in_30_days: int
    mean_days_with_data_30: float | None

    def share(self, count: int) -> float | None:
        """A count as a percentage of the patients whose trend is known (not of all patients)."""
        known = self.patients - self.not_enough_data
        return round(100 * count / known, 1) if known else None

    def as_dict(self) -> dict[str, object]:
        return {
            "patients": self.patients,
            "pain_trend": {
                "better": self.better,
                "no_important_change": self.no_important_change,
                "worse": self.worse,
                "not_enough_data_yet": self.not_enough_data,
                "better_percent_of_known": self.share(self.better),
                "worse_percent_of_known": self.share(self.worse),
            },
            "with_a_session_in_the_last_30_days": self.with_a_session_in_30_days,
            "mean_days_with_data_last_30": self.mean_days_with_data_30,
        }


def summarise_outcomes(lines: Iterable[tuple[str, int]]) -> ClinicOutcomes:
    """From each patient's (pain trend direction, days with a session in the last 30)."""
    directions: Counter[str] = Counter()
    days_total = active = patients = 0
    for direction, days in lines:
        patients += 1
        directions[direction] += 1
        days_total += days
        active += days > 0
    return ClinicOutcomes(
        patients=patients,
        better=directions["better"],
        no_important_change=directions["no important change"],
        worse=directions["worse"],
        not_enough_data=directions["not enough data yet"],
        with_a_session_in_30_days=active,
        mean_days_with_data_30=round(days_total / patients, 1) if patients else None,
    )


def minutes_per_week(days: list[DaySummary]) -> list[tuple[dt.date, float]]:
    """Minutes held inverted per ISO week (the Monday of the week)."""
    weeks: dict[dt.date, float] = defaultdict(float)
    for summary in days:
        monday = summary.day - dt.timedelta(days=summary.day.weekday())
        weeks[monday] += summary.inverted_s / 60
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


def days_with_data_per_30(days: set[dt.date], today: dt.date, periods: int = 12) -> list[tuple[dt.date, dt.date, int]]:
    """(first day, last day, days with a session or a diary score) for 30-day periods ending today, newest first,
    back to the first period with data (adherence, as the clinician reads it)."""
    found = []
    for index in range(periods):
        last = today - dt.timedelta(days=30 * index)
        first = last - dt.timedelta(days=29)
        found.append((first, last, sum(1 for day in days if first <= day <= last)))
    while found and found[-1][2] == 0:
        found.pop()
    return found
