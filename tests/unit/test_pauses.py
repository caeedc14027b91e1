"""Issue 9 through the CLI and the store: a red flag pauses at once wherever it is logged, a new plan never lifts
a pause, logs beyond the caps are refused, a changed profile voids the screening, and reviews run by themselves."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hangtime.app import services
from hangtime.cli.main import app
from hangtime.config import load_settings
from hangtime.core.evidence import load_evidence
from hangtime.store import Database, repo

ADULT = '{"age": 45, "height_cm": 178, "weight_kg": 82}'

LOCAL = repo.LOCAL_OWNER


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def planned(runner: CliRunner, tmp_path: Path, start: str = "2026-11-23") -> None:
    path = tmp_path / "a.json"
    path.write_text(ADULT)
    code, _out, err = invoke(runner, "plan", "create", "--answers", str(path), "--start", start, "--json")
    assert code == 0, err


def open_db() -> Database:
    return Database(load_settings().resolved_database_url())


@pytest.mark.parametrize(
    "symptom", ["leg_weakness", "bladder_or_bowel_change", "tingling_or_numbness", "fainting", "sudden_vision_change"]
)
def test_a_red_flag_log_pauses_at_once(runner: CliRunner, data_dir: Path, tmp_path: Path, symptom: str) -> None:
    planned(runner, tmp_path)
    code, out, err = invoke(runner, "log", "--pain-before", "4", "--symptom", symptom)
    assert code == 0, err
    assert "Get medical care today" in out and "emergency" in out
    code, out, _ = invoke(runner, "plan", "show", "--json")
    shown = json.loads(out)
    assert shown["paused"] is True and shown["pauses"][0]["urgent"] is True
    assert shown["revisions"][-1]["decision"] == "pause"
    db = open_db()
    try:
        with pytest.raises(services.ServiceError, match="paused since 2026-11-23"):
            services.prepare_session(db, load_evidence(), dt.date(2026, 11, 23), 30, owner_handle=LOCAL)
    finally:
        db.dispose()


def test_plan_create_does_not_lift_a_pause_and_only_a_later_clearance_does(
    runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned(runner, tmp_path)
    assert invoke(runner, "log", "--symptom", "leg_weakness")[0] == 0
    code, _, err = invoke(runner, "plan", "create", "--start", "2026-11-23")
    assert code == 2 and "paused since 2026-11-23" in err
    # A clearance on the day of the symptom may predate it: refused, nothing written.
    same_day = ["clearance", "add", "--by", "physician", "--condition", "resume_after_pause", "--date", "2026-11-23"]
    code, _, err = invoke(runner, *same_day)
    assert code == 2 and "dated after 2026-11-23" in err
    # A physical therapist cannot lift a red-flag pause.
    monkeypatch.setenv("HANGTIME_TODAY", "2026-11-25")
    pt = ["clearance", "add", "--by", "physical_therapist", "--condition", "resume_after_pause", "--date", "2026-11-24"]
    code, _, err = invoke(runner, *pt)
    assert code == 2 and "only a physician" in err
    ok = ["clearance", "add", "--by", "physician", "--condition", "resume_after_pause", "--date", "2026-11-24"]
    code, _, err = invoke(runner, *ok)
    assert code == 0, err
    # The old plan stays paused (it does not resume by itself); a new plan starts again.
    code, out, err = invoke(runner, "plan", "create", "--start", "2026-11-25", "--json")
    assert code == 0, err
    assert json.loads(out)["weeks"][0]["prescription"]["angle_deg"] == 20


def test_a_red_flag_in_the_session_survey_pauses(data_dir: Path, runner: CliRunner, tmp_path: Path) -> None:
    planned(runner, tmp_path)
    db = open_db()
    evidence = load_evidence()
    try:
        with db.unit_of_work() as uow:
            from hangtime.store import repo

            owner = repo.owner_id(uow, repo.LOCAL_OWNER)
        from hangtime.core.planning import SessionLog

        pause = services.log_guided(
            db, evidence, owner, SessionLog(date=dt.date(2026, 11, 23), symptoms=("fainting",)), "session"
        )
        assert pause is not None and pause.urgent
        assert services.active_pauses(db, evidence, dt.date(2026, 11, 23), owner_handle=LOCAL)
    finally:
        db.dispose()


def test_logs_beyond_the_caps_are_refused_and_write_nothing(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    planned(runner, tmp_path)
    entries = tmp_path / "logs.json"
    entries.write_text(
        json.dumps(
            [{"date": "2026-11-23", "pain_before": 3}, {"date": "2026-11-23", "angle_deg": 61, "pain_before": 3}]
        )
    )
    code, _, err = invoke(runner, "log", "--file", str(entries))
    assert code == 2 and "above your cap of 60" in err
    assert json.loads(invoke(runner, "plan", "show", "--json")[1])  # still readable
    db = open_db()
    try:
        assert services.history_summary(db, owner_handle=LOCAL).count == 0, "a refused batch writes none of its logs"
    finally:
        db.dispose()
    # Exactly at the cap is not refused, but it is beyond the week-1 prescription (20 degrees): flagged.
    at_cap = tmp_path / "cap.json"
    at_cap.write_text(json.dumps({"date": "2026-11-23", "angle_deg": 60, "inverted_s": 300}))
    code, out, err = invoke(runner, "log", "--file", str(at_cap))
    assert code == 0, err
    assert "does not count as progress" in out
    third = tmp_path / "third.json"
    third.write_text(json.dumps([{"date": "2026-11-23"}, {"date": "2026-11-23"}]))
    code, _, err = invoke(runner, "log", "--file", str(third))
    assert code == 2 and "3 sessions on 2026-11-23 is above your cap of 2" in err


def test_a_changed_profile_voids_the_screening(data_dir: Path, runner: CliRunner, tmp_path: Path) -> None:
    planned(runner, tmp_path)
    db = open_db()
    evidence = load_evidence()
    try:
        services.prepare_session(db, evidence, dt.date(2026, 11, 23), 30, owner_handle=LOCAL)  # fine before the change
        with db.unit_of_work() as uow:
            from hangtime.store import repo

            profile = repo.get_profile(uow, repo.owner_id(uow, repo.LOCAL_OWNER))
            assert profile is not None
            profile.weight_kg = 95.0
        with pytest.raises(services.ServiceError, match="your weight changed after your last screening"):
            services.prepare_session(db, evidence, dt.date(2026, 11, 23), 30, owner_handle=LOCAL)
    finally:
        db.dispose()


def test_weeks_are_reviewed_without_asking(
    runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned(runner, tmp_path)
    for _ in range(2):
        assert invoke(runner, "log", "--date", "2026-11-23", "--pain-before", "8")[0] == 0
    monkeypatch.setenv("HANGTIME_TODAY", "2026-12-01")
    shown = json.loads(invoke(runner, "plan", "show", "--json")[1])
    assert shown["revisions"] and shown["revisions"][0]["decision"] == "pause"
    assert shown["revisions"][0]["reason_code"] == "paused_pain"
    assert shown["paused"] is True and shown["pauses"][0]["reason"] == "paused_pain"
    assert json.loads(invoke(runner, "plan", "review", "--json")[1])["revisions"] == []


def test_urgent_advice_comes_first_in_terminal_web_and_report(
    runner: CliRunner, data_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["red_flag_saddle_numbness"]}')
    code, out, _ = invoke(runner, "screen", "--answers", str(path))
    assert code == 0
    assert out.index("Get medical care today") < out.index("Inversion is not advised")
    code, out, _ = invoke(runner, "screen", "--answers", str(path), "--json")
    payload = json.loads(out)
    assert payload["urgent"] is True and "emergency" in payload["urgent_advice"]
    report = tmp_path / "r.html"
    assert invoke(runner, "report", "--out", str(report))[0] == 0
    html = report.read_text()
    assert html.index("Get medical care today") < html.index("<h1>Hangtime report")
