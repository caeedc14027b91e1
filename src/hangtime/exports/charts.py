"""Charts for the history page and the clinician report (Matplotlib, rendered to SVG text)."""

from __future__ import annotations

import datetime as dt
import functools
import io
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from hangtime.core.outcomes import PAIN_MIC_POINTS, DaySummary, DiaryEntry, minutes_per_week
from hangtime.core.trial import Arm, Block


def _num(days: list[dt.date]) -> list[float]:
    """Matplotlib's date numbers (days since 1970-01-01), without its untyped helper."""
    epoch = dt.date(1970, 1, 1)
    return [float((day - epoch).days) for day in days]


# Figures are made without pyplot: its global registry is not thread-safe, and the web app draws charts for
# several requests at once (the clinic-scale benchmark opened more than 20 at a time through it).
def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()


MAX_POINTS = 120  # beyond this many days, plot weekly means: the chart stays readable and fast


def _series(days: list[DaySummary], field: str) -> tuple[list[dt.date], list[float]]:
    """A field's daily values, or weekly means (keyed by Monday) when the history is long."""
    weekly = len(days) > MAX_POINTS
    values: dict[dt.date, list[float]] = defaultdict(list)
    for summary in days:
        value = getattr(summary, field)
        if value is not None:
            key = summary.day - dt.timedelta(days=summary.day.weekday()) if weekly else summary.day
            values[key].append(float(value))
    keys = sorted(values)
    return keys, [sum(values[k]) / len(values[k]) for k in keys]


def pain_chart(days: list[DaySummary]) -> str:
    """Pain before and after (daily means) with the 2-point minimal important change around the baseline."""
    figure = Figure(figsize=(7, 3))
    axes = figure.subplots()
    before_days, before = _series(days, "pain_before")
    after_days, after = _series(days, "pain_after")
    if before:
        axes.plot(_num(before_days), before, "o-", label="pain before", color="#1f4e79")
        baseline = sum(before[:3]) / len(before[:3])
        axes.axhspan(
            baseline - PAIN_MIC_POINTS,
            baseline + PAIN_MIC_POINTS,
            color="#cccccc",
            alpha=0.4,
            label=f"baseline ± {PAIN_MIC_POINTS} (minimal important change)",
        )
    if after:
        axes.plot(_num(after_days), after, "s--", label="pain after", color="#b35900")
    axes.set_ylim(0, 10)
    axes.set_ylabel("pain (0-10)")
    axes.set_title("Pain before and after sessions")
    axes.legend(loc="upper right", fontsize=7)
    axes.xaxis_date()
    figure.autofmt_xdate()
    return _svg(figure)


def minutes_chart(days: list[DaySummary]) -> str:
    weeks = minutes_per_week(days)
    figure = Figure(figsize=(7, 2.6))
    axes = figure.subplots()
    axes.bar(_num([w for w, _ in weeks]), [m for _, m in weeks], width=5, color="#2e7d32")
    axes.set_ylabel("minutes")
    axes.set_title("Minutes inverted per week")
    axes.xaxis_date()
    figure.autofmt_xdate()
    return _svg(figure)


def angle_chart(days: list[DaySummary]) -> str:
    when, angles = _series(days, "angle_deg")
    figure = Figure(figsize=(7, 2.6))
    axes = figure.subplots()
    axes.step(_num(when), angles, where="post", color="#6a1b9a")
    axes.set_ylim(0, 90)
    axes.set_ylabel("degrees below horizontal")
    axes.set_title("Angle progression")
    axes.xaxis_date()
    figure.autofmt_xdate()
    return _svg(figure)


def trial_chart(blocks: tuple[Block, ...], diary: list[DiaryEntry]) -> str:
    """Daily pain through a personal trial, blocks with inversion shaded, washout days hatched."""
    figure = Figure(figsize=(7, 2.8))
    axes = figure.subplots()
    for block in blocks:
        start = _num([block.start])[0]
        colour = "#bbdefb" if block.arm is Arm.INVERSION else "#f5f5f5"
        axes.axvspan(start, start + block.days, color=colour, alpha=0.8, linewidth=0)
        axes.axvspan(start, start + block.washout_days, fill=False, hatch="//", edgecolor="#9e9e9e", linewidth=0)
    axes.plot(_num([e.date for e in diary]), [e.pain for e in diary], "o-", color="#c62828", markersize=3)
    axes.set_ylim(0, 10)
    axes.set_ylabel("pain (0-10)")
    axes.set_title("Daily pain: blue blocks with inversion, grey without (hatched: washout)")
    axes.xaxis_date()
    figure.autofmt_xdate()
    return _svg(figure)


def all_charts(days: list[DaySummary]) -> dict[str, str]:
    """The three history charts as SVG text, keyed as the templates use them (empty without data)."""
    return dict(_cached_charts(tuple(days)))


@functools.lru_cache(maxsize=32)
def _cached_charts(days: tuple[DaySummary, ...]) -> tuple[tuple[str, str], ...]:
    # Drawing costs ~0.2 s a chart; the same history (no new session) is drawn once.
    if not days:
        return (("pain_svg", ""), ("minutes_svg", ""), ("angle_svg", ""))
    listed = list(days)
    return (
        ("pain_svg", pain_chart(listed)),
        ("minutes_svg", minutes_chart(listed)),
        ("angle_svg", angle_chart(listed)),
    )
