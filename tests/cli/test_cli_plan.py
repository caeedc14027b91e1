from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from hangtime.cli.main import app

ADULT = '{"age": 45, "height_cm": 178, "weight_kg": 82}'


def make_plan(runner: CliRunner, tmp_path: Path, answers: str = ADULT, *extra: str) -> dict:  # type: ignore[type-arg]
    path = tmp_path / "a.json"
    path.write_text(answers)
    result = runner.invoke(app, ["plan", "create", "--answers", str(path), "--start", "2026-11-23", "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_plan_create_json_contract(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    plan = make_plan(runner, tmp_path, ADULT, "--weeks", "10", "--days-per-week", "5")
    assert plan["start_date"] == "2026-11-23"
    assert len(plan["weeks"]) == 10
    week1 = plan["weeks"][0]
    assert week1["week"] == 1 and week1["start_date"] == "2026-11-23"
    assert week1["prescription"] == {
        "angle_deg": 20,
        "hold_s": 60,
        "sets": 1,
        "rest_s": 0,
        "mode": "static",
        "sessions_per_day": 1,
        "days_per_week": 5,
        "rest_near_horizontal_s": 60,
    }
    assert week1["reason"] and week1["sources"]
    assert plan["handover"]["exercises"]


def test_plan_refused_for_not_advised(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["pregnancy"]}')
    result = runner.invoke(app, ["plan", "create", "--answers", str(path)])
    assert result.exit_code == 2
    assert "no plan until you are cleared" in result.stderr
    assert "Aquatic exercise" in result.stderr, "the refusal shows the alternatives"
    assert "pregnancy" in result.stderr


def test_plan_refused_when_expired(
    runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_plan(runner, tmp_path)
    monkeypatch.setenv("HANGTIME_TODAY", (dt.date(2026, 11, 23) + dt.timedelta(days=120)).isoformat())
    result = runner.invoke(app, ["plan", "create"])
    assert result.exit_code == 2
    assert "expired on 2027-02-21" in result.stderr


def test_calendar_round_trip(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    make_plan(runner, tmp_path, ADULT, "--days-per-week", "3")
    out = tmp_path / "plan.ics"
    result = runner.invoke(app, ["plan", "calendar", "--out", str(out), "--time", "07:30"])
    assert result.exit_code == 0, result.output
    calendar = Calendar.from_ical(out.read_bytes())
    events = [c for c in calendar.walk("VEVENT")]
    sessions = [e for e in events if "week" in str(e.get("summary"))]
    assert len(sessions) == 8 * 3
    first = sessions[0]
    assert first.decoded("dtstart") == dt.datetime(2026, 11, 23, 7, 30)
    assert "20 degrees" in str(first.get("description"))
    assert first.walk("VALARM"), "each session has a reminder"
    assert len({str(e.get("uid")) for e in events}) == len(events)


def test_log_and_review(runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_plan(runner, tmp_path, ADULT, "--days-per-week", "2")
    logs = tmp_path / "logs.yaml"
    logs.write_text(
        "- {date: 2026-11-23, pain_before: 5, pain_after: 4, tolerance: just_right}\n"
        "- {date: 2026-11-26, pain_before: 5, pain_after: 4, tolerance: easy}\n"
    )
    monkeypatch.setenv("HANGTIME_TODAY", "2026-11-27")
    assert runner.invoke(app, ["log", "--file", str(logs)]).exit_code == 0
    early = runner.invoke(app, ["plan", "review", "--json"])
    assert json.loads(early.stdout)["revisions"] == []
    monkeypatch.setenv("HANGTIME_TODAY", "2026-12-01")
    result = runner.invoke(
        app, ["log", "--date", "2026-11-30", "--pain-before", "4", "--pain-after", "3", "--tolerance", "easy"]
    )
    assert result.exit_code == 0
    reviewed = json.loads(runner.invoke(app, ["plan", "review", "--json"]).stdout)
    assert [r["decision"] for r in reviewed["revisions"]] == ["progress"]
    shown = json.loads(runner.invoke(app, ["plan", "show", "--json"]).stdout)
    assert shown["today"]["prescription"]["angle_deg"] == 25
    assert shown["revisions"][0]["decision"] == "progress"


def test_log_rejects_bad_input(runner: CliRunner, data_dir: Path) -> None:
    bad_symptom = runner.invoke(app, ["log", "--symptom", "hiccups"])
    assert bad_symptom.exit_code == 2 and "unknown symptom 'hiccups'" in bad_symptom.stderr
    bad_pain = runner.invoke(app, ["log", "--pain-before", "11"])
    assert bad_pain.exit_code == 2 and "pain_before" in bad_pain.stderr
    future = runner.invoke(app, ["log", "--date", "2027-01-01"])
    assert future.exit_code == 2 and "in the future" in future.stderr
    assert not data_dir.exists()


def test_plan_show_without_plan(runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(app, ["plan", "show"])
    assert result.exit_code == 2 and "no plan yet" in result.stderr


def test_report_and_fhir_export(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    make_plan(runner, tmp_path)
    assert runner.invoke(app, ["log", "--pain-before", "6", "--pain-after", "4", "--tolerance", "easy"]).exit_code == 0
    pdf = tmp_path / "report.pdf"
    assert runner.invoke(app, ["report", "--out", str(pdf)]).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    csv_file = tmp_path / "sessions.csv"
    assert runner.invoke(app, ["report", "--out", str(csv_file)]).exit_code == 0
    assert csv_file.read_text().splitlines()[1].startswith("2026-11-23,True,6,4,easy")
    bad = runner.invoke(app, ["report", "--out", str(tmp_path / "report.docx")])
    assert bad.exit_code == 2 and ".pdf, .html or .csv" in bad.stderr
    exported = runner.invoke(app, ["export", "fhir"])
    assert exported.exit_code == 0
    bundle = json.loads(exported.stdout)
    codes = {
        e["resource"]["code"]["coding"][0]["code"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation"
    }
    assert codes == {"72514-3"}
    assert runner.invoke(app, ["export", "hl7v2"]).exit_code == 2
