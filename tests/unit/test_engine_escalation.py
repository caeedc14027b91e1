"""Exact behaviour of the engine's safety paths, written so that mutation testing finds no gap in them:
the check-in escalation and the buddy alert (times, commands, texts), stop and symptom to return, and the
planned-total fitting behind the hard limit (checked against a brute-force oracle, with cases at the cap)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    SurveySubmitted,
    SymptomReported,
    TableFault,
    Tick,
    VirtualClock,
    fit_within_cap,
)

CONFIG = SessionConfig(angle_deg=30, hold_s=240, cap_hold_s=300, checkin_interval_s=30)
ALARM_TEXT = "Please answer. Press I'm OK if you are all right."


def holding() -> tuple[SessionEngine, VirtualClock]:
    clock = VirtualClock()
    engine = SessionEngine(CONFIG, clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    clock.set(8.0)
    engine.handle(PositionConfirmed())
    assert engine.phase is Phase.HOLDING
    return engine, clock


def advance(engine: SessionEngine, clock: VirtualClock, until: float) -> list[Command]:
    """Every deadline up to `until`, in order, with nobody answering."""
    commands: list[Command] = []
    while (deadline := engine.next_deadline()) is not None and deadline <= until:
        clock.set(deadline)
        commands += engine.handle(Tick())
    clock.set(until)
    return commands + engine.handle(Tick())


def at(clock: VirtualClock, engine: SessionEngine, t: float, event: Event) -> list[Command]:
    clock.set(t)
    return engine.handle(event)


def test_silence_escalates_exactly_alarm_return_buddy_then_all_clear() -> None:
    engine, clock = holding()
    commands = advance(engine, clock, 70.0)
    checkin = [c for c in commands if c.kind == "say" and c.data["cue"] == "checkin"]
    assert [c.at for c in checkin] == [30.0]
    first_alarm = [c for c in commands if c.kind == "alarm" and "repeat" not in c.data]
    assert [(c.at, c.data) for c in first_alarm] == [(40.0, {"why": "check-in not answered"})]
    spoken = [(c.at, c.data) for c in commands if c.kind == "say" and c.data["cue"] == "alarm"]
    assert spoken == [(40.0, {"text": ALARM_TEXT, "cue": "alarm"})], "the instruction, word for word, once"
    assert [c.at for c in commands if c.kind == "alarm"] == [40.0, 45.0, 50.0, 55.0, 60.0, 65.0, 70.0]
    returning = [t for t in engine.transitions if t.to_phase is Phase.RETURNING]
    assert [(t.t, t.why) for t in returning] == [(40.0, "check-in not answered")], "the return starts at the alarm"
    assert engine.end_reason is EndReason.NO_RESPONSE
    alerts = [c for c in commands if c.kind == "alert_buddy"]
    assert [c.at for c in alerts] == [60.0], "the buddy 20 s after the alarm, once"
    assert alerts[0].data["last_checkin_s"] == 0.0 and alerts[0].data["on_table_since_s"] == 0.0

    answered = at(clock, engine, 72.0, CheckinAnswered())
    assert [(c.kind, c.data) for c in answered] == [("alarm_off", {}), ("buddy_all_clear", {"at_s": 72.0})]
    assert engine.alarming is False and engine.buddy_alerted is False
    assert engine.checkin_asked_at is None and engine.buddy_alert_at is None
    assert engine.last_checkin_at == 72.0

    # Still returning: no check-in while the person is on the way back, but a return nobody confirms within the
    # return timeout is a new episode: a new alarm, and the buddy is alerted again, with the last answer's time.
    # (The return's deadline passed at 40 + wait while the alarm was on, which restarted the wait.)
    wait = max(CONFIG.return_timeout_s, CONFIG.travel_s + CONFIG.travel_margin_s)
    return_deadline = 40.0 + 2 * wait
    again = advance(engine, clock, 150.0)
    assert not [c for c in again if c.kind == "say" and c.data["cue"] == "checkin"]
    first_again = [(c.at, c.data) for c in again if c.kind == "alarm" and "repeat" not in c.data]
    assert first_again == [(return_deadline, {"why": "no confirmation of the return"})]
    second = [c for c in again if c.kind == "alert_buddy"]
    assert [c.at for c in second] == [return_deadline + 20]
    assert second[0].data["last_checkin_s"] == 72.0
    assert engine.end_reason is EndReason.NO_RESPONSE, "the first end reason is kept"


def test_a_long_silence_alerts_the_buddy_once_and_never_postpones_it() -> None:
    # The buddy timer is longer than the return's wait here, so a second missed deadline (the return nobody
    # confirms) lands while the first alarm is still running: it must neither postpone nor repeat the alert.
    config = replace(CONFIG, buddy_after_s=45)
    clock = VirtualClock()
    engine = SessionEngine(config, clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    clock.set(8.0)
    engine.handle(PositionConfirmed())
    commands = advance(engine, clock, 400.0)
    alarms = [(c.at, c.data["why"]) for c in commands if c.kind == "alarm" and "repeat" not in c.data]
    assert alarms == [(40.0, "check-in not answered")], "one alarm, still running when the return's wait ends"
    assert [c.at for c in commands if c.kind == "alert_buddy"] == [40.0 + 45], "once, 45 s after the alarm"


def test_times_sent_to_the_buddy_count_from_the_session_start() -> None:
    clock = VirtualClock(start=1000.0)  # a monotonic clock never starts at zero
    engine = SessionEngine(CONFIG, clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    clock.set(1008.0)
    engine.handle(PositionConfirmed())
    commands = advance(engine, clock, 1062.0)
    [alert] = [c for c in commands if c.kind == "alert_buddy"]
    assert (alert.at, alert.data["at_s"], alert.data["on_table_since_s"]) == (60.0, 60.0, 0.0)
    clock.set(1070.0)
    answered = engine.handle(CheckinAnswered())
    assert [(c.kind, c.data, c.at) for c in answered if c.kind != "alarm"] == [
        ("alarm_off", {}, 70.0),
        ("buddy_all_clear", {"at_s": 70.0}, 70.0),
    ]


def test_a_plain_checkin_answer_clears_only_the_question() -> None:
    engine, clock = holding()
    advance(engine, clock, 31.0)
    assert engine.checkin_asked_at == 30.0
    assert at(clock, engine, 33.0, CheckinAnswered()) == []
    assert engine.checkin_asked_at is None and engine.alarm_at is None and engine.last_checkin_at == 33.0
    assert engine.next_deadline() is not None
    assert advance(engine, clock, 62.0)[-1].at <= 62.0
    assert engine.checkin_asked_at == 63.0 or engine.checkin_due_at == 63.0


def test_stop_and_symptom_return_on_the_same_tick_with_their_reason() -> None:
    engine, clock = holding()
    stop = at(clock, engine, 20.0, StopRequested())
    assert [c.kind for c in stop][:3] == ["stop_speech", "phase", "say"] or "return_upright" in [c.kind for c in stop]
    assert engine.phase is Phase.RETURNING and engine.end_reason is EndReason.STOPPED
    assert engine.transitions[-1].why == "stop requested" and engine.transitions[-1].t == 20.0

    engine, clock = holding()
    symptom = at(clock, engine, 25.0, SymptomReported(symptom="dizziness"))
    assert "return_upright" in [c.kind for c in symptom]
    assert engine.phase is Phase.RETURNING and engine.end_reason is EndReason.SYMPTOM
    assert engine.transitions[-1].why == "symptom: dizziness"


def test_checkins_stop_at_the_survey() -> None:
    engine, clock = holding()

    def respond(commands: list[Command]) -> None:
        """A person who does what each cue asks, at once."""
        for command in commands:
            if command.kind == "say" and command.data["cue"] in ("return", "upright"):
                respond(engine.handle(PositionConfirmed()))
            if command.kind == "say" and command.data["cue"] in ("checkin", "alarm"):
                respond(engine.handle(CheckinAnswered()))

    respond(at(clock, engine, 20.0, StopRequested()))
    for _ in range(100):
        if engine.phase is Phase.SURVEY:
            break
        deadline = engine.next_deadline()
        assert deadline is not None
        clock.set(deadline)
        respond(engine.handle(Tick()))
    assert engine.phase is Phase.SURVEY
    assert engine.checkin_asked_at is None and engine.checkin_due_at is None
    assert engine.alarm_at is None and engine.buddy_alert_at is None
    engine.handle(SurveySubmitted(pain_after=2, tolerance="easy"))
    assert engine.phase is Phase.DONE


# --- stop and symptom, in every phase: the exact commands, the phase after, the end reason ----------------------

SETS = SessionConfig(angle_deg=30, hold_s=60, sets=2, set_rest_s=20, cap_hold_s=300, checkin_interval_s=30)


def reach(phase: Phase, config: SessionConfig = SETS) -> SessionEngine:
    """Drive a two-set session to `phase` with a person who answers every check-in and confirms every position."""
    clock = VirtualClock(start=500.0)
    engine = SessionEngine(config, clock)

    def respond(commands: list[Command]) -> None:
        for command in commands:
            if command.kind == "say" and command.data["cue"] in ("checkin", "alarm"):
                respond(engine.handle(CheckinAnswered()))

    if phase is not Phase.CHECKLIST:
        engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    for _ in range(200):
        if engine.phase is phase:
            break
        if engine.phase in (Phase.TILTING, Phase.RETURNING, Phase.UPRIGHT):
            clock.set(clock.now() + 3)
            respond(engine.handle(PositionConfirmed()))
            continue
        deadline = engine.next_deadline()
        assert deadline is not None
        clock.set(deadline)
        respond(engine.handle(Tick()))
    assert engine.phase is phase
    clock.set(clock.now() + 1)
    respond(engine.handle(Tick()))
    return engine


# Read and checked by hand: a stop or a symptom silences the voice at once; while inverted (tilting, holding) the
# return starts on the same event; between sets it goes to the rest near horizontal and no further set starts; a
# symptom gets its advice; before inverting a stop aborts; in the survey a stop skips it.
STOP_AND_SYMPTOM = [
    (
        "checklist",
        "stop",
        [
            ("phase", {"phase": "done", "why": "stopped before inverting"}),
            ("record", {"end_reason": "aborted", "held_s": 0.0, "inverted_s": 0.0}),
        ],
        "done",
        "aborted",
    ),
    ("checklist", "symptom", [("record", {"symptom": "dizziness"})], "checklist", None),
    (
        "tilting",
        "stop",
        [
            ("stop_speech", {}),
            ("phase", {"phase": "returning", "why": "stop requested"}),
            ("say", {"text": "Return slowly to near horizontal. Press I'm back when you are there.", "cue": "return"}),
            ("return_upright", {"rate_deg_s": None}),
        ],
        "returning",
        "stopped",
    ),
    (
        "tilting",
        "symptom",
        [
            ("stop_speech", {}),
            ("say", {"text": "Come up slowly and rest near horizontal.", "cue": "symptom"}),
            ("phase", {"phase": "returning", "why": "symptom: dizziness"}),
            ("say", {"text": "Return slowly to near horizontal. Press I'm back when you are there.", "cue": "return"}),
            ("return_upright", {"rate_deg_s": None}),
        ],
        "returning",
        "symptom",
    ),
    (
        "holding",
        "stop",
        [
            ("stop_speech", {}),
            ("phase", {"phase": "returning", "why": "stop requested"}),
            ("say", {"text": "Return slowly to near horizontal. Press I'm back when you are there.", "cue": "return"}),
            ("return_upright", {"rate_deg_s": None}),
        ],
        "returning",
        "stopped",
    ),
    (
        "holding",
        "symptom",
        [
            ("stop_speech", {}),
            ("say", {"text": "Come up slowly and rest near horizontal.", "cue": "symptom"}),
            ("phase", {"phase": "returning", "why": "symptom: dizziness"}),
            ("say", {"text": "Return slowly to near horizontal. Press I'm back when you are there.", "cue": "return"}),
            ("return_upright", {"rate_deg_s": None}),
        ],
        "returning",
        "symptom",
    ),
    (
        "set_rest",
        "stop",
        [
            ("stop_speech", {}),
            ("phase", {"phase": "resting", "why": "stop requested"}),
            ("say", {"text": "Rest near horizontal for 1 minute. Do not sit up from inverted.", "cue": "rest"}),
        ],
        "resting",
        "stopped",
    ),
    (
        "set_rest",
        "symptom",
        [
            ("stop_speech", {}),
            ("say", {"text": "Come up slowly and rest near horizontal.", "cue": "symptom"}),
            ("phase", {"phase": "resting", "why": "symptom: dizziness"}),
            ("say", {"text": "Rest near horizontal for 1 minute. Do not sit up from inverted.", "cue": "rest"}),
        ],
        "resting",
        "symptom",
    ),
    ("returning", "stop", [("stop_speech", {})], "returning", "stopped"),
    (
        "returning",
        "symptom",
        [("stop_speech", {}), ("say", {"text": "Come up slowly and rest near horizontal.", "cue": "symptom"})],
        "returning",
        "symptom",
    ),
    ("resting", "stop", [("stop_speech", {})], "resting", "completed"),
    (
        "resting",
        "symptom",
        [("stop_speech", {}), ("say", {"text": "Come up slowly and rest near horizontal.", "cue": "symptom"})],
        "resting",
        "symptom",
    ),
    ("upright", "stop", [("stop_speech", {})], "upright", "completed"),
    (
        "upright",
        "symptom",
        [("stop_speech", {}), ("say", {"text": "Come up slowly and rest near horizontal.", "cue": "symptom"})],
        "upright",
        "symptom",
    ),
    (
        "survey",
        "stop",
        [
            ("phase", {"phase": "done", "why": "survey skipped"}),
            ("record", {"end_reason": "completed", "held_s": 120.0, "inverted_s": 152.0}),
        ],
        "done",
        "completed",
    ),
    ("survey", "symptom", [("record", {"symptom": "dizziness"})], "survey", "completed"),
]


@pytest.mark.parametrize(("phase", "event", "commands", "phase_after", "end_reason"), STOP_AND_SYMPTOM)
def test_stop_and_symptom_in_every_phase(
    phase: str, event: str, commands: list[tuple[str, dict[str, object]]], phase_after: str, end_reason: str | None
) -> None:
    engine = reach(Phase(phase))
    done = engine.handle(StopRequested() if event == "stop" else SymptomReported(symptom="dizziness"))
    assert [(c.kind, c.data) for c in done] == commands
    assert engine.phase is Phase(phase_after)
    assert (engine.end_reason and engine.end_reason.value) == end_reason
    if event == "symptom":
        assert engine.symptoms == ["dizziness"]


def test_a_stop_while_returning_between_sets_starts_no_further_set() -> None:
    engine = reach(Phase.RETURNING)
    assert engine.segment_index == 1 < len(SETS.segments), "returning after the first of two sets"
    engine.handle(StopRequested())
    clock = engine.clock
    assert isinstance(clock, VirtualClock)
    clock.set(clock.now() + 2)
    engine.handle(PositionConfirmed())
    assert engine.phase is Phase.RESTING, "the rest near horizontal, not the next set"
    assert engine.end_reason is EndReason.STOPPED


# --- angle readings at and around each limit, in every phase on the table -----------------------------------------
# Prescribed 30 degrees with a 5-degree tolerance (warned above 35), cap 40 (warned above 40, exactly 40 is within
# it), near horizontal at 10 or less, the hold reached from 25.

ANGLE_READINGS = [
    ("checklist", 9.9, [("angle", {"angle_deg": 9.9})], "checklist"),
    ("checklist", 10.0, [("angle", {"angle_deg": 10.0})], "checklist"),
    ("checklist", 24.9, [("angle", {"angle_deg": 24.9})], "checklist"),
    ("checklist", 25.0, [("angle", {"angle_deg": 25.0})], "checklist"),
    ("checklist", 35.0, [("angle", {"angle_deg": 35.0})], "checklist"),
    ("checklist", 35.5, [("angle", {"angle_deg": 35.5})], "checklist"),
    ("checklist", 40.0, [("angle", {"angle_deg": 40.0})], "checklist"),
    ("checklist", 40.5, [("angle", {"angle_deg": 40.5})], "checklist"),
    ("tilting", 9.9, [("angle", {"angle_deg": 9.9})], "tilting"),
    ("tilting", 10.0, [("angle", {"angle_deg": 10.0})], "tilting"),
    ("tilting", 24.9, [("angle", {"angle_deg": 24.9})], "tilting"),
    (
        "tilting",
        25.0,
        [
            ("angle", {"angle_deg": 25.0}),
            ("phase", {"phase": "holding", "why": "angle reached (sensor)"}),
            ("say", {"text": "Hold for 1 minute. Breathe slowly and relax.", "cue": "hold"}),
        ],
        "holding",
    ),
    (
        "tilting",
        35.0,
        [
            ("angle", {"angle_deg": 35.0}),
            ("phase", {"phase": "holding", "why": "angle reached (sensor)"}),
            ("say", {"text": "Hold for 1 minute. Breathe slowly and relax.", "cue": "hold"}),
        ],
        "holding",
    ),
    (
        "tilting",
        35.5,
        [
            ("angle", {"angle_deg": 35.5}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 35.5, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
            ("phase", {"phase": "holding", "why": "angle reached (sensor)"}),
            ("say", {"text": "Hold for 1 minute. Breathe slowly and relax.", "cue": "hold"}),
        ],
        "holding",
    ),
    (
        "tilting",
        40.0,
        [
            ("angle", {"angle_deg": 40.0}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 40.0, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
            ("phase", {"phase": "holding", "why": "angle reached (sensor)"}),
            ("say", {"text": "Hold for 1 minute. Breathe slowly and relax.", "cue": "hold"}),
        ],
        "holding",
    ),
    (
        "tilting",
        40.5,
        [
            ("angle", {"angle_deg": 40.5}),
            ("warn", {"kind": "above_cap", "angle_deg": 40.5, "limit_deg": 40}),
            ("say", {"text": "Too steep: come up to 30 degrees or less.", "cue": "warning"}),
            ("phase", {"phase": "holding", "why": "angle reached (sensor)"}),
            ("say", {"text": "Hold for 1 minute. Breathe slowly and relax.", "cue": "hold"}),
        ],
        "holding",
    ),
    ("holding", 9.9, [("angle", {"angle_deg": 9.9})], "holding"),
    ("holding", 10.0, [("angle", {"angle_deg": 10.0})], "holding"),
    ("holding", 24.9, [("angle", {"angle_deg": 24.9})], "holding"),
    ("holding", 25.0, [("angle", {"angle_deg": 25.0})], "holding"),
    ("holding", 35.0, [("angle", {"angle_deg": 35.0})], "holding"),
    (
        "holding",
        35.5,
        [
            ("angle", {"angle_deg": 35.5}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 35.5, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
        ],
        "holding",
    ),
    (
        "holding",
        40.0,
        [
            ("angle", {"angle_deg": 40.0}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 40.0, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
        ],
        "holding",
    ),
    (
        "holding",
        40.5,
        [
            ("angle", {"angle_deg": 40.5}),
            ("warn", {"kind": "above_cap", "angle_deg": 40.5, "limit_deg": 40}),
            ("say", {"text": "Too steep: come up to 30 degrees or less.", "cue": "warning"}),
        ],
        "holding",
    ),
    ("set_rest", 9.9, [("angle", {"angle_deg": 9.9})], "set_rest"),
    ("set_rest", 10.0, [("angle", {"angle_deg": 10.0})], "set_rest"),
    ("set_rest", 24.9, [("angle", {"angle_deg": 24.9})], "set_rest"),
    ("set_rest", 25.0, [("angle", {"angle_deg": 25.0})], "set_rest"),
    ("set_rest", 35.0, [("angle", {"angle_deg": 35.0})], "set_rest"),
    (
        "set_rest",
        35.5,
        [
            ("angle", {"angle_deg": 35.5}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 35.5, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
        ],
        "set_rest",
    ),
    (
        "set_rest",
        40.0,
        [
            ("angle", {"angle_deg": 40.0}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 40.0, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
        ],
        "set_rest",
    ),
    (
        "set_rest",
        40.5,
        [
            ("angle", {"angle_deg": 40.5}),
            ("warn", {"kind": "above_cap", "angle_deg": 40.5, "limit_deg": 40}),
            ("say", {"text": "Too steep: come up to 30 degrees or less.", "cue": "warning"}),
        ],
        "set_rest",
    ),
    (
        "returning",
        9.9,
        [
            ("angle", {"angle_deg": 9.9}),
            ("phase", {"phase": "set_rest", "why": "back near horizontal (sensor)"}),
            ("say", {"text": "Rest near horizontal for 20 seconds.", "cue": "rest"}),
        ],
        "set_rest",
    ),
    (
        "returning",
        10.0,
        [
            ("angle", {"angle_deg": 10.0}),
            ("phase", {"phase": "set_rest", "why": "back near horizontal (sensor)"}),
            ("say", {"text": "Rest near horizontal for 20 seconds.", "cue": "rest"}),
        ],
        "set_rest",
    ),
    ("returning", 24.9, [("angle", {"angle_deg": 24.9})], "returning"),
    ("returning", 25.0, [("angle", {"angle_deg": 25.0})], "returning"),
    ("returning", 35.0, [("angle", {"angle_deg": 35.0})], "returning"),
    (
        "returning",
        35.5,
        [
            ("angle", {"angle_deg": 35.5}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 35.5, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
        ],
        "returning",
    ),
    (
        "returning",
        40.0,
        [
            ("angle", {"angle_deg": 40.0}),
            ("warn", {"kind": "steeper_than_prescribed", "angle_deg": 40.0, "limit_deg": 30}),
            ("say", {"text": "A little steep: come up to 30 degrees.", "cue": "warning"}),
        ],
        "returning",
    ),
    (
        "returning",
        40.5,
        [
            ("angle", {"angle_deg": 40.5}),
            ("warn", {"kind": "above_cap", "angle_deg": 40.5, "limit_deg": 40}),
            ("say", {"text": "Too steep: come up to 30 degrees or less.", "cue": "warning"}),
        ],
        "returning",
    ),
]


@pytest.mark.parametrize(("phase", "angle", "commands", "phase_after"), ANGLE_READINGS)
def test_angle_readings_at_each_limit(
    phase: str, angle: float, commands: list[tuple[str, dict[str, object]]], phase_after: str
) -> None:
    engine = reach(Phase(phase), replace(SETS, cap_angle_deg=40))
    before = engine.max_angle_seen
    done = engine.handle(AngleReading(angle_deg=angle))
    assert [(c.kind, c.data) for c in done] == commands
    assert engine.phase is Phase(phase_after)
    assert engine.last_angle == angle and engine.max_angle_seen == max(before, angle)


# --- fitting the planned total within the cap ------------------------------------------------------------------


def oracle(config: SessionConfig, min_hold_s: int = 10) -> tuple[int, int]:
    """The longest hold with the most sets whose every planned inverted second fits: search, not arithmetic."""
    for sets in range(config.sets, 0, -1):
        for hold in range(config.hold_s, min_hold_s - 1, -1):
            if replace(config, sets=sets, hold_s=hold).planned_inverted_s <= config.cap_hold_s:
                return sets, hold
    return 1, min_hold_s


@given(
    hold=st.integers(10, 400),
    sets=st.integers(1, 4),
    rest=st.integers(0, 90),
    angle=st.integers(10, 60),
    rate=st.one_of(st.none(), st.sampled_from([2.0, 5.0, 10.0])),
    cap=st.integers(30, 600),
)
def test_fit_within_cap_keeps_the_most_that_fits(
    hold: int, sets: int, rest: int, angle: int, rate: float | None, cap: int
) -> None:
    config = SessionConfig(
        angle_deg=angle, hold_s=hold, sets=sets, set_rest_s=rest, cap_hold_s=cap, max_tilt_rate_deg_s=rate
    )
    fitted = fit_within_cap(config)
    assert (fitted.sets, fitted.hold_s) == oracle(config)


def test_fit_within_cap_exactly_at_the_cap_changes_nothing() -> None:
    # 2 sets of 100 s, 30 degrees at 5 deg/s (6 s each way), 20 s rest: 200 + 2 * 12 + 20 = 244 s.
    config = SessionConfig(angle_deg=30, hold_s=100, sets=2, set_rest_s=20, cap_hold_s=244)
    assert config.planned_inverted_s == 244
    assert fit_within_cap(config) == config
    one_over = replace(config, cap_hold_s=243)
    assert (fit_within_cap(one_over).sets, fit_within_cap(one_over).hold_s) == (2, 99)


def test_fit_within_cap_never_goes_below_the_shortest_hold() -> None:
    config = SessionConfig(angle_deg=60, hold_s=60, sets=3, set_rest_s=30, cap_hold_s=20)
    fitted = fit_within_cap(config)
    assert (fitted.sets, fitted.hold_s) == (1, 10), "the hard limit returns the person early instead"


# --- a table fault is not a person's stop --------------------------------------------------------------------------


def test_a_table_fault_returns_the_person_and_is_recorded_as_a_fault() -> None:
    engine = reach(Phase.HOLDING)
    asked_before = engine.checkin_due_at
    done = engine.handle(TableFault(reason="table angle not following the command"))
    assert [(c.kind, c.data) for c in done] == [
        ("stop_speech", {}),
        ("say", {"text": "The table reported a fault. Come back to horizontal now.", "cue": "fault"}),
        ("phase", {"phase": "returning", "why": "table fault: table angle not following the command"}),
        ("say", {"text": "Return slowly to near horizontal. Press I'm back when you are there.", "cue": "return"}),
        ("return_upright", {"rate_deg_s": None}),
    ]
    assert engine.end_reason is EndReason.TABLE_FAULT
    assert engine.checkin_due_at == asked_before, "not an answer from the person: the check-ins run on"


def test_a_table_fault_between_sets_starts_no_further_set_and_never_undoes_a_completed_session() -> None:
    resting = reach(Phase.SET_REST)
    resting.handle(TableFault(reason="stall"))
    assert resting.phase is Phase.RESTING and resting.end_reason is EndReason.TABLE_FAULT
    returning = reach(Phase.RETURNING)
    returning.handle(TableFault(reason="stall"))
    assert returning.end_reason is EndReason.TABLE_FAULT and returning.segment_index == len(SETS.segments)
    done = reach(Phase.UPRIGHT)
    assert done.end_reason is EndReason.COMPLETED
    done.handle(TableFault(reason="stall"))
    assert done.end_reason is EndReason.COMPLETED
    before = reach(Phase.CHECKLIST)
    before.handle(TableFault(reason="no answer"))
    assert before.phase is Phase.DONE and before.end_reason is EndReason.TABLE_FAULT
