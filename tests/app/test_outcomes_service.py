"""Outcome measures and the personal trial as use cases: who may start a trial, the held dose, no session in a
block without inversion, the PEG once a week and the impression of change at weeks 4, 8 and 12."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import follow_plan_from
from hangtime.app import services
from hangtime.app.services import ServiceError
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import DiaryEntry, GlobalImpression, PegAnswers
from hangtime.core.planning import Preferences, SessionLog
from hangtime.core.screening import Answers
from hangtime.core.trial import Arm
from hangtime.store import Database

ME = "local"
START = dt.date(2026, 3, 2)  # a Monday
CLEARED = Answers.model_validate({"age": 45, "height_cm": 178, "weight_kg": 82})


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'h.db'}")
    yield database
    database.dispose()


def follow_plan(db: Database, evidence: Evidence, weeks: int) -> None:
    follow_plan_from(db, evidence, START, weeks)


def test_a_trial_needs_a_plan_followed_for_two_weeks(db: Database, evidence: Evidence) -> None:
    with pytest.raises(ServiceError, match="needs a cleared"):
        services.start_trial(db, evidence, START, 3, 7, owner_handle=ME)
    follow_plan(db, evidence, 1)
    day = START + dt.timedelta(weeks=1)
    with pytest.raises(ServiceError, match="run 2 full weeks") as refused:
        services.start_trial(db, evidence, day, 3, 7, owner_handle=ME)
    assert "it has run 1" in str(refused.value)
    assert services.trial_view(db, day, owner_handle=ME) is None  # a refusal writes nothing


def test_a_trial_that_would_outlast_the_plan_is_refused(db: Database, evidence: Evidence) -> None:
    follow_plan(db, evidence, 2)
    day = START + dt.timedelta(weeks=2)
    # The 8-week plan has 42 days left: 3 pairs of 7 days fit exactly, a fourth pair does not.
    with pytest.raises(ServiceError, match="your plan ends on 2026-04-26"):
        services.start_trial(db, evidence, day, 4, 7, owner_handle=ME)
    view = services.start_trial(db, evidence, day, 3, 7, seed=5, owner_handle=ME)
    assert view.design.end == dt.date(2026, 4, 26)
    with pytest.raises(ServiceError, match="already running"):
        services.start_trial(db, evidence, day, 2, 7, owner_handle=ME)


@pytest.mark.parametrize(("valid_until", "allowed"), [(dt.date(2026, 4, 26), True), (dt.date(2026, 4, 25), False)])
def test_the_screening_must_last_until_the_trials_last_day(
    db: Database, evidence: Evidence, valid_until: dt.date, allowed: bool
) -> None:
    # A knee clearance that lasts exactly to the trial's last day (2026-04-26) is enough; a day less is not.
    clearance = {"by": "physician", "date": "2026-03-01", "conditions": ["knee_pain"], "valid_until": valid_until}
    answers = Answers.model_validate(
        {"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["knee_pain"], "clearances": [clearance]}
    )
    follow_plan_from(db, evidence, START, 2, answers=answers)
    day = START + dt.timedelta(weeks=2)
    if allowed:
        assert services.start_trial(db, evidence, day, 3, 7, seed=5, owner_handle=ME).design.end == valid_until
    else:
        with pytest.raises(ServiceError, match="valid until 2026-04-25, before the trial would end on 2026-04-26"):
            services.start_trial(db, evidence, day, 3, 7, seed=5, owner_handle=ME)


def test_starting_a_trial_holds_the_dose_for_the_rest_of_the_plan(db: Database, evidence: Evidence) -> None:
    follow_plan(db, evidence, 2)
    day = START + dt.timedelta(weeks=2)
    before = services.current_plan(db, evidence, day, owner_handle=ME)
    assert before is not None
    held_rx = before.plan.weeks[2].prescription
    assert before.plan.weeks[5].prescription.angle_deg > held_rx.angle_deg  # the plan was going to climb
    services.start_trial(db, evidence, day, 3, 7, seed=5, owner_handle=ME)
    after = services.current_plan(db, evidence, day, owner_handle=ME)
    assert after is not None
    for week in after.plan.weeks[2:]:
        assert week.prescription.angle_deg == held_rx.angle_deg
        assert week.prescription.inverted_s == held_rx.inverted_s
    assert after.plan.weeks[2].reason_label == "Held for your personal trial"
    assert any("A personal trial started." in str(r["text"]) for r in after.revisions)


def first_block_of(view: services.TrialView, arm: Arm) -> dt.date:
    return next(block.start for block in view.blocks if block.arm is arm)


def test_no_session_in_a_block_without_inversion(db: Database, evidence: Evidence) -> None:
    follow_plan(db, evidence, 2)
    day = START + dt.timedelta(weeks=2)
    view = services.start_trial(db, evidence, day, 3, 7, seed=5, owner_handle=ME)
    without = first_block_of(view, Arm.NO_INVERSION)
    with_inversion = first_block_of(view, Arm.INVERSION)
    with pytest.raises(ServiceError, match="without inversion"):
        services.prepare_session(db, evidence, without, 30, owner_handle=ME)
    assert services.prepare_session(db, evidence, with_inversion, 30, owner_handle=ME).week is not None
    typed = SessionLog(date=without, pain_before=3, angle_deg=20, inverted_s=60)
    with pytest.raises(ServiceError, match="without inversion"):
        services.log_sessions(db, evidence, [typed], without, owner_handle=ME)
    # Stopping the trial lifts the refusal from that day on.
    services.stop_trial(db, without, owner_handle=ME)
    assert services.prepare_session(db, evidence, without, 30, owner_handle=ME).week is not None
    with pytest.raises(ServiceError, match="no personal trial is running"):
        services.stop_trial(db, without, owner_handle=ME)


def test_the_trial_result_reads_the_diary(db: Database, evidence: Evidence) -> None:
    follow_plan(db, evidence, 2)
    day = START + dt.timedelta(weeks=2)
    view = services.start_trial(db, evidence, day, 3, 7, seed=5, owner_handle=ME)
    for block in view.blocks:
        for offset in range(block.days):
            pain = (2 if block.arm is Arm.INVERSION else 5) + offset % 2
            entry = DiaryEntry(date=block.start + dt.timedelta(days=offset), pain=pain)
            services.record_diary(db, entry, view.design.end, owner_handle=ME)
    result = services.trial_view(db, view.design.end, owner_handle=ME)
    assert result is not None
    assert result.result.status == "final"
    assert result.result.difference == pytest.approx(3.0, abs=0.01)
    assert result.as_dict()["seed"] == 5 and len(result.as_dict()["blocks"]) == 6  # type: ignore[arg-type]


def test_the_peg_is_asked_once_a_week(db: Database, evidence: Evidence) -> None:
    due = services.outcomes_due(db, START, owner_handle=ME)
    assert due.peg_due and due.pgic_week is None and due.diary_today is None
    services.record_peg(db, PegAnswers(date=START, pain=6, enjoyment=5, activity=4), START, owner_handle=ME)
    assert not services.outcomes_due(db, START + dt.timedelta(days=6), owner_handle=ME).peg_due  # Sunday
    assert services.outcomes_due(db, START + dt.timedelta(days=7), owner_handle=ME).peg_due  # next Monday
    with pytest.raises(ServiceError, match="future"):
        services.record_peg(
            db, PegAnswers(date=START + dt.timedelta(days=1), pain=1, enjoyment=1, activity=1), START, owner_handle=ME
        )
    later = START + dt.timedelta(weeks=4)
    services.record_peg(db, PegAnswers(date=later, pain=3, enjoyment=3, activity=3), later, owner_handle=ME)
    series = services.outcome_series(db, owner_handle=ME)
    assert [p.score for p in series.pegs] == [5.0, 3.0]
    assert series.peg_change.direction == "better"  # 2 points is 40% of 5


def test_the_impression_of_change_is_asked_at_weeks_4_8_and_12(db: Database, evidence: Evidence) -> None:
    services.make_plan(db, evidence, Preferences(start_date=START, weeks=12), START, CLEARED, owner_handle=ME)
    week_3 = START + dt.timedelta(weeks=2, days=6)
    week_4 = START + dt.timedelta(weeks=3)
    with pytest.raises(ServiceError, match="none is due"):
        services.record_global_impression(db, GlobalImpression.MUCH_BETTER, week_3, owner_handle=ME)
    assert services.outcomes_due(db, week_4, owner_handle=ME).pgic_week == 4
    entry = services.record_global_impression(db, GlobalImpression.MUCH_BETTER, week_4, owner_handle=ME)
    assert entry.week == 4 and entry.answer.important_improvement
    with pytest.raises(ServiceError, match="none is due"):
        services.record_global_impression(db, GlobalImpression.NO_CHANGE, week_4, owner_handle=ME)
    # Week 8 missed: asked in week 9 for week 8, and week 4 is never asked again.
    week_9 = START + dt.timedelta(weeks=8)
    assert services.outcomes_due(db, week_9, owner_handle=ME).pgic_week == 8
    services.record_global_impression(db, GlobalImpression.A_LITTLE_BETTER, week_9, owner_handle=ME)
    assert services.outcomes_due(db, week_9, owner_handle=ME).pgic_week is None
    answers = services.outcome_series(db, owner_handle=ME).impressions
    assert [(a.week, a.answer.label) for a in answers] == [(4, "Much better"), (8, "A little better")]
