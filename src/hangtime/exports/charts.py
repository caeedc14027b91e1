"""Charts for the history page and the clinician report (Matplotlib, rendered to SVG text)."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from hangtime.outcomes import PAIN_MIC_POINTS, minutes_per_week
from hangtime.planning import SessionLog


def _num(days: list[dt.date]) -> list[float]:
    """Matplotlib's date numbers (days since 1970-01-01), without its untyped helper."""
    epoch = dt.date(1970, 1, 1)
    return [float((day - epoch).days) for day in days]


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def _daily_mean(logs: list[SessionLog], field: str) -> tuple[list[dt.date], list[float]]:
    values: dict[dt.date, list[float]] = defaultdict(list)
    for log in logs:
        value = getattr(log, field)
        if value is not None:
            values[log.date].append(float(value))
    days = sorted(values)
    return days, [sum(values[d]) / len(values[d]) for d in days]


def pain_chart(logs: list[SessionLog]) -> str:
    """Pain before and after (daily means) with the 2-point minimal important change around the baseline."""
    figure, axes = plt.subplots(figsize=(7, 3))
    before_days, before = _daily_mean(logs, "pain_before")
    after_days, after = _daily_mean(logs, "pain_after")
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


def minutes_chart(logs: list[SessionLog]) -> str:
    weeks = minutes_per_week(logs)
    figure, axes = plt.subplots(figsize=(7, 2.6))
    axes.bar(_num([w for w, _ in weeks]), [m for _, m in weeks], width=5, color="#2e7d32")
    axes.set_ylabel("minutes")
    axes.set_title("Minutes inverted per week")
    axes.xaxis_date()
    figure.autofmt_xdate()
    return _svg(figure)


def angle_chart(logs: list[SessionLog]) -> str:
    days, angles = _daily_mean(logs, "angle_deg")
    figure, axes = plt.subplots(figsize=(7, 2.6))
    axes.step(_num(days), angles, where="post", color="#6a1b9a")
    axes.set_ylim(0, 90)
    axes.set_ylabel("degrees below horizontal")
    axes.set_title("Angle progression")
    axes.xaxis_date()
    figure.autofmt_xdate()
    return _svg(figure)
