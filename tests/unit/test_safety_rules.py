"""Issue 9: screening and adaptation as strict as the sources, driven by the project's own cases files."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hangtime.cli.main import app
from hangtime.core import strict_yaml
from hangtime.core.evidence import Clearer, Evidence, Outcome
from hangtime.core.planning import (
    Decision,
    Preferences,
    SessionLog,
    create_plan,
    decide,
    review_week,
)
from hangtime.core.screening import Answers, AnswersError, screen


def examples(full: int) -> int:
    """Hypothesis examples: fewer under `make mutation`, where each mutant reruns this test."""
    return min(full, 30) if "MUTANT_UNDER_TEST" in os.environ else full


TODAY = dt.date(2026, 11, 23)
CASES = Path(__file__).parent / "cases"


def _cases(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((CASES / name).read_text())  # type: ignore[no-any-return]


def _expanded_screening_cases() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    expanded = []
    for case in _cases("screening_rules.yaml"):
        if "each_condition" in case:
            for condition in case["each_condition"]:
                answers = {**case["answers"], "conditions": [condition]}
                expanded.append((f"{case['name']}: {condition}", answers, case["expect"]))
        else:
            expanded.append((case["name"], case["answers"], case["expect"]))
    return expanded


SCREENING_CASES = _expanded_screening_cases()


@pytest.mark.parametrize(("name", "answers", "expect"), SCREENING_CASES, ids=[c[0] for c in SCREENING_CASES])
def test_screening_case(evidence: Evidence, name: str, answers: dict[str, Any], expect: dict[str, Any]) -> None:
    result = screen(Answers.model_validate(answers), evidence, TODAY)
    assert result.outcome is Outcome(expect["outcome"]), [r.text for r in result.reasons]
    if "urgent" in expect:
        assert result.urgent is expect["urgent"]
        if expect["urgent"]:
            assert result.urgent_advice and "medical care today" in result.urgent_advice
            assert "emergency" in result.urgent_advice
            assert result.reasons[0].urgent, "the urgent reason comes first"
            assert result.as_dict()["urgent"] is True
    for cap, value in expect.get("caps", {}).items():
        assert getattr(result.caps, cap) == value, cap
    for rule, clearers in expect.get("clearers", {}).items():
        reason = next(r for r in result.reasons if r.rule == rule)
        assert [c.value for c in reason.clearance_by] == clearers
    if "text" in expect:
        assert any(expect["text"] in r.text for r in result.reasons)


ADAPTATION_CASES = _cases("adaptation_rules.yaml")


@pytest.mark.parametrize("case", ADAPTATION_CASES, ids=[c["name"] for c in ADAPTATION_CASES])
def test_adaptation_case(evidence: Evidence, case: dict[str, Any]) -> None:
    plan = create_plan(
        screen(Answers(age=45, height_cm=178, weight_kg=82), evidence, TODAY),
        Preferences(start_date=dt.date(2026, 11, 16), days_per_week=4),
        evidence,
        dt.date(2026, 11, 16),
    )
    week1, week2 = plan.weeks[0], plan.weeks[1]
    previous = [
        SessionLog(date=week1.start_date + dt.timedelta(days=i), **log)
        for i, log in enumerate(case.get("previous", []))
    ]
    logs = [SessionLog(date=week2.start_date + dt.timedelta(days=i), **log) for i, log in enumerate(case["logs"])]
    decision, reason = decide(week2, logs, evidence, previous)
    assert (decision.value, reason) == (case["expect"]["decision"], case["expect"]["reason"])


# --- clearance dates --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("date", "until", "lasts_to"),
    [
        ("2026-11-01", "2026-12-03", "2026-12-03"),  # a clearance that says it lasts a month: so does the screening
        ("2025-12-20", None, "2026-12-20"),  # 12 months from a clearance of last December: 27 days from today
        ("2026-11-20", None, None),  # a fresh 12-month clearance: the screening's own 90 days apply
    ],
)
def test_a_screening_lasts_no_longer_than_the_clearance_it_relies_on(
    evidence: Evidence, date: str, until: str | None, lasts_to: str | None
) -> None:
    clearance = {"by": "physician", "date": date, "conditions": ["osteoporosis"], "valid_until": until}
    answers = {"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["osteoporosis"], "clearances": [clearance]}
    result = screen(Answers.model_validate(answers), evidence, TODAY)
    assert result.outcome is Outcome.CLEARED
    last = dt.date.fromisoformat(lasts_to) if lasts_to else TODAY + dt.timedelta(days=90)
    assert result.valid_until == last
    assert result.usable_on(last) and not result.usable_on(last + dt.timedelta(days=1))  # exactly at the limit


def test_future_clearance_is_refused(evidence: Evidence) -> None:
    clearance = {"by": "physician", "date": "2026-11-24", "conditions": ["osteoporosis"]}
    with pytest.raises(AnswersError, match="in the future"):
        screen(
            Answers.model_validate({"age": 45, "height_cm": 178, "weight_kg": 82, "clearances": [clearance]}),
            evidence,
            TODAY,
        )


def test_clearance_before_the_18th_birthday_is_refused(evidence: Evidence) -> None:
    # At 20, the 18th birthday was at the latest on 2024-11-23: a clearance from the day before may predate it.
    def answers(date: str) -> Answers:
        clearance = {"by": "physician", "date": date, "conditions": ["osteoporosis"]}
        return Answers.model_validate({"age": 20, "height_cm": 178, "weight_kg": 82, "clearances": [clearance]})

    with pytest.raises(AnswersError, match="18th birthday"):
        screen(answers("2024-11-22"), evidence, TODAY)
    screen(answers("2024-11-23"), evidence, TODAY)  # exactly at the limit: accepted (then expired, but not refused)


# --- strict types --------------------------------------------------------------------------------------------------


def test_true_is_not_an_age() -> None:
    with pytest.raises(ValueError, match="age"):
        Answers.model_validate({"age": True, "height_cm": 178, "weight_kg": 82})
    with pytest.raises(ValueError, match="pain_before"):
        SessionLog.model_validate({"date": "2026-11-23", "pain_before": True})


@pytest.mark.parametrize(("text", "expected"), [("0160", 160), ("007", 7), ("160", 160), ("0", 0)])
def test_yaml_leading_zeros_are_decimal(text: str, expected: int) -> None:
    assert strict_yaml.load(f"height_cm: {text}")["height_cm"] == expected
    assert yaml.safe_load("height_cm: 0160")["height_cm"] == 112  # the YAML 1.1 reading this guards against


def test_answers_file_with_leading_zero_height(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("age: 45\nheight_cm: 0160\nweight_kg: 070\n")
    result = runner.invoke(app, ["screen", "--answers", str(answers), "--json", "--no-save"])
    assert result.exit_code == 0, result.output
    sexagesimal = tmp_path / "b.yaml"
    sexagesimal.write_text("age: 1:30\nheight_cm: 160\nweight_kg: 70\n")
    refused = runner.invoke(app, ["screen", "--answers", str(sexagesimal), "--json", "--no-save"])
    assert refused.exit_code == 2 and "age" in refused.stderr and "Traceback" not in refused.output


# --- properties ----------------------------------------------------------------------------------------------------

URGENT_CONDITIONS = [
    "red_flag_saddle_numbness",
    "red_flag_bladder_or_bowel",
    "red_flag_progressive_weakness",
    "red_flag_cancer_history",
    "red_flag_trauma",
]


@st.composite
def clearance_sets(draw: st.DrawFn, evidence: Evidence) -> list[dict[str, Any]]:
    ids = [*sorted(evidence.conditions), "bp_reading_high", "extreme_obesity"]
    records = []
    for _ in range(draw(st.integers(0, 4))):
        caps = draw(
            st.none()
            | st.builds(
                dict, max_angle_deg=st.none() | st.integers(10, 60), max_hold_s=st.none() | st.integers(30, 300)
            )
        )
        records.append(
            {
                "by": draw(st.sampled_from([c.value for c in Clearer])),
                "date": (TODAY - dt.timedelta(days=draw(st.integers(0, 400)))).isoformat(),
                "conditions": draw(st.lists(st.sampled_from(ids), min_size=1, max_size=4, unique=True)),
                "caps": {k: v for k, v in caps.items() if v is not None} if caps else None,
            }
        )
    return records


@settings(max_examples=examples(200), deadline=None)
@given(data=st.data())
def test_no_clearance_lifts_a_red_flag_or_a_crisis_reading(evidence: Evidence, data: st.DataObject) -> None:
    clearances = data.draw(clearance_sets(evidence))
    red_flag = data.draw(st.sampled_from([*URGENT_CONDITIONS, None]))
    reading = None if red_flag else {"systolic": data.draw(st.integers(180, 260)), "diastolic": 100}
    answers = Answers.model_validate(
        {
            "age": 45,
            "height_cm": 178,
            "weight_kg": 82,
            "conditions": [red_flag] if red_flag else [],
            "blood_pressure": reading,
            "clearances": clearances,
        }
    )
    result = screen(answers, evidence, TODAY)
    assert result.outcome is Outcome.NOT_ADVISED and result.urgent


@settings(max_examples=examples(200), deadline=None)
@given(data=st.data())
def test_clearances_never_loosen_a_cap_past_the_tightest_given(evidence: Evidence, data: st.DataObject) -> None:
    clearances = data.draw(clearance_sets(evidence))
    conditions = data.draw(
        st.lists(st.sampled_from(["osteoporosis", "knee_pain", "seizures", "hip_problem"]), max_size=3, unique=True)
    )
    answers = Answers.model_validate(
        {"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": conditions, "clearances": clearances}
    )
    result = screen(answers, evidence, TODAY)
    if result.outcome is not Outcome.CLEARED:
        return
    for record in answers.clearances:
        applies = (
            record.valid_on(TODAY, 365)
            and record.caps is not None
            and any(c in conditions and record.by in evidence.conditions[c].clearance_by for c in record.conditions)
        )
        if applies:
            assert record.caps is not None
            if record.caps.max_angle_deg is not None:
                assert result.caps.max_angle_deg <= record.caps.max_angle_deg
            if record.caps.max_hold_s is not None:
                assert result.caps.max_hold_s <= record.caps.max_hold_s


@settings(max_examples=examples(150), deadline=None)
@given(data=st.data())
def test_no_symptom_sequence_progresses_past_a_red_flag(evidence: Evidence, data: st.DataObject) -> None:
    start = dt.date(2026, 11, 2)
    plan = create_plan(
        screen(Answers(age=45, height_cm=178, weight_kg=82), evidence, start),
        Preferences(start_date=start, days_per_week=4),
        evidence,
        start,
    )
    red_flags = [s for s, v in evidence.symptoms.items() if v.severity == "red_flag"]
    symptoms = list(evidence.symptoms)
    flagged_week = data.draw(st.integers(1, len(plan.weeks)))
    logs = []
    for week in plan.weeks:
        for day in range(4):
            chosen = data.draw(st.lists(st.sampled_from(symptoms), max_size=2, unique=True))
            if week.week == flagged_week and day == 0:
                chosen = [data.draw(st.sampled_from(red_flags))]
            logs.append(
                SessionLog(date=week.start_date + dt.timedelta(days=day), pain_before=3, symptoms=tuple(chosen))
            )
    level_at_flag = plan.weeks[flagged_week - 1].level
    for number in range(1, len(plan.weeks) + 1):
        plan, revision = review_week(plan, number, logs, evidence)
        if number >= flagged_week:
            assert revision.decision is Decision.PAUSE
            assert all(w.level <= level_at_flag for w in plan.weeks[number - 1 :])
    assert plan.paused


def test_cases_files_are_valid_yaml() -> None:
    for path in CASES.glob("*.yaml"):
        assert isinstance(yaml.safe_load(path.read_text()), list), path
    assert json.dumps(SCREENING_CASES, default=str)
