"""A personal (N-of-1) trial: does inversion lower *my* daily pain? Pure: the schedule and the analysis.

Design (Trialist, Kravitz 2018, JAMA Intern Med 178:1368; StudyU, JMIR 2022;24:e35884): pairs of blocks with
inversion (A) and without (B), the order randomised within each pair from a recorded seed, the first days of every
block a washout the analysis leaves out. Outcome: the daily pain diary (0-10).

Analysis: daily pain regressed on the block (A or B) with AR(1) errors over calendar days, so that missed days and
washouts keep the time order (correlation phi ** days apart). phi is estimated by restricted maximum likelihood
(scipy), the difference and its interval by generalised least squares (statsmodels). The interval uses a t
distribution on the effective number of independent days, n (1 - phi) / (1 + phi) - 2, which corrects for phi
being estimated from a few weeks; `tests/unit/test_trial.py` checks its coverage on simulated trials.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hangtime.core.errors import HangtimeError
from hangtime.core.outcomes import PAIN_MIC_POINTS, DiaryEntry

DEFAULT_PAIRS = 3
DEFAULT_BLOCK_DAYS = 7
WASHOUT_DAYS = 2
MIN_PAIRS, MAX_PAIRS = 2, 6
# A block needs days beyond its washout: at least three analysable days.
MIN_BLOCK_DAYS, MAX_BLOCK_DAYS = WASHOUT_DAYS + 3, 14
# Enough to compare: this many diary days outside the washouts in each arm, from at least two blocks of each.
MIN_DAYS_PER_ARM = 10
MIN_BLOCKS_PER_ARM = 2
CONFIDENCE = 0.95


class TrialError(HangtimeError):
    """A trial that cannot be set up as asked."""


class Arm(StrEnum):
    INVERSION = "A"
    NO_INVERSION = "B"

    @property
    def label(self) -> str:
        return "with inversion" if self is Arm.INVERSION else "without inversion"


@dataclass(frozen=True)
class Block:
    number: int  # 1-based
    arm: Arm
    start: dt.date
    days: int
    washout_days: int

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def is_washout(self, day: dt.date) -> bool:
        return self.start <= day < self.start + dt.timedelta(days=self.washout_days)

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "arm": self.arm.value,
            "label": self.arm.label,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "washout_until": (self.start + dt.timedelta(days=self.washout_days - 1)).isoformat(),
        }


@dataclass(frozen=True)
class TrialDesign:
    start: dt.date
    pairs: int
    block_days: int
    seed: int
    washout_days: int = WASHOUT_DAYS

    def __post_init__(self) -> None:
        if not MIN_PAIRS <= self.pairs <= MAX_PAIRS:
            raise TrialError(f"a trial has {MIN_PAIRS} to {MAX_PAIRS} pairs of blocks, not {self.pairs}")
        if not MIN_BLOCK_DAYS <= self.block_days <= MAX_BLOCK_DAYS:
            raise TrialError(
                f"a block lasts {MIN_BLOCK_DAYS} to {MAX_BLOCK_DAYS} days (the first {self.washout_days} are a"
                f" washout), not {self.block_days}"
            )

    @property
    def total_days(self) -> int:
        return self.pairs * 2 * self.block_days

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.total_days - 1)


def arm_order(pairs: int, seed: int) -> tuple[Arm, ...]:
    """AB or BA for each pair, drawn from the seed: the same seed always gives the same schedule."""
    draw = random.Random(seed)
    order: list[Arm] = []
    for _ in range(pairs):
        first = draw.choice((Arm.INVERSION, Arm.NO_INVERSION))
        order += [first, Arm.NO_INVERSION if first is Arm.INVERSION else Arm.INVERSION]
    return tuple(order)


def schedule(design: TrialDesign) -> tuple[Block, ...]:
    return tuple(
        Block(
            number=index + 1,
            arm=arm,
            start=design.start + dt.timedelta(days=index * design.block_days),
            days=design.block_days,
            washout_days=design.washout_days,
        )
        for index, arm in enumerate(arm_order(design.pairs, design.seed))
    )


def block_on(blocks: tuple[Block, ...], day: dt.date) -> Block | None:
    for block in blocks:
        if block.start <= day <= block.end:
            return block
    return None


@dataclass(frozen=True)
class TrialResult:
    """The comparison so far. `difference` is mean pain without inversion minus with it: positive means less pain
    in inversion blocks."""

    status: str  # "not_enough_data", "no_variation", "interim" or "final"
    days_with_inversion: int
    days_without_inversion: int
    days_needed: int
    difference: float | None = None
    low: float | None = None
    high: float | None = None
    verdict: str = ""  # a key: worthwhile, likely_worthwhile, small, unclear, unlikely_worthwhile, worse
    text: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "days_with_inversion": self.days_with_inversion,
            "days_without_inversion": self.days_without_inversion,
            "days_needed": self.days_needed,
            "pain_lower_with_inversion": self.difference,
            "interval_95": [self.low, self.high] if self.low is not None else None,
            "minimal_important_change": PAIN_MIC_POINTS,
            "verdict": self.verdict,
            "text": self.text,
        }


def analysable_days(
    blocks: tuple[Block, ...], diary: list[DiaryEntry], today: dt.date
) -> list[tuple[dt.date, Arm, int]]:
    """Diary days inside the trial, up to today, outside the washouts: (day, arm, pain)."""
    found = []
    for entry in sorted(diary, key=lambda e: e.date):
        block = block_on(blocks, entry.date)
        if block is None or entry.date > today or block.is_washout(entry.date):
            continue
        found.append((entry.date, block.arm, int(entry.pain)))
    return found


def _enough(days: list[tuple[dt.date, Arm, int]], blocks: tuple[Block, ...]) -> bool:
    for arm in Arm:
        mine = [d for d in days if d[1] is arm]
        with_data = {block_on(blocks, d[0]) for d in mine}
        if len(mine) < MIN_DAYS_PER_ARM or len(with_data) < MIN_BLOCKS_PER_ARM:
            return False
    return True


def days_still_needed(blocks: tuple[Block, ...], days: list[tuple[dt.date, Arm, int]], today: dt.date) -> int:
    """How many more diary days (one a day, from tomorrow, outside the washouts) until there is enough to compare;
    -1 when the trial's remaining days cannot get there."""
    have = list(days)
    needed = 0
    day = today + dt.timedelta(days=1)
    while not _enough(have, blocks):
        block = block_on(blocks, day)
        if block is None:
            return -1
        if not block.is_washout(day):
            have.append((day, block.arm, 0))
            needed += 1
        day += dt.timedelta(days=1)
    return needed


def _effective_df(n: int, phi: float) -> float:
    return max(2.0, n * (1 - phi) / (1 + phi) - 2)


def fit_difference(days: list[tuple[dt.date, Arm, int]]) -> tuple[float, float, float] | None:
    """(difference, low, high) from the AR(1) regression; None when the scores do not vary at all."""
    import numpy as np  # heavy imports kept out of the CLI's start-up: only the trial's result needs them
    import statsmodels.api as sm
    from scipy import optimize, stats

    pain = np.array([float(d[2]) for d in days])
    without = np.array([1.0 if d[1] is Arm.NO_INVERSION else 0.0 for d in days])
    if float(np.ptp(pain)) == 0.0:
        return None
    design = sm.add_constant(without)
    origin = days[0][0]
    offsets = np.array([(d[0] - origin).days for d in days])
    apart = np.abs(offsets[:, None] - offsets[None, :])
    n, p = design.shape

    def negative_restricted_loglik(phi: float) -> float:
        correlation = phi**apart
        fit = sm.GLS(pain, design, sigma=correlation).fit()
        logdet_r = np.linalg.slogdet(correlation)[1]
        logdet_x = np.linalg.slogdet(design.T @ np.linalg.solve(correlation, design))[1]
        return float(0.5 * (logdet_r + logdet_x + (n - p) * math.log(max(fit.ssr, 1e-12) / (n - p))))

    phi = float(optimize.minimize_scalar(negative_restricted_loglik, bounds=(0.0, 0.95), method="bounded").x)
    fit = sm.GLS(pain, design, sigma=phi**apart).fit()
    difference, error = float(fit.params[1]), float(fit.bse[1])
    half = float(stats.t.ppf(0.5 + CONFIDENCE / 2, _effective_df(n, phi))) * error
    return difference, difference - half, difference + half


def judge(difference: float, low: float, high: float) -> tuple[str, str]:
    """The result in words against the minimal important change (2 points, Ostelo 2008)."""
    mic = PAIN_MIC_POINTS
    size = f"{abs(difference):.1f} points {'lower' if difference >= 0 else 'higher'}"
    interval = f"95% interval {low:.1f} to {high:.1f}"
    if high < 0:
        return "worse", (
            f"Pain was {size} in inversion weeks, 95% interval {-high:.1f} to {-low:.1f} points higher: inversion"
            " seems to make your pain worse. Talk to your clinician before you go on."
        )
    if low >= mic:
        verdict, meaning = "worthwhile", "a real and worthwhile difference"
    elif low > 0 and difference >= mic:
        verdict, meaning = "likely_worthwhile", "likely a real, worthwhile difference"
    elif low > 0:
        verdict, meaning = "small", f"likely real, but smaller than the {mic} points that matter to most people"
    elif high < mic:
        verdict, meaning = "unlikely_worthwhile", f"no clear difference, and a benefit of {mic} points is unlikely"
    else:
        verdict, meaning = "unclear", "no clear difference: the trial cannot tell whether inversion helps you"
    return verdict, f"Pain was {size} in inversion weeks, {interval} points lower: {meaning}."


def analyse(blocks: tuple[Block, ...], diary: list[DiaryEntry], today: dt.date) -> TrialResult:
    days = analysable_days(blocks, diary, today)
    count_a = sum(1 for d in days if d[1] is Arm.INVERSION)
    count_b = len(days) - count_a
    if not _enough(days, blocks):
        needed = days_still_needed(blocks, days, today)
        if needed < 0:
            text = (
                f"Not enough diary days to compare: {count_a} with inversion and {count_b} without, and the trial's"
                f" remaining days cannot make up the {MIN_DAYS_PER_ARM} of each it needs. Start a new trial."
            )
        else:
            text = (
                f"Not enough data yet: {count_a} diary days with inversion and {count_b} without (outside the"
                f" washouts). About {needed} more diary days are needed."
            )
        return TrialResult("not_enough_data", count_a, count_b, max(needed, 0), text=text)
    fitted = fit_difference(days)
    if fitted is None:
        return TrialResult(
            "no_variation",
            count_a,
            count_b,
            0,
            text="Your pain score was the same every day, so the trial cannot compare the blocks.",
        )
    difference, low, high = fitted
    verdict, text = judge(difference, low, high)
    status = "final" if today >= blocks[-1].end else "interim"
    if status == "interim":
        text += " (So far: the trial has not ended.)"
    return TrialResult(status, count_a, count_b, 0, round(difference, 2), round(low, 2), round(high, 2), verdict, text)
