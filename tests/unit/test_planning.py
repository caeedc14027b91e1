from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hangtime.core import planning as planning_module
from hangtime.core.evidence import Evidence, Outcome
from hangtime.core.planning import (
    Decision,
    Mode,
    Plan,
    PlanError,
    Preferences,
    SessionLog,
    Tolerance,
    create_plan,
    review_week,
    session_dates,
    weeks_due_for_review,
)
from hangtime.core.screening import Answers, ScreeningResult, screen

TODAY = dt.date(2026, 11, 23)
START = dt.date(2026, 11, 30)


def screening(evidence: Evidence, conditions: list[str] | None = None, **extra: object) -> ScreeningResult:
    data: dict[str, object] = {"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": conditions or []}
    data.update(extra)
    return screen(Answers.model_validate(data), evidence, TODAY)


def test_default_plan_follows_the_protocol(evidence: Evidence) -> None:
    plan = create_plan(screening(evidence), Preferences(start_date=START), evidence, TODAY)
    assert len(plan.weeks) == 8
    first = plan.weeks[0].prescription
    assert first.angle_deg == 20 and first.inverted_s == 60 and first.sets == 1
    assert "001_0fb7dfc0018ce664.txt" in plan.weeks[0].sources
    assert plan.weeks[0].reason_code == "start" and plan.weeks[0].reason_label == "First week"
    assert all(
        b.start_date - a.start_date == dt.timedelta(days=7) for a, b in zip(plan.weeks, plan.weeks[1:], strict=False)
    )
    assert plan.handover["exercises"], "the course ends with the hand-over to exercise"
    assert any(e["id"] == "hamstring_stretch" for e in plan.handover["exercises"])


def test_sets_split_long_holds(evidence: Evidence) -> None:
    plan = create_plan(screening(evidence), Preferences(start_date=START, weeks=12), evidence, TODAY)
    last = plan.weeks[-1].prescription
    assert last.sets > 1 and last.hold_s <= 180 and last.rest_s > 0
    assert "kim_2013" in plan.weeks[-1].sources


def test_oscillation_mode(evidence: Evidence) -> None:
    plan = create_plan(screening(evidence), Preferences(start_date=START, mode=Mode.OSCILLATION), evidence, TODAY)
    week = plan.weeks[3]
    assert week.prescription.mode is Mode.OSCILLATION
    assert week.prescription.as_dict()["oscillation"] == {"down_s": 30, "up_s": 30}
    assert "003_f4899f5b5ff1bc75.txt" in week.sources


def test_knee_caps_stop_the_ladder(evidence: Evidence) -> None:
    knee = screening(
        evidence, ["knee_pain"], clearances=[{"by": "physician", "date": "2026-11-01", "conditions": ["knee_pain"]}]
    )
    plan = create_plan(knee, Preferences(start_date=START, weeks=12), evidence, TODAY)
    assert max(w.prescription.angle_deg for w in plan.weeks) == 45
    assert max(w.prescription.inverted_s for w in plan.weeks) == 180
    assert "Your screening caps limit this step" in plan.weeks[-1].reason_text


@pytest.mark.parametrize("conditions", [["glaucoma"], ["dizziness_or_vertigo"]])
def test_no_plan_without_clearance(evidence: Evidence, conditions: list[str]) -> None:
    with pytest.raises(PlanError, match="no plan until you are cleared"):
        create_plan(screening(evidence, conditions), Preferences(start_date=START), evidence, TODAY)


def test_no_plan_on_expired_screening(evidence: Evidence) -> None:
    later = TODAY + dt.timedelta(days=91)
    with pytest.raises(PlanError, match="expired"):
        create_plan(screening(evidence), Preferences(start_date=later), evidence, later)


def test_preferences_are_checked(evidence: Evidence) -> None:
    result = screening(evidence)
    with pytest.raises(PlanError, match="8-12 weeks"):
        create_plan(result, Preferences(start_date=START, weeks=20), evidence, TODAY)
    with pytest.raises(PlanError, match="above your cap"):
        create_plan(result, Preferences(start_date=START, sessions_per_day=3), evidence, TODAY)
    with pytest.raises(PlanError, match="in the past"):
        create_plan(result, Preferences(start_date=TODAY - dt.timedelta(days=1)), evidence, TODAY)


def good_week(plan: Plan, week: int) -> list[SessionLog]:
    days = [d for w, d in session_dates(plan) if w == week]
    return [SessionLog(date=d, pain_before=4, pain_after=3, tolerance=Tolerance.JUST_RIGHT) for d in days]


def test_review_progresses_holds_regresses_and_pauses(evidence: Evidence) -> None:
    plan = create_plan(screening(evidence), Preferences(start_date=START), evidence, TODAY)
    plan, revision = review_week(plan, 1, good_week(plan, 1), evidence)
    assert revision.decision is Decision.PROGRESS and plan.weeks[1].level == 1
    # Too few sessions: hold.
    plan, revision = review_week(plan, 2, good_week(plan, 2)[:1], evidence)
    assert revision.decision is Decision.HOLD and plan.weeks[2].level == 1
    # Pain up by 2 (the minimal important change): step back.
    logs = [log.model_copy(update={"pain_after": 6}) for log in good_week(plan, 3)]
    plan, revision = review_week(plan, 3, logs, evidence)
    assert revision.decision is Decision.REGRESS and plan.weeks[3].level == 0
    assert "ostelo_2008" in revision.sources
    # A red-flag symptom pauses the plan.
    logs = good_week(plan, 4)
    logs[0] = logs[0].model_copy(update={"symptoms": ("eye_pressure_or_blurred_vision",)})
    plan, revision = review_week(plan, 4, logs, evidence)
    assert revision.decision is Decision.PAUSE and plan.paused
    with pytest.raises(PlanError, match="already been reviewed"):
        review_week(plan, 4, logs, evidence)


def test_only_finished_weeks_are_due(evidence: Evidence) -> None:
    plan = create_plan(screening(evidence), Preferences(start_date=START), evidence, TODAY)
    assert weeks_due_for_review(plan, START + dt.timedelta(days=6)) == []
    assert weeks_due_for_review(plan, START + dt.timedelta(days=7)) == [1]


@st.composite
def screenings(draw: st.DrawFn, evidence: Evidence) -> ScreeningResult:
    capped = ["knee_pain", "knee_replacement", "hip_problem", "spinal_fusion", "dizziness_or_vertigo", "osteoporosis"]
    conditions = draw(st.lists(st.sampled_from(capped), max_size=3, unique=True))
    caps = draw(
        st.none()
        | st.builds(
            dict,
            max_angle_deg=st.none() | st.floats(5, 90),
            max_hold_s=st.none() | st.integers(10, 600),
            max_sessions_per_day=st.none() | st.integers(1, 3),
        )
    )
    clearance = {"by": "physician", "date": "2026-11-01", "conditions": conditions or ["bp_reading_high"], "caps": caps}
    surgeon = {"by": "surgeon", "date": "2026-11-01", "conditions": conditions or ["bp_reading_high"]}
    result = screening(
        evidence,
        conditions,
        experienced=draw(st.booleans()),
        clearances=[clearance, surgeon],
        age=draw(st.integers(19, 90)),
    )
    assert result.outcome is Outcome.CLEARED
    return result


@st.composite
def week_logs(draw: st.DrawFn, evidence: Evidence, plan: Plan, week: int) -> list[SessionLog]:
    days = [d for w, d in session_dates(plan) if w == week]
    logs = []
    for day in days:
        if not draw(st.booleans()):
            continue
        logs.append(
            SessionLog(
                date=day,
                completed=draw(st.booleans()),
                pain_before=draw(st.none() | st.integers(0, 10)),
                pain_after=draw(st.none() | st.integers(0, 10)),
                tolerance=draw(st.none() | st.sampled_from(list(Tolerance))),
                symptoms=tuple(draw(st.lists(st.sampled_from(sorted(evidence.symptoms)), max_size=2, unique=True)))
                if draw(st.integers(0, 5)) == 0
                else (),
            )
        )
    return logs


def assert_within_caps(plan: Plan, result: ScreeningResult) -> None:
    for week in plan.weeks:
        p = week.prescription
        assert p.angle_deg <= result.caps.max_angle_deg
        assert p.inverted_s <= result.caps.max_hold_s
        assert p.hold_s <= result.caps.max_hold_s
        assert p.sessions_per_day <= result.caps.max_sessions_per_day


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_random_plans_and_weeks_stay_safe(evidence: Evidence, data: st.DataObject) -> None:
    result = data.draw(screenings(evidence))
    prefs = Preferences(
        start_date=START,
        weeks=data.draw(st.integers(8, 12)),
        days_per_week=data.draw(st.integers(1, 7)),
        sessions_per_day=data.draw(st.integers(1, result.caps.max_sessions_per_day)),
        mode=data.draw(st.sampled_from(list(Mode))),
    )
    plan = create_plan(result, prefs, evidence, TODAY)
    first = plan.weeks[0].prescription
    assert first.angle_deg <= 20 and first.inverted_s <= 120
    assert_within_caps(plan, result)
    for week_number in range(1, len(plan.weeks)):
        logs = data.draw(week_logs(evidence, plan, week_number))
        before = plan.weeks[week_number - 1]
        plan, revision = review_week(plan, week_number, logs, evidence)
        after = plan.weeks[week_number]
        assert_within_caps(plan, result)
        # Angle and hold change only at a week boundary, by at most one rung.
        assert abs(after.level - before.level) <= 1
        if any(log.symptoms for log in logs):
            assert after.level <= before.level, "a week with an adverse symptom never progresses"
            assert revision.decision in (Decision.REGRESS, Decision.PAUSE)
        if plan.paused:
            break


@settings(max_examples=30, deadline=None)
@given(weeks=st.integers(8, 12), days=st.integers(3, 7), mode=st.sampled_from(list(Mode)))
def test_tolerated_course_reaches_the_standard_session(evidence: Evidence, weeks: int, days: int, mode: Mode) -> None:
    plan = create_plan(
        screening(evidence), Preferences(start_date=START, weeks=weeks, days_per_week=days, mode=mode), evidence, TODAY
    )
    for week_number in range(1, weeks):
        plan, _ = review_week(plan, week_number, good_week(plan, week_number), evidence)
    reached = [
        w for w in plan.weeks if 30 <= w.prescription.angle_deg <= 60 and 120 <= w.prescription.inverted_s <= 300
    ]
    assert reached, "a fully tolerated course reaches 2-5 minutes at 30-60 degrees"
    assert any("standard session" in w.reason_text for w in reached)


def test_every_week_reason_has_a_label_and_a_sourced_text(evidence: Evidence) -> None:
    from hangtime.core.planning import WEEK_REASON_LABELS

    notes = evidence.protocol.notes
    assert set(WEEK_REASON_LABELS) <= set(notes), "each label names a protocol note, whose text cites its sources"
    codes = {"start", "progression", "hold"}
    source = Path(planning_module.__file__).read_text()
    codes |= set(re.findall(r'return Decision\.\w+, "(\w+)"', source))
    assert codes <= set(WEEK_REASON_LABELS), f"no label for {codes - set(WEEK_REASON_LABELS)}"


def test_a_clinician_may_tighten_any_cap_but_never_loosen_one(evidence: Evidence) -> None:
    from hangtime.core.evidence.models import PartialCaps
    from hangtime.core.planning import Decision, tighten_plan

    plan = create_plan(screening(evidence), Preferences(start_date=START), evidence, TODAY)
    in_week_3 = START + dt.timedelta(weeks=2, days=1)
    # Exactly at the screening's caps is allowed (nothing loosens); one above any of them is refused.
    tighten_plan(plan, PartialCaps(max_angle_deg=plan.caps.max_angle_deg), in_week_3, "same", evidence.protocol)
    for limit in (
        PartialCaps(max_angle_deg=plan.caps.max_angle_deg + 1),
        PartialCaps(max_hold_s=plan.caps.max_hold_s + 1),
        PartialCaps(max_sessions_per_day=plan.caps.max_sessions_per_day + 1),
    ):
        with pytest.raises(PlanError, match="may only tighten"):
            tighten_plan(plan, limit, in_week_3, "more", evidence.protocol)
    with pytest.raises(PlanError, match="at least one limit"):
        tighten_plan(plan, PartialCaps(), in_week_3, "nothing", evidence.protocol)
    with pytest.raises(PlanError, match="say why"):
        tighten_plan(plan, PartialCaps(max_angle_deg=25), in_week_3, "  ", evidence.protocol)

    tightened, revision = tighten_plan(
        plan, PartialCaps(max_angle_deg=25, max_hold_s=90), in_week_3, "Dizzy at 30 degrees", evidence.protocol
    )
    assert tightened.caps.max_angle_deg == 25 and tightened.caps.max_hold_s == 90
    assert tightened.weeks[:2] == plan.weeks[:2], "weeks already past stay as they were"
    for week in tightened.weeks[2:]:
        assert week.prescription.angle_deg <= 25 and week.prescription.inverted_s <= 90
    assert tightened.weeks[2].reason_code == "clinician_adjusted"
    assert tightened.weeks[2].reason_label == "Limits set by your clinician"
    assert (revision.week, revision.decision, revision.key) == (3, Decision.ADJUST, "clinician_adjusted")
    assert revision.text.startswith("Dizzy at 30 degrees") and revision.sources
    # The ladder is clamped, so the weekly review can never climb past the clinician's limits.
    assert all(rung.angle_deg <= 25 and rung.total_hold_s <= 90 for rung in tightened.ladder)
    with pytest.raises(PlanError, match="more than the screening allows"):
        tighten_plan(tightened, PartialCaps(max_angle_deg=30), in_week_3, "back up", evidence.protocol)
    after_the_end = plan.end_date + dt.timedelta(days=1)
    with pytest.raises(PlanError, match="has ended"):
        tighten_plan(plan, PartialCaps(max_angle_deg=25), after_the_end, "late", evidence.protocol)
