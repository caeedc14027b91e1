from __future__ import annotations

import os
import time

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hangtime.core.session.commands import (
    Command,
)
from hangtime.core.session.engine import (
    INVERTED,
    ON_TABLE,
    REQUIRED_CHECKLIST,
    AngleReading,
    CheckinAnswered,
    ChecklistConfirmed,
    ConnectionLost,
    EndReason,
    Event,
    Phase,
    PositionConfirmed,
    SessionConfig,
    SessionEngine,
    StopRequested,
    SurveySubmitted,
    SymptomReported,
    Tick,
    VirtualClock,
    event_from_dict,
)


def examples(full: int) -> int:
    """Hypothesis examples: fewer under `make mutation`, where each mutant reruns this test."""
    return min(full, 30) if "MUTANT_UNDER_TEST" in os.environ else full


CONFIG = SessionConfig(angle_deg=30, hold_s=90, sets=2, set_rest_s=30, cap_hold_s=200, cap_angle_deg=45)


def drive(engine: SessionEngine, clock: VirtualClock, until: float, answer: bool = True) -> list[Command]:
    """Advance to `until`, stopping at every deadline; answer prompts when asked to."""
    commands: list[Command] = []
    while True:
        deadline = engine.next_deadline()
        if deadline is None or deadline > until:
            break
        clock.set(deadline)
        emitted = engine.handle(Tick())
        commands += emitted
        cues = {c.data["cue"] for c in emitted if c.kind == "say"}
        if answer and cues & {"checkin", "tilt", "return", "upright"}:
            clock.advance(1)
            if "checkin" in cues:
                commands += engine.handle(CheckinAnswered())
            if cues & {"tilt", "return", "upright"}:
                commands += engine.handle(PositionConfirmed())
    clock.set(until)
    commands += engine.handle(Tick())
    return commands


def test_ten_minute_session_runs_in_milliseconds() -> None:
    config = SessionConfig(angle_deg=45, hold_s=150, sets=3, set_rest_s=60, cap_hold_s=700, rest_near_horizontal_s=120)
    clock = VirtualClock()
    engine = SessionEngine(config, clock)
    started = time.perf_counter()
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST, pain_before=4))
    drive(engine, clock, 900)
    engine.handle(SurveySubmitted(pain_after=3, tolerance="just_right"))
    elapsed = time.perf_counter() - started
    assert engine.phase is Phase.DONE
    assert engine.end_reason is EndReason.COMPLETED
    assert engine.held_s == 450
    assert elapsed < 0.5, f"a simulated 10-minute session took {elapsed:.3f} s"
    phases = [t.to_phase for t in engine.transitions]
    assert phases.count(Phase.HOLDING) == 3 and phases.count(Phase.SET_REST) == 2


def test_hard_limit_ends_the_hold_even_without_ticks() -> None:
    clock = VirtualClock()
    engine = SessionEngine(SessionConfig(angle_deg=30, hold_s=120, cap_hold_s=125, checkin_interval_s=5000), clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    engine.handle(PositionConfirmed())  # angle reached: hold starts at t=0
    # The hold is longer than the cap allows once the 6 s return (30 degrees at 5 deg/s) is counted: the return
    # starts at 125 - 6 = 119 s, so the time inverted, return included, is the cap.
    assert engine.config.hard_limit_s == 125
    clock.set(1000)  # a very late tick: the engine catches up at the deadlines, not at t=1000
    engine.handle(Tick())
    assert engine.held_s == 119
    returning = next(t for t in engine.transitions if t.to_phase is Phase.RETURNING)
    assert returning.t == 119 and engine.end_reason is EndReason.HARD_LIMIT


def test_stop_returns_on_the_same_tick() -> None:
    clock = VirtualClock()
    engine = SessionEngine(CONFIG, clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    engine.handle(PositionConfirmed())
    clock.set(20)
    commands = engine.handle(StopRequested())
    assert engine.phase is Phase.RETURNING
    assert "stop_speech" in [c.kind for c in commands]
    assert any(c.kind == "return_upright" for c in commands)
    assert engine.end_reason is EndReason.STOPPED


def test_symptom_returns_with_its_advice() -> None:
    clock = VirtualClock()
    engine = SessionEngine(CONFIG, clock, symptom_advice=lambda s: f"advice for {s}")
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    clock.set(5)
    commands = engine.handle(SymptomReported(symptom="dizziness"))
    assert engine.phase is Phase.RETURNING
    assert any(c.kind == "say" and c.data["text"] == "advice for dizziness" for c in commands)
    engine.handle(AngleReading(angle_deg=5))
    assert engine.phase is Phase.RESTING, "after a symptom no further set: rest near horizontal"


def test_checklist_requires_spotter_when_caps_say_so() -> None:
    clock = VirtualClock()
    engine = SessionEngine(SessionConfig(angle_deg=20, hold_s=60, spotter_required=True), clock)
    commands = engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    assert engine.phase is Phase.CHECKLIST
    assert "Someone is with me" in commands[0].data["text"]
    engine.handle(ChecklistConfirmed(items=(*REQUIRED_CHECKLIST, "spotter")))
    assert engine.phase is Phase.TILTING


def test_unanswered_checkin_alarms_then_alerts_buddy() -> None:
    clock = VirtualClock()
    engine = SessionEngine(SessionConfig(angle_deg=30, hold_s=300, cap_hold_s=300), clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    engine.handle(AngleReading(angle_deg=30))
    commands = drive(engine, clock, 30 + 10 + 20 + 1, answer=False)
    kinds = [c.kind for c in commands]
    assert "alarm" in kinds and "alert_buddy" in kinds
    assert kinds.index("alarm") < kinds.index("alert_buddy")
    assert engine.phase is Phase.RETURNING and engine.end_reason is EndReason.NO_RESPONSE
    alert = next(c for c in commands if c.kind == "alert_buddy")
    assert alert.data["last_checkin_s"] == 0
    more = drive(engine, clock, 120, answer=False)
    assert [c.kind for c in more].count("alarm") >= 10, "the alarm keeps going until answered"
    answered = engine.handle(CheckinAnswered())
    assert [c.kind for c in answered][:2] == ["alarm_off", "buddy_all_clear"]


def test_angle_warnings() -> None:
    clock = VirtualClock()
    engine = SessionEngine(CONFIG, clock)
    engine.handle(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    steep = engine.handle(AngleReading(angle_deg=38))
    assert any(c.kind == "warn" and c.data["kind"] == "steeper_than_prescribed" for c in steep)
    too_steep = engine.handle(AngleReading(angle_deg=50))
    assert any(c.kind == "warn" and c.data["kind"] == "above_cap" for c in too_steep)


def test_event_from_dict() -> None:
    assert event_from_dict({"t": 3, "event": "symptom_reported", "symptom": "nausea"}) == SymptomReported(
        symptom="nausea"
    )
    assert event_from_dict({"event": "checklist_confirmed", "items": ["a"]}) == ChecklistConfirmed(items=("a",))


class EngineMachine(RuleBasedStateMachine):
    """Arbitrary events in arbitrary order: the safety properties hold after every step."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock()
        self.engine = SessionEngine(CONFIG, self.clock)
        self.last_response: float | None = None
        self.since_response: list[Command] = []

    def send(self, event: Event) -> list[Command]:
        on_table_before = self.engine.phase in ON_TABLE
        commands = self.engine.handle(event)
        responded = isinstance(event, CheckinAnswered | StopRequested | SymptomReported) and on_table_before
        responded = responded or (
            isinstance(event, ChecklistConfirmed) and self.engine.phase is Phase.TILTING and not on_table_before
        )
        if responded:
            self.last_response = self.clock.now()
            self.since_response = []
        else:
            self.since_response += commands
        return commands

    @rule(seconds=st.floats(0, 45))
    def wait(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.send(Tick())

    @rule(spotter=st.booleans())
    def checklist(self, spotter: bool) -> None:
        self.send(ChecklistConfirmed(items=(*REQUIRED_CHECKLIST, *(["spotter"] if spotter else []))))

    @rule(angle=st.floats(0, 90))
    def angle(self, angle: float) -> None:
        self.send(AngleReading(angle_deg=angle))

    @rule()
    def ok(self) -> None:
        self.send(CheckinAnswered())

    @rule()
    def confirm(self) -> None:
        self.send(PositionConfirmed())

    @rule(symptom=st.sampled_from(["dizziness", "nausea", "eye_pressure_or_blurred_vision"]))
    def symptom(self, symptom: str) -> None:
        self.send(SymptomReported(symptom=symptom))
        assert self.engine.phase not in INVERTED

    @rule()
    def stop(self) -> None:
        self.send(StopRequested())
        assert self.engine.phase not in INVERTED

    @rule()
    def disconnect(self) -> None:
        self.send(ConnectionLost())
        assert self.engine.phase not in INVERTED

    @rule()
    def survey(self) -> None:
        self.send(SurveySubmitted(pain_after=3))

    @invariant()
    def never_held_past_the_hard_limit(self) -> None:
        assert self.engine.held_s <= CONFIG.hard_limit_s + 1e-9

    @invariant()
    def the_return_starts_in_time_to_stay_within_the_limit(self) -> None:
        if self.engine.phase in (Phase.TILTING, Phase.HOLDING, Phase.SET_REST):
            assert self.engine.inverted_s <= CONFIG.hard_limit_s - CONFIG.travel_s + 1e-9

    @invariant()
    def every_exit_from_inverted_passes_through_return_and_rest(self) -> None:
        transitions = self.engine.transitions
        for index, transition in enumerate(transitions):
            if transition.from_phase in INVERTED and transition.to_phase not in INVERTED:
                assert transition.to_phase is Phase.RETURNING
            if transition.from_phase is Phase.RETURNING:
                assert transition.to_phase in (Phase.SET_REST, Phase.RESTING)
            if transition.to_phase in (Phase.UPRIGHT, Phase.SURVEY, Phase.DONE):
                was_inverted = any(t.to_phase in INVERTED for t in transitions[:index])
                if was_inverted:
                    earlier = [t.to_phase for t in transitions[:index]]
                    assert Phase.RESTING in earlier
                    last_inverted = max(i for i, p in enumerate(earlier) if p in INVERTED)
                    assert Phase.RETURNING in earlier[last_inverted:]
                    assert Phase.RESTING in earlier[last_inverted:]

    @precondition(lambda self: self.last_response is not None)
    @invariant()
    def silence_leads_to_alarm_then_buddy(self) -> None:
        assert self.last_response is not None
        silent_for = self.clock.now() - self.last_response
        if self.engine.phase not in ON_TABLE:
            return
        kinds = [c.kind for c in self.since_response]
        # A check-in may wait out the quiet time around a confirmation cue (before and after it).
        alarm_by = CONFIG.checkin_interval_s + CONFIG.checkin_grace_s + 2 * CONFIG.confirm_quiet_s
        if silent_for >= alarm_by:
            assert "alarm" in kinds, f"silent {silent_for:.1f} s on the table without an alarm"
        if silent_for >= alarm_by + CONFIG.buddy_after_s:
            assert "alert_buddy" in kinds, f"silent {silent_for:.1f} s without a buddy alert"
            assert kinds.index("alarm") < kinds.index("alert_buddy")


EngineMachine.TestCase.settings = settings(max_examples=examples(300), stateful_step_count=60, deadline=None)
TestEngineMachine = EngineMachine.TestCase
