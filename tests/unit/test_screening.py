from __future__ import annotations

import datetime as dt
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hangtime.core.evidence import Clearer, Evidence, Outcome
from hangtime.core.screening import Answers, AnswersError, Caps, ClearanceRecord, screen


def examples(full: int) -> int:
    """Hypothesis examples: fewer under `make mutation`, where each mutant reruns this test."""
    return min(full, 30) if "MUTANT_UNDER_TEST" in os.environ else full


TODAY = dt.date(2026, 11, 23)
S000, S001, S002, S003, S004 = (
    "000_79fda920e57141e5.txt",
    "001_0fb7dfc0018ce664.txt",
    "002_69a110ed5ca4f6a5.txt",
    "003_f4899f5b5ff1bc75.txt",
    "004_584a5bb47199d2da.txt",
)


def adult(**changes: object) -> Answers:
    base: dict[str, object] = {"age": 45, "height_cm": 178, "weight_kg": 82}
    base.update(changes)
    return Answers.model_validate(base)


# Every contraindication or precaution the seed articles name: its outcome and the seed that names it.
SEED_CONTRAINDICATIONS = [
    ("cataract_surgery", Outcome.NOT_ADVISED, S001),
    ("retinal_detachment", Outcome.NOT_ADVISED, S001),
    ("retinal_detachment", Outcome.NOT_ADVISED, S004),
    ("retinal_detachment", Outcome.NOT_ADVISED, S000),
    ("other_eye_condition", Outcome.NEEDS_CLEARANCE, S001),
    ("raised_intracranial_pressure", Outcome.NOT_ADVISED, S001),
    ("raised_intracranial_pressure", Outcome.NOT_ADVISED, S002),
    ("ankle_injury", Outcome.NOT_ADVISED, S001),
    ("circulatory_disorder", Outcome.NOT_ADVISED, S001),
    ("circulatory_disorder", Outcome.NOT_ADVISED, S000),
    ("heart_disease", Outcome.NOT_ADVISED, S001),
    ("heart_disease", Outcome.NOT_ADVISED, S003),
    ("heart_disease", Outcome.NOT_ADVISED, S004),
    ("hypertension", Outcome.NOT_ADVISED, S001),
    ("hypertension", Outcome.NOT_ADVISED, S000),
    ("hypertension", Outcome.NOT_ADVISED, S002),
    ("hypertension", Outcome.NOT_ADVISED, S004),
    ("pregnancy", Outcome.NOT_ADVISED, S001),
    ("pregnancy", Outcome.NOT_ADVISED, S003),
    ("pregnancy", Outcome.NOT_ADVISED, S004),
    ("glaucoma", Outcome.NOT_ADVISED, S000),
    ("glaucoma", Outcome.NOT_ADVISED, S002),
    ("glaucoma", Outcome.NOT_ADVISED, S003),
    ("glaucoma", Outcome.NOT_ADVISED, S004),
    ("knee_replacement", Outcome.NEEDS_CLEARANCE, S000),
    ("knee_pain", Outcome.NEEDS_CLEARANCE, S000),
    ("severe_headaches", Outcome.NEEDS_CLEARANCE, S003),
    ("vision_correction_surgery", Outcome.NEEDS_CLEARANCE, S003),
    ("dizziness_or_vertigo", Outcome.NEEDS_CLEARANCE, S003),
    ("spinal_fusion", Outcome.NEEDS_CLEARANCE, S003),
    ("sleep_disorder", Outcome.NEEDS_CLEARANCE, S003),
    ("osteoporosis", Outcome.NEEDS_CLEARANCE, S004),
    ("recent_surgery", Outcome.NOT_ADVISED, S004),
]


@pytest.mark.parametrize(("condition", "outcome", "seed"), SEED_CONTRAINDICATIONS)
def test_seed_contraindication(evidence: Evidence, condition: str, outcome: Outcome, seed: str) -> None:
    result = screen(adult(conditions=[condition]), evidence, TODAY)
    assert result.outcome is outcome
    reason = next(r for r in result.reasons if r.rule == condition)
    assert seed in reason.sources
    if outcome is Outcome.NOT_ADVISED:
        assert result.alternatives, "a not-advised outcome shows alternatives"
        assert "aquatics" in result.alternatives


def test_children_are_never_cleared(evidence: Evidence) -> None:
    result = screen(adult(age=15, height_cm=165, weight_kg=55), evidence, TODAY)
    assert result.outcome is Outcome.NOT_ADVISED
    minimum_age = next(r for r in result.reasons if r.rule == "minimum_age")
    assert S003 in minimum_age.sources


@pytest.mark.parametrize(("height", "weight"), [(140, 60), (200, 90), (180, 140)])
def test_outside_table_limits_is_not_cleared(evidence: Evidence, height: float, weight: float) -> None:
    result = screen(adult(height_cm=height, weight_kg=weight), evidence, TODAY)
    assert result.outcome is Outcome.NOT_ADVISED
    assert any(r.rule == "table_limits" for r in result.reasons)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "expected"),
    [(139, 89, Outcome.CLEARED), (140, 80, Outcome.NEEDS_CLEARANCE), (130, 90, Outcome.NEEDS_CLEARANCE)],
)
def test_blood_pressure_threshold(evidence: Evidence, systolic: int, diastolic: int, expected: Outcome) -> None:
    answers = adult(blood_pressure={"systolic": systolic, "diastolic": diastolic})
    assert screen(answers, evidence, TODAY).outcome is expected


def test_physician_clearance_lifts_high_reading(evidence: Evidence) -> None:
    clearance = {"by": "physician", "date": "2026-11-01", "conditions": ["bp_reading_high"]}
    reading = {"systolic": 150, "diastolic": 95, "measured_on": "2026-10-30"}
    answers = adult(blood_pressure=reading, clearances=[clearance])
    result = screen(answers, evidence, TODAY)
    assert result.outcome is Outcome.CLEARED
    assert "Cleared by physician on 2026-11-01" in next(r.text for r in result.reasons if r.rule == "bp_reading_high")


def test_clearance_never_lifts_not_advised(evidence: Evidence) -> None:
    clearance = {"by": "physician", "date": "2026-11-01", "conditions": ["glaucoma"]}
    result = screen(adult(conditions=["glaucoma"], clearances=[clearance]), evidence, TODAY)
    assert result.outcome is Outcome.NOT_ADVISED
    assert "does not lift" in next(r.text for r in result.reasons if r.rule == "glaucoma")


def test_clearance_must_come_from_the_right_professional(evidence: Evidence) -> None:
    wrong = {"by": "physical_therapist", "date": "2026-11-01", "conditions": ["vision_correction_surgery"]}
    right = {"by": "eye_care", "date": "2026-11-01", "conditions": ["vision_correction_surgery"]}
    assert (
        screen(adult(conditions=["vision_correction_surgery"], clearances=[wrong]), evidence, TODAY).outcome
        is Outcome.NEEDS_CLEARANCE
    )
    assert (
        screen(adult(conditions=["vision_correction_surgery"], clearances=[right]), evidence, TODAY).outcome
        is Outcome.CLEARED
    )


def test_clearance_with_stricter_caps(evidence: Evidence) -> None:
    clearance = {"by": "surgeon", "date": "2026-10-01", "conditions": ["spinal_fusion"], "caps": {"max_angle_deg": 30}}
    result = screen(adult(conditions=["spinal_fusion"], clearances=[clearance]), evidence, TODAY)
    assert result.outcome is Outcome.CLEARED
    assert result.caps.max_angle_deg == 30
    assert result.caps.max_hold_s == 300  # the fusion limit from 003


def test_knee_keeps_off_full_inversion_and_to_a_few_minutes(evidence: Evidence) -> None:
    caps = screen(adult(conditions=["knee_pain"]), evidence, TODAY).caps
    assert caps.max_angle_deg < 90 and caps.max_hold_s <= 180


def test_vertigo_limits_the_tilt_rate(evidence: Evidence) -> None:
    clearance = {"by": "physician", "date": "2026-11-01", "conditions": ["dizziness_or_vertigo"]}
    result = screen(adult(conditions=["dizziness_or_vertigo"], clearances=[clearance]), evidence, TODAY)
    assert result.outcome is Outcome.CLEARED
    assert result.caps.max_tilt_rate_deg_s == 2


def test_unrestricted_adult_caps(evidence: Evidence) -> None:
    result = screen(adult(), evidence, TODAY)
    assert result.outcome is Outcome.CLEARED
    assert result.caps == Caps(60, 300, 2, 6, None, result.caps.notes)
    assert screen(adult(experienced=True), evidence, TODAY).caps.supervised_sessions == 2


def test_expiry(evidence: Evidence) -> None:
    result = screen(adult(), evidence, TODAY)
    assert result.valid_until == TODAY + dt.timedelta(days=90)
    assert result.usable_on(TODAY + dt.timedelta(days=90))
    assert not result.usable_on(TODAY + dt.timedelta(days=91))
    assert not screen(adult(conditions=["glaucoma"]), evidence, TODAY).usable_on(TODAY)


def test_round_trip(evidence: Evidence) -> None:
    from hangtime.core.screening import ScreeningResult

    result = screen(adult(conditions=["knee_pain", "spinal_fusion"]), evidence, TODAY)
    assert ScreeningResult.from_dict(result.as_dict()) == result


def test_unknown_condition_and_table_are_refused(evidence: Evidence) -> None:
    with pytest.raises(AnswersError, match="unknown condition 'flu'"):
        screen(adult(conditions=["flu"]), evidence, TODAY)
    with pytest.raises(AnswersError, match="unknown table 'rack'"):
        screen(adult(table="rack"), evidence, TODAY)
    future = ClearanceRecord(by=Clearer.PHYSICIAN, date=TODAY + dt.timedelta(days=1), conditions=("bp_reading_high",))
    with pytest.raises(AnswersError, match="in the future"):
        screen(adult(clearances=[future.model_dump()]), evidence, TODAY)


def test_answers_accept_imperial_units() -> None:
    answers = Answers.model_validate({"age": 50, "height": "5 ft 10 in", "weight": "180 lb"})
    assert answers.height_cm == pytest.approx(177.8)
    assert answers.weight_kg == pytest.approx(81.65, abs=0.01)
    numeric = Answers.model_validate({"age": 50, "height_in": 70, "weight_lb": 180})
    assert numeric.height_cm == pytest.approx(177.8)


def _looser(after: Caps, before: Caps) -> bool:
    rate_looser = before.max_tilt_rate_deg_s is not None and (
        after.max_tilt_rate_deg_s is None or after.max_tilt_rate_deg_s > before.max_tilt_rate_deg_s
    )
    return (
        after.max_angle_deg > before.max_angle_deg
        or after.max_hold_s > before.max_hold_s
        or after.max_sessions_per_day > before.max_sessions_per_day
        or after.supervised_sessions < before.supervised_sessions
        or rate_looser
    )


@st.composite
def answers_and_extra(draw: st.DrawFn, evidence: Evidence) -> tuple[Answers, str]:
    ids = sorted(evidence.conditions)
    conditions = draw(st.lists(st.sampled_from(ids), max_size=6, unique=True))
    extra = draw(st.sampled_from(ids))
    cleared = draw(st.lists(st.sampled_from(ids), max_size=6, unique=True))
    age = draw(st.integers(10, 95))
    clearances = []
    if cleared and age >= 19:  # a clearance from before the 18th birthday is refused as input
        clearances.append({"by": draw(st.sampled_from(list(Clearer))), "date": "2026-11-01", "conditions": cleared})
    answers = Answers.model_validate(
        {
            "age": age,
            "height_cm": draw(st.floats(130, 210)),
            "weight_kg": draw(st.floats(35, 160)),
            "conditions": conditions,
            "clearances": clearances,
            "experienced": draw(st.booleans()),
            "blood_pressure": draw(
                st.none() | st.builds(dict, systolic=st.integers(100, 180), diastolic=st.integers(50, 99))
            ),
        }
    )
    return answers, extra


@settings(max_examples=examples(300), deadline=None)
@given(data=st.data())
def test_screening_is_monotone(evidence: Evidence, data: st.DataObject) -> None:
    answers, extra = data.draw(answers_and_extra(evidence))
    before = screen(answers, evidence, TODAY)
    more = answers.model_copy(update={"conditions": (*answers.conditions, extra)})
    after = screen(more, evidence, TODAY)
    assert after.outcome.strictness >= before.outcome.strictness
    assert not _looser(after.caps, before.caps)
