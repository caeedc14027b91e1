from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from hangtime.cli.main import app
from hangtime.core.session.engine import SessionConfig
from hangtime.core.session.replay import replay

STREAM = [
    {"t": 0, "event": "checklist_confirmed", "items": ["instructions", "straps", "not_after_meal", "screening"]},
    {"t": 4, "event": "angle_reading", "angle_deg": 31},
    {"t": 30, "event": "checkin_answered"},
    {"t": 50, "event": "symptom_reported", "symptom": "dizziness"},
    {"t": 58, "event": "angle_reading", "angle_deg": 3},
]


def test_replay_shows_what_the_engine_did_and_why() -> None:
    timeline = replay(SessionConfig(angle_deg=30, hold_s=120), STREAM)
    phases = [e.detail["phase"] for e in timeline if e.kind == "command" and e.detail["command"] == "phase"]
    assert phases == ["tilting", "holding", "returning", "resting"]
    returning = next(e for e in timeline if e.detail.get("phase") == "returning")
    assert returning.t == 50 and returning.detail["why"] == "symptom: dizziness"
    checkin = next(e for e in timeline if e.detail.get("cue") == "checkin")
    assert checkin.t == 30 and checkin.phase == "holding"


def test_replay_cli_and_bad_files(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "s.jsonl"
    good.write_text("\n".join(json.dumps(line) for line in STREAM))
    result = runner.invoke(app, ["session", "replay", str(good)])
    assert result.exit_code == 0
    assert "symptom: dizziness" in result.stdout
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t": 0, "event": "teleport"}\n')
    result = runner.invoke(app, ["session", "replay", str(bad)])
    assert result.exit_code == 2 and "unknown event 'teleport'" in result.stderr
    backwards = tmp_path / "back.jsonl"
    backwards.write_text('{"t": 5, "event": "tick"}\n{"t": 1, "event": "tick"}\n')
    result = runner.invoke(app, ["session", "replay", str(backwards)])
    assert result.exit_code == 2 and "goes backwards" in result.stderr
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n")
    result = runner.invoke(app, ["session", "replay", str(garbage)])
    assert result.exit_code == 2 and "line 1 is not JSON" in result.stderr


def test_session_refuses_without_plan(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text('{"age": 45, "height_cm": 178, "weight_kg": 82}')
    assert runner.invoke(app, ["screen", "--answers", str(answers)]).exit_code == 0
    result = runner.invoke(app, ["session"])
    assert result.exit_code == 2 and "no plan yet" in result.stderr
