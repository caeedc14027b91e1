"""The personal trial: a reproducible schedule, washouts left out, 'not enough data' with the days still needed,
words against the minimal important change, and the analysis validated on simulated trials with a known effect."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pytest

from hangtime.core.outcomes import DiaryEntry
from hangtime.core.trial import (
    MIN_DAYS_PER_ARM,
    Arm,
    TrialDesign,
    TrialError,
    analysable_days,
    analyse,
    arm_order,
    block_on,
    judge,
    schedule,
)

START = dt.date(2026, 3, 2)


def design(seed: int = 1, pairs: int = 3, block_days: int = 7) -> TrialDesign:
    return TrialDesign(start=START, pairs=pairs, block_days=block_days, seed=seed)


def test_the_seed_fixes_the_order_and_each_pair_has_one_block_of_each() -> None:
    assert arm_order(3, 42) == arm_order(3, 42)
    orders = {arm_order(3, seed) for seed in range(40)}
    assert len(orders) == 8  # all 2**3 orders occur: the order really is drawn
    for order in orders:
        for pair in range(3):
            assert {order[2 * pair], order[2 * pair + 1]} == {Arm.INVERSION, Arm.NO_INVERSION}


def test_blocks_follow_each_other_and_the_first_two_days_are_a_washout() -> None:
    blocks = schedule(design())
    assert len(blocks) == 6
    assert blocks[0].start == START and blocks[-1].end == START + dt.timedelta(days=41)
    for before, after in itertools.pairwise(blocks):
        assert after.start == before.end + dt.timedelta(days=1)
    first = blocks[0]
    assert first.is_washout(first.start) and first.is_washout(first.start + dt.timedelta(days=1))
    assert not first.is_washout(first.start + dt.timedelta(days=2))
    assert block_on(blocks, START - dt.timedelta(days=1)) is None
    assert block_on(blocks, blocks[-1].end + dt.timedelta(days=1)) is None


@pytest.mark.parametrize(("pairs", "block_days"), [(1, 7), (7, 7), (3, 4), (3, 15)])
def test_designs_outside_the_limits_are_refused(pairs: int, block_days: int) -> None:
    with pytest.raises(TrialError):
        design(pairs=pairs, block_days=block_days)


@pytest.mark.parametrize(("pairs", "block_days"), [(2, 5), (6, 14)])
def test_designs_at_the_limits_are_accepted(pairs: int, block_days: int) -> None:
    assert design(pairs=pairs, block_days=block_days).total_days == pairs * 2 * block_days


def every_day(blocks: tuple, pain_a: int, pain_b: int, wobble: bool = True) -> list[DiaryEntry]:
    entries = []
    for block in blocks:
        for offset in range(block.days):
            day = block.start + dt.timedelta(days=offset)
            base = pain_a if block.arm is Arm.INVERSION else pain_b
            entries.append(DiaryEntry(date=day, pain=base + (offset % 2 if wobble else 0)))
    return entries


def test_washout_days_and_days_outside_the_trial_are_left_out() -> None:
    blocks = schedule(design())
    diary = every_day(blocks, 3, 6)
    diary.append(DiaryEntry(date=START - dt.timedelta(days=1), pain=9))
    days = analysable_days(blocks, diary, blocks[-1].end)
    assert len(days) == 6 * 5
    assert all(not block_on(blocks, d[0]).is_washout(d[0]) for d in days)  # type: ignore[union-attr]


def test_too_little_data_says_how_many_more_days() -> None:
    blocks = schedule(design())
    today = blocks[1].end  # one pair done, every day recorded: 5 + 5 analysable days
    result = analyse(blocks, every_day(blocks, 3, 6), today)
    assert result.status == "not_enough_data"
    assert result.difference is None
    assert (result.days_with_inversion, result.days_without_inversion) == (5, 5)
    # Ten a side from two blocks each: the next pair's ten analysable days (its washouts are not counted).
    assert result.days_needed == 10
    assert "10 more diary days" in result.text


def test_a_trial_whose_remaining_days_cannot_suffice_says_so() -> None:
    blocks = schedule(design(pairs=2, block_days=5))  # at most 2 x 3 analysable days an arm: never 10
    result = analyse(blocks, every_day(blocks, 3, 6), blocks[-1].end)
    assert result.status == "not_enough_data"
    assert "cannot make up" in result.text


def test_exactly_enough_days_gives_a_result() -> None:
    blocks = schedule(design())
    full = every_day(blocks, 3, 6)
    # Keep exactly MIN_DAYS_PER_ARM analysable days an arm, from two blocks of each.
    kept: list[DiaryEntry] = []
    counts = {Arm.INVERSION: 0, Arm.NO_INVERSION: 0}
    for entry in full:
        block = block_on(blocks, entry.date)
        assert block is not None
        if block.is_washout(entry.date) or counts[block.arm] >= MIN_DAYS_PER_ARM:
            continue
        counts[block.arm] += 1
        kept.append(entry)
    result = analyse(blocks, kept, blocks[-1].end)
    assert result.status == "final"
    one_short = analyse(blocks, kept[:-1], blocks[-1].end)
    assert one_short.status == "not_enough_data" and "cannot make up" in one_short.text


def test_a_clear_benefit_is_found_and_worded() -> None:
    blocks = schedule(design())
    result = analyse(blocks, every_day(blocks, 2, 6), blocks[-1].end)
    assert result.status == "final"
    assert result.difference == pytest.approx(4.0, abs=0.01)
    assert result.low is not None and result.high is not None and result.low < 4.0 < result.high
    assert result.verdict == "worthwhile"
    assert result.text.startswith("Pain was 4.0 points lower in inversion weeks")


def test_before_the_last_block_ends_the_result_is_interim() -> None:
    blocks = schedule(design())
    result = analyse(blocks, every_day(blocks, 2, 6), blocks[-1].end - dt.timedelta(days=1))
    assert result.status == "interim" and "has not ended" in result.text


def test_the_same_pain_every_day_cannot_be_compared() -> None:
    blocks = schedule(design())
    result = analyse(blocks, every_day(blocks, 4, 4, wobble=False), blocks[-1].end)
    assert result.status == "no_variation" and result.difference is None


@pytest.mark.parametrize(
    ("difference", "low", "high", "verdict"),
    [
        (3.0, 2.0, 4.0, "worthwhile"),  # the lower bound exactly at the minimal important change
        (2.0, 0.3, 3.7, "likely_worthwhile"),  # the estimate exactly at it
        (1.99, 0.3, 3.7, "small"),
        (1.0, -0.5, 1.99, "unlikely_worthwhile"),
        (1.0, -0.5, 2.5, "unclear"),
        (0.0, 0.0, 2.5, "unclear"),  # an interval touching 0 does not exclude it
        (-2.0, -3.0, -0.1, "worse"),
    ],
)
def test_the_verdict_against_the_minimal_important_change(
    difference: float, low: float, high: float, verdict: str
) -> None:
    assert judge(difference, low, high)[0] == verdict


def test_worse_reads_as_higher_pain() -> None:
    text = judge(-1.4, -2.5, -0.3)[1]
    assert "1.4 points higher" in text and "0.3 to 2.5 points higher" in text and "clinician" in text


# --- Validation on simulated trials with a known effect -----------------------------------------------------------
# Daily pain: 6 on average, lowered by the true effect on inversion days; day-to-day noise with SD 1.5 and
# autocorrelation 0.5 (daily pain diaries run at about 0.4-0.6); whole numbers 0-10; one diary day in ten missed.
SIMULATED_TRIALS = 1000
NOISE_SD, NOISE_PHI, MISSED = 1.5, 0.5, 0.1


def simulate(rng: np.random.Generator, effect: float, seed: int) -> tuple[tuple, list[DiaryEntry]]:
    blocks = schedule(design(seed=seed))
    days = blocks[-1].end.toordinal() - START.toordinal() + 1
    noise = np.empty(days)
    noise[0] = rng.normal(0, NOISE_SD)
    innovation = NOISE_SD * np.sqrt(1 - NOISE_PHI**2)
    for t in range(1, days):
        noise[t] = NOISE_PHI * noise[t - 1] + rng.normal(0, innovation)
    diary = []
    for t in range(days):
        day = START + dt.timedelta(days=t)
        block = block_on(blocks, day)
        assert block is not None
        if rng.random() < MISSED:
            continue
        lowered = effect if block.arm is Arm.INVERSION else 0.0
        diary.append(DiaryEntry(date=day, pain=int(np.clip(np.rint(6 - lowered + noise[t]), 0, 10))))
    return blocks, diary


def run_simulation(effect: float, seed: int) -> tuple[float, float]:
    """(share of intervals covering the true effect, share excluding 0)."""
    rng = np.random.default_rng(seed)
    covered = excluded = analysed = 0
    for trial in range(SIMULATED_TRIALS):
        blocks, diary = simulate(rng, effect, seed * 10_000 + trial)
        result = analyse(blocks, diary, blocks[-1].end)
        if result.status == "not_enough_data":  # too many missed days: said so, and no interval is given
            continue
        assert result.status == "final" and result.low is not None and result.high is not None
        analysed += 1
        covered += result.low <= effect <= result.high
        excluded += result.low > 0 or result.high < 0
    assert analysed >= 0.98 * SIMULATED_TRIALS
    return covered / analysed, excluded / analysed


def test_with_a_true_difference_of_2_the_interval_covers_it_93_to_97_percent_and_mostly_excludes_0() -> None:
    coverage, excludes_zero = run_simulation(effect=2.0, seed=2026)
    print(f"true difference 2: coverage {coverage:.3f}, excludes 0 {excludes_zero:.3f}")
    assert 0.93 <= coverage <= 0.97
    assert excludes_zero > 0.5


def test_with_no_true_difference_the_interval_excludes_0_in_3_to_7_percent() -> None:
    _, excludes_zero = run_simulation(effect=0.0, seed=2027)
    print(f"no true difference: excludes 0 {excludes_zero:.3f}")
    assert 0.03 <= excludes_zero <= 0.07
