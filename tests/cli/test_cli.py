from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hangtime.cli.main import app


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


GOOD = (
    '{"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["knee_pain"],'
    ' "clearances": [{"by": "physician", "date": "2026-11-01", "conditions": ["knee_pain"]}]}'
)


def test_screen_json_output_and_save(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.json", GOOD)
    result = runner.invoke(app, ["screen", "--answers", str(answers), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["outcome"] == "cleared"
    assert payload["caps"]["max_angle_deg"] == 45
    assert set(payload) >= {"outcome", "caps", "reasons", "alternatives", "rules_version"}
    assert all(r["sources"] for r in payload["reasons"])
    assert (data_dir / "hangtime.db").exists()


def test_screen_yaml_answers_with_imperial_units(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    answers = write(tmp_path / "a.yaml", "age: 60\nheight: 5 ft 9 in\nweight: 190 lb\nconditions: [glaucoma]\n")
    result = runner.invoke(app, ["screen", "--answers", str(answers), "--json", "--no-save"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["outcome"] == "not_advised"
    assert "aquatics" in payload["alternatives"]
    assert not data_dir.exists(), "--no-save writes nothing"


def test_screen_readable_output(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    answers = write(
        tmp_path / "a.json", '{"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["dizziness_or_vertigo"]}'
    )
    result = runner.invoke(app, ["screen", "--answers", str(answers)])
    assert result.exit_code == 0
    assert "Clearance needed" in result.stdout
    assert "a physician" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["flu"]}', "unknown condition 'flu'"),
        ('{"age": 45, "height_cm": 178, "weight_kg": 82, "table": "rack"}', "unknown table 'rack'"),
        ('{"age": 45, "height_cm": 178', "not valid JSON or YAML"),
        ('{"age": 450, "height_cm": 178, "weight_kg": 82}', "age: must be 120 or less"),
        ('{"age": 45, "height_cm": -5, "weight_kg": 82}', "height_cm: must be 50 or more"),
        ('{"age": 45, "weight_kg": 82}', "height_cm: is required"),
        ('{"age": 45, "height": "very", "weight_kg": 82}', "cannot read height 'very'"),
        (
            '{"age": 45, "height_cm": 178, "weight_kg": 82, "blood_pressure": {"systolic": 80, "diastolic": 90}}',
            "systolic must be higher",
        ),
        (
            '{"age": 45, "height_cm": 178, "weight_kg": 82, "colour": "red"}',
            "colour: is not something Hangtime asks for",
        ),
        ("[1, 2]", "must hold an object"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    runner: CliRunner, data_dir: Path, tmp_path: Path, content: str, message: str
) -> None:
    answers = write(tmp_path / "bad.json", content)
    result = runner.invoke(app, ["screen", "--answers", str(answers)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not data_dir.exists()


def test_missing_answers_file(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["screen", "--answers", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read answers file" in result.stderr


def test_sources_list_and_detail(runner: CliRunner) -> None:
    listing = runner.invoke(app, ["sources", "--json"])
    assert listing.exit_code == 0
    ids = {s["id"] for s in json.loads(listing.stdout)}
    assert "001_0fb7dfc0018ce664.txt" in ids
    detail = runner.invoke(app, ["sources", "001_0fb7dfc0018ce664.txt", "--json"])
    assert "condition:cataract_surgery" in json.loads(detail.stdout)["cited_by"]
    unknown = runner.invoke(app, ["sources", "nope"])
    assert unknown.exit_code == 2 and "unknown source 'nope'" in unknown.stderr


def test_clearance_turns_needs_clearance_into_cleared(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    answers = write(
        tmp_path / "a.json",
        '{"age": 45, "height_cm": 178, "weight_kg": 82,'
        ' "blood_pressure": {"systolic": 150, "diastolic": 85, "measured_on": "2026-11-18"}}',
    )
    first = runner.invoke(app, ["screen", "--answers", str(answers), "--json"])
    assert json.loads(first.stdout)["outcome"] == "needs_clearance"
    cleared = runner.invoke(
        app,
        [
            "clearance",
            "add",
            "--by",
            "physician",
            "--condition",
            "bp_reading_high",
            "--date",
            "2026-11-20",
            "--max-angle",
            "40",
            "--json",
        ],
    )
    assert cleared.exit_code == 0, cleared.output
    payload = json.loads(cleared.stdout)
    assert payload["outcome"] == "cleared"
    assert payload["caps"]["max_angle_deg"] == 40
    # A later screening from the same answers keeps the stored clearance.
    again = runner.invoke(app, ["screen", "--answers", str(answers), "--json"])
    assert json.loads(again.stdout)["outcome"] == "cleared"


def test_clearance_without_screening(runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(app, ["clearance", "add", "--by", "physician", "--condition", "bp_reading_high"])
    assert result.exit_code == 2
    assert "screen first" in result.stderr


def test_interactive_walkthrough(
    runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # age, height, weight, table, blood pressure, experienced, then one "any of these?" per group.
    from hangtime.core.evidence import load_evidence

    groups = len(load_evidence().rules.groups)
    # Say no to every group: nothing needs clearance, so the walkthrough goes on to the plan.
    lines = ["52", "5 ft 9 in", "176 lb", "generic", "", "n"]
    lines.extend("n" for _ in load_evidence().rules.groups)
    assert groups == 7
    lines += ["y", "", "3", "y"]  # make the plan, start today, 3 days a week, write plan.ics
    result = runner.invoke(app, ["start"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    assert "175 cm (5 ft 9 in)" in result.stdout
    assert "Cleared, within these limits" in result.stdout
    assert "60 degrees below horizontal" in result.stdout
    assert "Your inversion plan" in result.stdout
    assert "This week (week 1)" in result.stdout
    assert (tmp_path / "plan.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
