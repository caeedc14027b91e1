"""Drive the real `hangtime session` in a pseudo-terminal: keys, check-ins, a stop, and a kill -9."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pexpect
import pytest
from typer.testing import CliRunner

from hangtime.cli.main import app

TIMEOUT = 30
pytestmark = pytest.mark.slow  # real processes in a pseudo-terminal: run in make test and CI, skipped by -m "not slow"


@pytest.fixture
def planned(runner: CliRunner, data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    answers = tmp_path / "a.json"
    answers.write_text('{"age": 45, "height_cm": 178, "weight_kg": 82}')
    result = runner.invoke(app, ["plan", "create", "--answers", str(answers), "--start", "2026-11-23"])
    assert result.exit_code == 0, result.output
    env = dict(os.environ)
    env.update(
        {
            "HANGTIME_DATA_DIR": str(data_dir),
            "HANGTIME_TODAY": "2026-11-23",
            "HANGTIME_SESSION_SPEED": "10",
            "HANGTIME_DEMO": "1",  # time compression needs demonstration mode
            "HANGTIME_CHECKIN_INTERVAL_S": "40",
            "TERM": "xterm",
        }
    )
    env.pop("HANGTIME_DATABASE_URL", None)
    return env


def spawn(env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(
        sys.executable,
        ["-m", "hangtime", "session", "--quiet"],
        env=env,
        dimensions=(60, 120),
        timeout=TIMEOUT,
        encoding="utf-8",
    )


def confirm_checklist(child: pexpect.spawn) -> None:
    for _ in range(5):  # instructions, straps, meal, screening, spotter (first sessions are supervised)
        child.expect(r"\[y/n\]")
        child.sendline("y")
    child.expect("Pain now")
    child.sendline("4")


def finish_stopped_session(child: pexpect.spawn) -> None:
    """The survey after a stop: felt easy, no symptoms; the session is saved as stopped and the program exits 0."""
    child.expect("How was it")
    child.sendline("easy")
    child.expect("symptoms")
    child.sendline("n")
    child.expect("saved: stopped")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def sessions(runner: CliRunner) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(runner.invoke(app, ["session", "list", "--json"]).stdout)  # type: ignore[no-any-return]


def test_short_session_with_checkin_and_stop(planned: dict[str, str], runner: CliRunner, tmp_path: Path) -> None:
    child = spawn(planned)
    confirm_checklist(child)
    child.expect("TILTING")
    child.send("y")  # "I'm there": reached the angle
    child.expect("HOLDING")
    child.expect("Check-in: press SPACE")
    child.send(" ")  # I'm OK
    child.send("x")  # stop
    child.expect("RETURNING")
    child.send("y")  # "I'm back": near horizontal
    while child.expect(["Check-in: press SPACE", "Please answer", "Pain now"]) < 2:
        child.send(" ")
    child.sendline("3")
    finish_stopped_session(child)
    [session] = sessions(runner)
    assert session["status"] == "done" and session["end_reason"] == "stopped"
    exported = tmp_path / "s.jsonl"
    assert runner.invoke(app, ["session", "export", str(session["id"]), "--out", str(exported)]).exit_code == 0
    names = [json.loads(line).get("event") for line in exported.read_text().splitlines()[1:]]
    assert names[0] == "checklist_confirmed"
    assert "stop_requested" in names and names.count("checkin_answered") >= 2
    assert names[-1] == "survey_submitted"
    replayed = runner.invoke(app, ["session", "replay", str(exported), "--json"])
    assert replayed.exit_code == 0, replayed.output
    timeline = json.loads(replayed.stdout)
    stop = next(e for e in timeline if e.get("event") == "stop_requested")
    after_stop = [e for e in timeline if e["t"] == stop["t"] and e["kind"] == "command"]
    assert any(e["command"] == "return_upright" for e in after_stop), "the stop returned on the same tick"
    logs = json.loads(runner.invoke(app, ["plan", "show", "--json"]).stdout)
    assert logs["today"]["week"] == 1


def test_killed_session_is_marked_interrupted_and_keeps_its_events(planned: dict[str, str], runner: CliRunner) -> None:
    child = spawn(planned)
    confirm_checklist(child)
    child.expect("TILTING")
    child.send("y")
    child.expect("HOLDING")
    os.kill(child.pid, signal.SIGKILL)
    child.expect(pexpect.EOF)
    child.close()
    [running] = sessions(runner)
    assert running["status"] == "running"
    before = runner.invoke(app, ["session", "export", str(running["id"])]).stdout.splitlines()
    assert len(before) >= 3, "the checklist and the answer were journaled before the kill"

    again = spawn(planned)
    again.expect("was interrupted")
    again.expect("Pain now")
    again.sendline("5")
    again.expect("How was it")
    again.sendline("hard")
    again.expect("symptoms")
    again.sendline("n")
    again.expect("session\\(s\\) today")  # one session a day: the interrupted one counts
    again.expect(pexpect.EOF)
    again.close()
    assert again.exitstatus == 2
    [interrupted] = sessions(runner)
    assert interrupted["status"] == "interrupted"
    after = runner.invoke(app, ["session", "export", str(running["id"])]).stdout.splitlines()
    assert after[1:] == before[1:], "no event was lost"


def test_session_on_the_simulated_motorized_table(planned: dict[str, str], runner: CliRunner, tmp_path: Path) -> None:
    env = {**planned, "HANGTIME_SESSION_SPEED": "4"}
    del env["HANGTIME_DEMO"]  # the --demo flag instead
    child = pexpect.spawn(
        sys.executable,
        ["-m", "hangtime", "session", "--quiet", "--demo", "--table", "sim"],
        env=env,
        dimensions=(60, 120),
        timeout=TIMEOUT,
        encoding="utf-8",
    )
    confirm_checklist(child)
    child.expect("Table: hangtime-sim")
    child.expect("TILTING")
    child.expect("HOLDING")  # reached by the table's own angle reading, no key pressed
    child.send("x")
    child.expect("RETURNING")
    while child.expect(["Check-in: press SPACE", "Please answer", "Pain now"]) < 2:
        child.send(" ")
    child.sendline("2")
    child.expect("How was it")
    child.sendline("just_right")
    child.expect("symptoms")
    child.sendline("n")
    child.expect("saved: stopped")
    child.expect(pexpect.EOF)
    child.close()
    [session] = sessions(runner)
    exported = runner.invoke(app, ["session", "export", str(session["id"])]).stdout.splitlines()[1:]
    events = [json.loads(line) for line in exported]
    angles = [e["angle_deg"] for e in events if e["event"] == "angle_reading"]
    assert max(angles) >= 15, "the table reported its angle during the hold"
    assert angles[-1] <= 10, "and its return near horizontal"


def test_enter_alone_never_confirms_a_checklist_item(planned: dict[str, str], runner: CliRunner) -> None:
    child = spawn(planned)
    child.expect(r"\[y/n\]")
    child.sendline("")  # Enter alone: the straps are not confirmed
    child.expect("checklist not confirmed")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert sessions(runner) == [], "nothing started"


def test_ctrl_c_during_a_session_is_a_stop_with_return_and_survey(planned: dict[str, str], runner: CliRunner) -> None:
    child = spawn(planned)
    confirm_checklist(child)
    child.expect("TILTING")
    child.send("y")
    child.expect("HOLDING")
    child.sendintr()  # Ctrl-C
    child.expect("RETURNING")
    child.expect("Return slowly")
    child.send("y")  # back near horizontal
    while child.expect(["Check-in: press SPACE", "Please answer", "Pain now"]) < 2:
        child.send(" ")
    child.sendline("2")
    finish_stopped_session(child)
    [session] = sessions(runner)
    assert session["end_reason"] == "stopped"
