"""`hangtime peg`, `impression` and `trial`: answers noted, refusals in one line with exit 2, the trial's JSON."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import TODAY, follow_plan_from
from hangtime.cli.main import app
from hangtime.core.evidence import Evidence
from hangtime.store import Database


def test_peg_is_noted_and_out_of_range_is_refused_in_words(data_dir: Path, runner: CliRunner) -> None:
    done = runner.invoke(app, ["peg", "--pain", "6", "--enjoyment", "5", "--activity", "4"])
    assert done.exit_code == 0, done.output
    assert f"PEG 5 out of 10 noted for {TODAY.isoformat()}" in done.output
    refused = runner.invoke(app, ["peg", "--pain", "6", "--enjoyment", "5", "--activity", "11"])
    assert refused.exit_code == 2
    assert "activity: must be 10 or less" in refused.output and "Traceback" not in refused.output


def test_impression_and_trial_are_refused_with_the_reason(data_dir: Path, runner: CliRunner) -> None:
    impression = runner.invoke(app, ["impression", "much-better"])
    assert impression.exit_code == 2 and "weeks 4, 8, 12" in impression.output
    start = runner.invoke(app, ["trial", "start"])
    assert start.exit_code == 2 and "cleared" in start.output
    result = runner.invoke(app, ["trial", "result"])
    assert result.exit_code == 2 and "no personal trial yet" in result.output
    assert runner.invoke(app, ["trial", "stop"]).exit_code == 2


def test_a_started_trial_shows_its_schedule_and_result(data_dir: Path, runner: CliRunner, evidence: Evidence) -> None:
    db = Database(f"sqlite:///{data_dir / 'hangtime.db'}")
    start = TODAY - dt.timedelta(weeks=2)
    follow_plan_from(db, evidence, start, weeks=2)
    db.dispose()
    started = runner.invoke(app, ["trial", "start", "--seed", "9", "--json"])
    assert started.exit_code == 0, started.output
    schedule = json.loads(started.output)
    assert schedule["seed"] == 9 and len(schedule["blocks"]) == 6
    assert {b["arm"] for b in schedule["blocks"][:2]} == {"A", "B"}
    again = runner.invoke(app, ["trial", "start", "--seed", "9", "--json"])
    assert again.exit_code == 2 and "already running" in again.output
    result = runner.invoke(app, ["trial", "result"])
    assert result.exit_code == 0 and "Not enough data yet" in result.output and "not a diagnosis" in result.output
    assert runner.invoke(app, ["trial", "stop"]).exit_code == 0
