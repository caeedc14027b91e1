"""Issue 10: one meaning per button, every inverted second counted, the above-cap return, the alarm rhythm, and a
replay that refuses bad fields. Each test fails when the code enforcing its limit is removed."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from typer.testing import CliRunner

from hangtime.cli.main import app
from hangtime.core.session.commands import (
    Command,
)
from hangtime.core.session.engine import (
    REQUIRED_CHECKLIST,
    AngleReading,
    CheckinAnswered,
    ChecklistConfirmed,
    EndReason,
    Event,
    Phase,
    PositionConfirmed,
    SessionConfig,
    SessionEngine,
    StopRequested,
    Tick,
    VirtualClock,
    fit_within_cap,
)
from hangtime.core.session.replay import replay
from hangtime.runtime.runner import SessionRunner


def started(config: SessionConfig) -> tuple[SessionEngine, VirtualClock]:
    clock = VirtualClock()
    engine = SessionEngine(config, clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    return engine, clock


def run_until(
    engine: SessionEngine, clock: VirtualClock, until: float, confirm_after: float | None = None
) -> list[Command]:
    """Advance deadline by deadline; confirm each position `confirm_after` seconds after its cue; answer check-ins."""
    commands: list[Command] = []
    pending_confirm: float | None = None
    if confirm_after is not None and engine.phase is Phase.TILTING:  # the tilt cue came with the checklist
        pending_confirm = clock.now() + confirm_after
    while True:
        deadline = engine.next_deadline()
        if pending_confirm is not None and (deadline is None or pending_confirm <= deadline):
            deadline = pending_confirm
        if deadline is None or deadline > until:
            break
        clock.set(deadline)
        if pending_confirm is not None and clock.now() >= pending_confirm:
            pending_confirm = None
            emitted = engine.handle(PositionConfirmed())
        else:
            emitted = engine.handle(Tick())
        commands += emitted
        cues = {c.data["cue"] for c in emitted if c.kind == "say"}
        if "checkin" in cues:
            commands += engine.handle(CheckinAnswered())
        if confirm_after is not None and cues & {"tilt", "return", "upright"}:
            pending_confirm = clock.now() + confirm_after
    clock.set(until)
    commands += engine.handle(Tick())
    return commands


# --- 1. "I'm OK" means one thing -----------------------------------------------------------------------------


def test_a_checkin_answer_never_confirms_a_position() -> None:
    engine, clock = started(SessionConfig(angle_deg=30, hold_s=60))
    assert engine.phase is Phase.TILTING
    clock.set(3)
    engine.handle(CheckinAnswered())
    assert engine.phase is Phase.TILTING, "I'm OK is not I'm there"
    engine.handle(PositionConfirmed())
    assert engine.phase is Phase.HOLDING
    clock.set(60)
    engine.handle(Tick())
    assert engine.phase is Phase.RETURNING
    clock.set(61)
    engine.handle(CheckinAnswered())
    assert engine.phase is Phase.RETURNING, "an answered check-in does not end return monitoring"
    clock.set(64)
    engine.handle(PositionConfirmed())
    assert engine.phase is Phase.RESTING


def test_no_checkin_lands_within_5_s_of_a_confirmation_cue() -> None:
    # Holds, rests and the check-in interval are all multiples of 30 s: the case that used to collide.
    config = SessionConfig(angle_deg=30, hold_s=60, sets=2, set_rest_s=30, cap_hold_s=300, checkin_interval_s=30)
    engine, clock = started(config)
    commands = run_until(engine, clock, 400, confirm_after=4)
    confirm_cues = [c.at for c in commands if c.kind == "say" and c.data["cue"] in ("tilt", "return", "upright")]
    checkins = [c.at for c in commands if c.kind == "say" and c.data["cue"] == "checkin"]
    assert checkins and confirm_cues
    for checkin in checkins:
        assert all(abs(checkin - cue) >= config.confirm_quiet_s for cue in confirm_cues), (checkin, confirm_cues)


# --- 2. every inverted second counts ---------------------------------------------------------------------------


def test_vertigo_oscillation_stays_within_the_cap() -> None:
    # 2 deg/s to 60 degrees with 30 s down / 30 s up: tilting and returning take 30 s each way.
    prescribed = SessionConfig(
        angle_deg=60, hold_s=300, oscillation_down_s=30, oscillation_up_s=30, cap_hold_s=300, max_tilt_rate_deg_s=2
    )
    engine, clock = started(prescribed)
    run_until(engine, clock, 3000, confirm_after=30)
    assert engine.inverted_s <= 300 + 1e-9, engine.inverted_s
    assert engine.end_reason is EndReason.HARD_LIMIT
    fitted = fit_within_cap(prescribed)
    assert fitted.planned_inverted_s <= fitted.cap_hold_s


def test_a_planned_total_exactly_at_the_cap_completes() -> None:
    # 30 degrees at the planned 5 deg/s: 6 s down, 288 s held, 6 s back = 300 s = the cap.
    config = SessionConfig(angle_deg=30, hold_s=288, cap_hold_s=300, checkin_interval_s=60)
    assert config.planned_inverted_s == 300 and config.hard_limit_s == 300
    engine, clock = started(config)
    run_until(engine, clock, 1000, confirm_after=6)
    assert engine.end_reason is EndReason.COMPLETED
    assert engine.held_s == 288 and engine.inverted_s == 300


def test_one_second_over_the_cap_is_cut_by_the_hard_limit() -> None:
    config = SessionConfig(angle_deg=30, hold_s=289, cap_hold_s=300, checkin_interval_s=60)
    engine, clock = started(config)
    run_until(engine, clock, 1000, confirm_after=6)
    assert engine.end_reason is EndReason.HARD_LIMIT
    assert engine.inverted_s == 300 and engine.held_s == 288


def test_rests_between_sets_count_as_inverted() -> None:
    config = SessionConfig(angle_deg=20, hold_s=60, sets=3, set_rest_s=60, cap_hold_s=200, checkin_interval_s=60)
    engine, clock = started(config)
    run_until(engine, clock, 2000, confirm_after=1)
    assert engine.inverted_s <= 200 + 1e-9
    assert engine.end_reason is EndReason.HARD_LIMIT


# --- 3. a measured angle above the cap brings the person back ---------------------------------------------------


def test_above_the_cap_for_2_s_starts_the_return() -> None:
    engine, clock = started(SessionConfig(angle_deg=30, hold_s=120, cap_angle_deg=45, checkin_interval_s=60))
    engine.handle(PositionConfirmed())
    clock.set(10)
    engine.handle(AngleReading(angle_deg=45))  # exactly at the cap: not above it
    clock.set(20)
    engine.handle(Tick())
    assert engine.phase is Phase.HOLDING
    engine.handle(AngleReading(angle_deg=46))
    clock.set(21.99)
    engine.handle(Tick())
    assert engine.phase is Phase.HOLDING, "1.99 s above the cap: still holding"
    clock.set(22)
    engine.handle(Tick())
    assert engine.phase is Phase.RETURNING and engine.end_reason is EndReason.ABOVE_CAP


def test_coming_back_under_the_cap_resets_the_2_s() -> None:
    engine, clock = started(SessionConfig(angle_deg=30, hold_s=120, cap_angle_deg=45, checkin_interval_s=60))
    engine.handle(PositionConfirmed())
    engine.handle(AngleReading(angle_deg=50))
    clock.set(1.5)
    engine.handle(AngleReading(angle_deg=40))
    clock.set(3)
    engine.handle(Tick())
    assert engine.phase is Phase.HOLDING


def test_readings_during_rests_are_checked_too() -> None:
    config = SessionConfig(angle_deg=30, hold_s=30, sets=2, set_rest_s=60, cap_angle_deg=45, cap_hold_s=300)
    engine, clock = started(config)
    engine.handle(PositionConfirmed())
    clock.set(30)
    engine.handle(Tick())
    clock.set(31)
    engine.handle(PositionConfirmed())
    assert engine.phase is Phase.SET_REST
    engine.handle(AngleReading(angle_deg=60))
    clock.set(33)
    engine.handle(Tick())
    assert engine.phase is Phase.RETURNING and engine.end_reason is EndReason.ABOVE_CAP
    engine.handle(PositionConfirmed())
    assert engine.phase is Phase.RESTING, "no further set after an above-cap return"


# --- 5. the alarm repeats every 5 s without gaps -----------------------------------------------------------------


def test_the_alarm_repeats_every_5_s_without_gaps() -> None:
    engine, clock = started(SessionConfig(angle_deg=30, hold_s=300, cap_hold_s=300))
    engine.handle(PositionConfirmed())
    commands: list[Command] = []
    for step in range(1, 300 * 4):
        clock.set(step / 4)
        commands += engine.handle(Tick())
    alarms = [c.at for c in commands if c.kind == "alarm"]
    assert len(alarms) > 40
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(alarms)}
    assert gaps == {5.0}, gaps


# --- 7. replay refuses bad fields, and reads old files --------------------------------------------------------


def test_replay_refuses_a_bad_field(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"t": 0, "event": "checklist_confirmed", "items": []}\n'
        '{"t": 4, "event": "angle_reading", "angle_deg": "steep"}\n'
    )
    result = runner.invoke(app, ["session", "replay", str(bad)])
    assert result.exit_code == 2
    assert "line 2" in result.stderr and "angle_deg" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    config = tmp_path / "config.jsonl"
    config.write_text(json.dumps({"format": 2, "config": {"angle_deg": "steep", "hold_s": 60}}) + "\n")
    result = runner.invoke(app, ["session", "replay", str(config)])
    assert result.exit_code == 2 and "angle_deg" in result.stderr


def test_old_replay_files_still_read_with_one_ok_doing_both() -> None:
    stream = [
        {"t": 0, "event": "checklist_confirmed", "items": list(REQUIRED_CHECKLIST)},
        {"t": 5, "event": "checkin_answered"},
    ]
    old = replay(SessionConfig(angle_deg=30, hold_s=60), stream, format_version=1)
    new = replay(SessionConfig(angle_deg=30, hold_s=60), stream, format_version=2)
    phases = lambda timeline: [e.detail["phase"] for e in timeline if e.detail.get("command") == "phase"]  # noqa: E731
    assert phases(old) == ["tilting", "holding"]
    assert phases(new) == ["tilting"]


class OrderLog:
    """Both a sink and a journal: records the order in which a stop is acted on and written down."""

    def __init__(self) -> None:
        self.order: list[str] = []

    def handle(self, command: Command) -> None:
        self.order.append(f"sink:{command.kind}")

    def event(self, t: float, event: Event) -> None:
        self.order.append(f"journal:{event.name}")

    def command(self, command: Command) -> None:
        self.order.append(f"journal:{command.kind}")


def test_a_stop_reaches_the_sinks_before_the_journal_and_the_journal_keeps_everything() -> None:
    engine, clock = started(SessionConfig(angle_deg=30, hold_s=120))
    log = OrderLog()
    runner = SessionRunner(engine, clock, [log], log)  # type: ignore[arg-type]
    runner.step(PositionConfirmed())
    log.order.clear()
    runner.step(StopRequested())
    assert log.order.index("sink:return_upright") < log.order.index("journal:stop_requested"), log.order
    assert "journal:stop_requested" in log.order and "journal:return_upright" in log.order, "nothing is lost"


def test_above_cap_while_the_return_has_already_begun_never_restarts_it() -> None:
    # Found by the state machine: a reading above the cap just before the tilt timed out into the return.
    engine, clock = started(SessionConfig(angle_deg=30, hold_s=120, cap_angle_deg=45))
    clock.set(39.0)
    engine.handle(AngleReading(angle_deg=46))
    clock.set(41.0)
    engine.handle(Tick())
    for transition in engine.transitions:
        assert transition.from_phase is not transition.to_phase, transition
    assert engine.phase is Phase.RETURNING
