"""The session engine: a pure state machine. Events in, commands out; time only from the injected clock.

Safety properties (checked by a hypothesis state-machine test and by mutation testing):
- every second below horizontal counts (tilting, holding, resting between sets or oscillation cycles, returning);
  the return starts early enough that the total stays within the hard limit (the planned total plus a small
  grace, never above the cap) when the return takes its planned time;
- a measured angle above the cap for 2 s or more starts the return, in any phase on the table;
- answering a check-in ("I'm OK") and confirming a position ("I'm there", "I'm back") are different events: a
  check-in answer never moves a phase, and a check-in is never asked within a few seconds of a cue that asks
  for a confirmation;
- a stop, a symptom, a missed check-in or the hard limit moves to RETURNING at the moment it happens;
- every way out of an inverted phase passes through RETURNING and then a rest near horizontal;
- an unanswered check-in always raises an alarm, and then a buddy alert, and the alarm repeats until answered.

Timers are processed at their own deadlines, not at the time of the event that reveals them, so a late tick
cannot stretch a hold: the runner sleeps until `next_deadline()` and the engine catches up exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from enum import StrEnum
from typing import Any, Protocol

from pydantic import TypeAdapter, ValidationError

from hangtime.core.errors import first_problem
from hangtime.core.session import cues
from hangtime.core.session.commands import (
    Alarm,
    AlarmOff,
    AlertBuddy,
    AngleSeen,
    BuddyAllClear,
    Chime,
    Command,
    MoveTo,
    PhaseChanged,
    ReturnUpright,
    SessionRecorded,
    StopSpeech,
    SymptomRecorded,
    Warn,
)


class Clock(Protocol):
    def now(self) -> float: ...


class VirtualClock:
    """A clock the caller moves: for tests, replay and benchmarks."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds

    def set(self, t: float) -> None:
        self.t = max(self.t, t)


class Phase(StrEnum):
    CHECKLIST = "checklist"
    TILTING = "tilting"
    HOLDING = "holding"
    RETURNING = "returning"
    SET_REST = "set_rest"
    RESTING = "resting"
    UPRIGHT = "upright"
    SURVEY = "survey"
    DONE = "done"


INVERTED = frozenset({Phase.TILTING, Phase.HOLDING})
# Time in these phases counts toward the hard limit: the person is (or may still be) below horizontal.
COUNTED_AS_INVERTED = frozenset({Phase.TILTING, Phase.HOLDING, Phase.SET_REST, Phase.RETURNING})
ON_TABLE = frozenset({Phase.TILTING, Phase.HOLDING, Phase.RETURNING, Phase.SET_REST, Phase.RESTING, Phase.UPRIGHT})
# Phases whose cue asks the person to confirm a position.
ASKS_CONFIRMATION = frozenset({Phase.TILTING, Phase.RETURNING, Phase.UPRIGHT})


class EndReason(StrEnum):
    COMPLETED = "completed"
    STOPPED = "stopped"
    SYMPTOM = "symptom"
    NO_RESPONSE = "no_response"
    HARD_LIMIT = "hard_limit"
    ABOVE_CAP = "above_cap"
    ABORTED = "aborted"
    TABLE_FAULT = "table_fault"


# --- events ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """Base of all events; `name` is the journal's `event` field."""

    name: str = field(init=False, default="")

    def payload(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "name"}


@dataclass(frozen=True)
class Tick(Event):
    name: str = field(init=False, default="tick")


@dataclass(frozen=True)
class ChecklistConfirmed(Event):
    items: tuple[str, ...] = ()
    pain_before: int | None = None
    name: str = field(init=False, default="checklist_confirmed")


@dataclass(frozen=True)
class AngleReading(Event):
    angle_deg: float = 0.0
    name: str = field(init=False, default="angle_reading")


@dataclass(frozen=True)
class CheckinAnswered(Event):
    """'I'm OK': answers a check-in or the alarm. It never confirms a position."""

    name: str = field(init=False, default="checkin_answered")


@dataclass(frozen=True)
class PositionConfirmed(Event):
    """'I'm there' / 'I'm back' / 'I'm upright': confirms the position the current cue asked for."""

    name: str = field(init=False, default="position_confirmed")


@dataclass(frozen=True)
class SymptomReported(Event):
    symptom: str = "other"
    name: str = field(init=False, default="symptom_reported")


@dataclass(frozen=True)
class StopRequested(Event):
    name: str = field(init=False, default="stop_requested")


@dataclass(frozen=True)
class TableFault(Event):
    """The motorized table's supervisor latched a fault (and already commanded the return): not a person's stop."""

    reason: str = "unknown"
    name: str = field(init=False, default="table_fault")


@dataclass(frozen=True)
class ConnectionLost(Event):
    """The person's screen went away (web page closed): treated as a missed check-in."""

    name: str = field(init=False, default="connection_lost")


@dataclass(frozen=True)
class SurveySubmitted(Event):
    pain_after: int | None = None
    tolerance: str | None = None
    symptoms: tuple[str, ...] = ()
    name: str = field(init=False, default="survey_submitted")


EVENT_TYPES: dict[str, type[Event]] = {
    cls.name: cls
    for cls in (
        Tick,
        ChecklistConfirmed,
        AngleReading,
        CheckinAnswered,
        PositionConfirmed,
        SymptomReported,
        StopRequested,
        TableFault,
        ConnectionLost,
        SurveySubmitted,
    )
}


def event_from_dict(data: dict[str, Any]) -> Event:
    """Build an event from its journal form ({"event": name, ...fields}); raises ValueError when unknown."""
    name = data.get("event")
    cls = EVENT_TYPES.get(str(name))
    if cls is None:
        raise ValueError(f"unknown event '{name}' (known: {', '.join(sorted(EVENT_TYPES))})")
    fields = {k: v for k, v in data.items() if k not in ("event", "t")}
    known = {f.name for f in dataclass_fields(cls) if f.init}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise ValueError(f"event '{name}' has no field '{unknown[0]}'")
    try:
        return TypeAdapter(cls).validate_python(fields)
    except ValidationError as exc:
        where, message = first_problem(exc)
        raise ValueError(f"event '{name}': {where}: {message.lower()}") from None


def config_from_dict(data: dict[str, Any]) -> SessionConfig:
    """A session config from a journal or replay header, checked field by field; raises ValueError."""
    known = {f.name for f in dataclass_fields(SessionConfig)}
    try:
        return TypeAdapter(SessionConfig).validate_python({k: v for k, v in data.items() if k in known})
    except ValidationError as exc:
        where, message = first_problem(exc)
        raise ValueError(f"session config: {where}: {message.lower()}") from None


# --- commands ----------------------------------------------------------------------------------------------


# --- configuration ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionConfig:
    angle_deg: float
    hold_s: int
    sets: int = 1
    set_rest_s: int = 0
    oscillation_down_s: int | None = None
    oscillation_up_s: int | None = None
    rest_near_horizontal_s: int = 60
    cap_hold_s: int = 300
    cap_angle_deg: float = 60
    max_tilt_rate_deg_s: float | None = None
    spotter_required: bool = False
    checkin_interval_s: float = 30
    checkin_grace_s: float = 10
    buddy_after_s: float = 20
    alarm_repeat_s: float = 5
    hard_limit_grace_s: float = 15
    tilt_timeout_s: float = 30
    return_timeout_s: float = 30
    upright_s: float = 15
    breathing_cue_s: float = 20
    near_horizontal_deg: float = 10
    angle_tolerance_deg: float = 5
    # A check-in is never asked within this many seconds of a cue that asks for a confirmation.
    confirm_quiet_s: float = 5
    # A measured angle above the cap for this long starts the return.
    above_cap_s: float = 2
    # Without a tilt-rate cap, tilting and returning are planned at this rate (a slow, controlled manual tilt).
    planned_rate_deg_s: float = 5
    # A slow tilt (2 deg/s to 60 degrees takes 30 s) gets this much past its planned time before it counts as stuck.
    travel_margin_s: float = 15

    @property
    def planned_hold_s(self) -> int:
        return self.hold_s * self.sets

    @property
    def travel_s(self) -> float:
        """Planned time to tilt to the angle, and the same again to return, at the capped or planned rate."""
        return self.angle_deg / (self.max_tilt_rate_deg_s or self.planned_rate_deg_s)

    @property
    def planned_inverted_s(self) -> float:
        """Every planned second below horizontal: each segment's tilt, hold and return, and the rests between."""
        segments = self.segments
        return sum(segments) + len(segments) * 2 * self.travel_s + (len(segments) - 1) * self.between_segments_s

    @property
    def hard_limit_s(self) -> float:
        """The planned total plus a small grace, never above the cap on time inverted."""
        return min(self.planned_inverted_s + self.hard_limit_grace_s, float(self.cap_hold_s))

    @property
    def segments(self) -> list[float]:
        """Inverted segment lengths: sets, or oscillation 'down' halves."""
        if self.oscillation_down_s:
            total = self.planned_hold_s
            full, last = divmod(total, self.oscillation_down_s)
            return [float(self.oscillation_down_s)] * full + ([float(last)] if last else [])
        return [float(self.hold_s)] * self.sets

    @property
    def between_segments_s(self) -> float:
        if self.oscillation_down_s and self.oscillation_up_s:
            return float(self.oscillation_up_s)
        return float(self.set_rest_s)


def fit_within_cap(config: SessionConfig, min_hold_s: int = 10) -> SessionConfig:
    """Shorten the holds (then drop sets) until every planned second below horizontal fits within the cap.

    A prescription counts hold time only; tilting, resting between sets or cycles and returning are inverted too,
    so a 300 s prescription at 2 degrees per second cannot also take 300 s of tilting within a 300 s cap."""
    fitted = config
    while fitted.planned_inverted_s > fitted.cap_hold_s:
        if fitted.hold_s > min_hold_s:
            fitted = replace(fitted, hold_s=fitted.hold_s - 1)
        elif fitted.sets > 1:
            fitted = replace(fitted, sets=fitted.sets - 1, hold_s=config.hold_s)
        else:
            break  # one short hold still does not fit: the hard limit returns the person early
    return fitted


REQUIRED_CHECKLIST = ("instructions", "straps", "not_after_meal", "screening")
CHECKLIST_TEXT = cues.CHECKLIST_TEXT  # the terminal asks these, the engine names what is missing


@dataclass
class Transition:
    t: float
    from_phase: Phase
    to_phase: Phase
    why: str


class SessionEngine:
    """One session. Feed it events with `handle`; it returns the commands to carry out, in order."""

    def __init__(self, config: SessionConfig, clock: Clock, symptom_advice: Callable[[str], str] | None = None):
        self.config = config
        self.clock = clock
        self.symptom_advice = symptom_advice or (lambda _s: "Come up slowly and rest near horizontal.")
        self.phase = Phase.CHECKLIST
        self.started_at = clock.now()
        self.t = self.started_at
        self.phase_started_at = self.t
        self.transitions: list[Transition] = []
        self.held_before_phase = 0.0
        self.inverted_before_phase = 0.0
        self.last_confirm_cue_at: float | None = None
        self.above_cap_since: float | None = None
        self.segment_index = 0
        self.end_reason: EndReason | None = None
        self.symptoms: list[str] = []
        self.pain_before: int | None = None
        self.survey: SurveySubmitted | None = None
        self.last_checkin_at: float | None = None
        self.checkin_due_at: float | None = None
        self.checkin_asked_at: float | None = None
        self.alarm_at: float | None = None
        self.alarming = False
        self.buddy_alert_at: float | None = None
        self.buddy_alerted = False
        self.next_breathing_cue_at: float | None = None
        self.breathing_index = 0
        self.countdown_cues: list[float] = []
        self.last_angle: float | None = None
        self.max_angle_seen = 0.0

    # -- queries -----------------------------------------------------------------------------------------

    @property
    def held_s(self) -> float:
        """Time held inverted so far, at the engine's time: what the hard limit bounds."""
        current = self.t - self.phase_started_at if self.phase is Phase.HOLDING else 0.0
        return self.held_before_phase + current

    @property
    def inverted_s(self) -> float:
        """Every second below horizontal so far (tilting, holding, resting between sets, returning)."""
        current = self.t - self.phase_started_at if self.phase in COUNTED_AS_INVERTED else 0.0
        return self.inverted_before_phase + current

    @property
    def completed(self) -> bool:
        return self.end_reason is EndReason.COMPLETED

    def phase_deadline(self) -> float | None:
        c = self.config
        start = self.phase_started_at
        match self.phase:
            case Phase.TILTING:
                return start + max(c.tilt_timeout_s, c.travel_s + c.travel_margin_s)
            case Phase.HOLDING:
                return start + c.segments[self.segment_index]
            case Phase.SET_REST:
                return start + c.between_segments_s
            case Phase.RETURNING:
                return start + max(c.return_timeout_s, c.travel_s + c.travel_margin_s)
            case Phase.RESTING:
                return start + c.rest_near_horizontal_s
            case Phase.UPRIGHT:
                return start + c.upright_s
            case _:
                return None

    def hard_limit_at(self) -> float | None:
        """When the return must start so that the time inverted, return included, stays within the hard limit."""
        if self.phase not in (Phase.TILTING, Phase.HOLDING, Phase.SET_REST):
            return None
        budget = self.config.hard_limit_s - self.config.travel_s - self.inverted_before_phase
        return self.phase_started_at + budget

    def _timers(self) -> list[tuple[float, int, str]]:
        """Active timers as (time, priority, name). A hold that ends exactly at the limit completes (both start the
        same return at the same instant; only the recorded reason differs)."""
        timers: list[tuple[float, int, str]] = []
        deadline = self.phase_deadline()
        if deadline is not None:
            timers.append((deadline, 0, "phase_end"))
        limit = self.hard_limit_at()
        if limit is not None:
            timers.append((limit, 1, "hard_limit"))
        if self.above_cap_since is not None:
            timers.append((self.above_cap_since + self.config.above_cap_s, 1, "above_cap"))
        if self.checkin_due_at is not None:
            timers.append((self.checkin_due_at, 2, "checkin_due"))
        if self.alarm_at is not None:
            timers.append((self.alarm_at, 2, "alarm"))
        if self.buddy_alert_at is not None and not self.buddy_alerted:
            timers.append((self.buddy_alert_at, 2, "buddy"))
        if self.next_breathing_cue_at is not None:
            timers.append((self.next_breathing_cue_at, 3, "breathing"))
        if self.countdown_cues:
            timers.append((self.countdown_cues[0], 3, "countdown"))
        return timers

    def next_deadline(self) -> float | None:
        timers = self._timers()
        return min(t for t, _, _ in timers) if timers else None

    def remaining_s(self) -> float | None:
        """Seconds left in the current phase, for the countdown display."""
        deadline = self.phase_deadline()
        if self.phase is Phase.HOLDING:
            limit = self.hard_limit_at()
            deadline = min(deadline, limit) if deadline is not None and limit is not None else deadline
        return None if deadline is None else max(0.0, deadline - self.clock.now())

    # -- the step function -----------------------------------------------------------------------------

    def handle(self, event: Event) -> list[Command]:
        """Process every timer that fell due up to now at its own time, then the event itself."""
        now = max(self.clock.now(), self.t)
        commands: list[Command] = []
        while True:
            due = [timer for timer in self._timers() if timer[0] <= now]
            if not due:
                break
            at, _, name = min(due)
            self.t = max(self.t, at)
            commands.extend(self._stamped(self._on_timer(name)))
        self.t = now
        commands.extend(self._stamped(self._on_event(event)))
        return commands

    def _stamped(self, commands: list[Command]) -> list[Command]:
        at = self.t - self.started_at
        return [replace(c, at=at) for c in commands]

    # -- transitions ------------------------------------------------------------------------------------

    def _enter(self, phase: Phase, why: str) -> list[Command]:
        if self.phase is Phase.HOLDING:
            self.held_before_phase += self.t - self.phase_started_at
        if self.phase in COUNTED_AS_INVERTED:
            self.inverted_before_phase += self.t - self.phase_started_at
        if phase in ASKS_CONFIRMATION:
            self.last_confirm_cue_at = self.t
        if phase not in ON_TABLE or phase is Phase.RETURNING:
            self.above_cap_since = None  # already on the way back: nothing more for the above-cap timer to do
        self.transitions.append(Transition(self.t, self.phase, phase, why))
        self.phase = phase
        self.phase_started_at = self.t
        self.next_breathing_cue_at = None
        self.countdown_cues = []
        commands: list[Command] = [PhaseChanged(phase.value, why)]
        c = self.config
        match phase:
            case Phase.TILTING:
                commands.append(cues.tilt(c.angle_deg, c.max_tilt_rate_deg_s))
                commands.append(MoveTo(c.angle_deg, c.max_tilt_rate_deg_s))
            case Phase.HOLDING:
                length = c.segments[self.segment_index]
                commands.append(cues.hold(length))
                self.next_breathing_cue_at = self.t + c.breathing_cue_s
                end = self.t + length
                self.countdown_cues = [end - s for s in (30, 10) if length > s + 5]
            case Phase.RETURNING:
                commands.append(cues.return_to_horizontal())
                commands.append(ReturnUpright(c.max_tilt_rate_deg_s))
            case Phase.SET_REST:
                commands.append(cues.rest_between_sets(c.between_segments_s))
            case Phase.RESTING:
                commands.append(cues.rest_after(c.rest_near_horizontal_s))
            case Phase.UPRIGHT:
                commands.append(cues.upright())
            case Phase.SURVEY:
                self._stop_checkins()
                commands.append(cues.survey())
            case Phase.DONE:
                self._stop_checkins()
                if self.end_reason is None:
                    self.end_reason = EndReason.ABORTED
                commands.append(SessionRecorded(self.end_reason.value, self.held_s, self.inverted_s))
        return commands

    def _begin_return(self, why: str, reason: EndReason) -> list[Command]:
        # Only ever called from tilting or holding, before any end reason is set: the first reason is the one kept.
        if self.end_reason is None:
            self.end_reason = reason
        self.segment_index = len(self.config.segments)  # no further sets: this return ends the inversion
        return self._enter(Phase.RETURNING, why)

    def _table_fault(self, why: str) -> list[Command]:
        """Like a stop, except that it is not the person's answer: the check-ins and any alarm run on."""
        c = self.config
        if self.phase is Phase.CHECKLIST:
            self.end_reason = EndReason.TABLE_FAULT
            return self._enter(Phase.DONE, why)
        if self.phase not in ON_TABLE:
            return []
        commands = [
            StopSpeech(),
            cues.table_fault(),
        ]
        if self.phase in INVERTED:
            return [*commands, *self._begin_return(why, EndReason.TABLE_FAULT)]
        if self.end_reason is None:  # a session already completed stays completed: the fault is the table's
            self.end_reason = EndReason.TABLE_FAULT
        self.segment_index = len(c.segments)
        if self.phase is Phase.SET_REST:
            commands.extend(self._enter(Phase.RESTING, why))
        return commands

    def _stop_checkins(self) -> None:
        self.checkin_due_at = None
        self.checkin_asked_at = None
        self.alarm_at = None
        self.buddy_alert_at = None

    def _arm_checkin(self) -> None:
        """The next check-in; the buddy timer is _answered's to cancel (it runs on while the alarm does)."""
        self.checkin_due_at = self.t + self.config.checkin_interval_s
        self.checkin_asked_at = None
        self.alarm_at = None

    def _missed(self, why: str) -> list[Command]:
        """Start the alarm and the buddy timer; an inverted person is brought back."""
        commands: list[Command] = []
        if not self.alarming:
            self.alarming = True
            commands.append(Alarm(why))
            commands.append(cues.alarm())
            self.alarm_at = self.t + self.config.alarm_repeat_s
        # Already alarming: the repeat keeps its own 5 s rhythm (resetting it here skipped a repeat).
        if self.buddy_alert_at is None and not self.buddy_alerted:
            self.buddy_alert_at = self.t + self.config.buddy_after_s
        self.checkin_due_at = None
        if self.phase in INVERTED:
            commands.extend(self._begin_return(why, EndReason.NO_RESPONSE))
        return commands

    def _answered(self) -> list[Command]:
        commands: list[Command] = []
        self.last_checkin_at = self.t
        if self.alarming:
            self.alarming = False
            commands.append(AlarmOff())
            if self.buddy_alerted:
                commands.append(BuddyAllClear(self.t - self.started_at))
                self.buddy_alerted = False  # a later silence is a new episode and alerts the buddy again
            self.buddy_alert_at = None
        if self.phase in ON_TABLE:
            self._arm_checkin()
        return commands

    # -- timers -------------------------------------------------------------------------------------------

    def _on_timer(self, name: str) -> list[Command]:
        c = self.config
        match name:
            case "hard_limit":
                if self.phase is Phase.SET_REST:  # already near horizontal: no further set
                    self.end_reason = EndReason.HARD_LIMIT
                    self.segment_index = len(c.segments)
                    return [cues.time_is_up(), *self._enter(Phase.RESTING, "hard limit on time inverted")]
                return [
                    cues.time_is_up(),
                    *self._begin_return("hard limit on time inverted", EndReason.HARD_LIMIT),
                ]
            case "above_cap":
                self.above_cap_since = None
                why = f"angle above your cap of {c.cap_angle_deg:g} degrees"
                commands = [cues.above_cap_return()]
                if self.phase in INVERTED:
                    return [*commands, *self._begin_return(why, EndReason.ABOVE_CAP)]
                if self.end_reason in (None, EndReason.COMPLETED):
                    self.end_reason = EndReason.ABOVE_CAP
                self.segment_index = len(c.segments)
                return [*commands, *self._enter(Phase.RETURNING, why)]
            case "phase_end":
                return self._on_phase_end()
            case "checkin_due":
                quiet_until = self._confirmation_quiet_until()
                if quiet_until is not None:
                    self.checkin_due_at = quiet_until  # never right after (or just before) "press I'm there/back"
                    return []
                self.checkin_due_at = None
                self.checkin_asked_at = self.t
                self.alarm_at = self.t + c.checkin_grace_s
                return [Chime(), cues.checkin()]
            case "alarm":
                if not self.alarming:
                    return self._missed("check-in not answered")
                self.alarm_at = self.t + c.alarm_repeat_s
                return [Alarm("still no answer", repeat=True)]
            case "buddy":
                self.buddy_alerted = True
                since = self.transitions[0].t - self.started_at if self.transitions else 0.0
                last = None if self.last_checkin_at is None else self.last_checkin_at - self.started_at
                return [AlertBuddy(self.phase.value, since, last, self.t - self.started_at)]
            case "breathing":
                self.breathing_index += 1
                self.next_breathing_cue_at = self.t + c.breathing_cue_s
                return [cues.breathing(self.breathing_index)]
            case "countdown":
                remaining = self.phase_deadline()
                self.countdown_cues.pop(0)
                left = 0 if remaining is None else round(remaining - self.t)
                return [cues.countdown(left)]
        raise AssertionError(f"unknown timer {name}")

    def _on_phase_end(self) -> list[Command]:
        c = self.config
        match self.phase:
            case Phase.TILTING:
                return self._enter(Phase.HOLDING, "tilt time elapsed")
            case Phase.HOLDING:
                self.segment_index += 1
                if self.segment_index >= len(c.segments):
                    self.end_reason = self.end_reason or EndReason.COMPLETED
                    return [
                        cues.hold_complete(),
                        *self._enter(Phase.RETURNING, "hold complete"),
                    ]
                return self._enter(Phase.RETURNING, "set complete")
            case Phase.SET_REST:
                return self._enter(Phase.TILTING, "next set")
            case Phase.RETURNING:
                # No confirmation that the person is back: treat it as a missed check-in (they may be stuck).
                commands = self._missed("no confirmation of the return")
                self.phase_started_at = self.t  # keep waiting for the return; the alarm escalates meanwhile
                return commands
            case Phase.RESTING | Phase.UPRIGHT if self.alarming:
                self.phase_started_at = self.t  # an unanswered person stays here, with the alarm, until they answer
                return []
            case Phase.RESTING:
                return self._enter(Phase.UPRIGHT, "rest complete")
            case Phase.UPRIGHT:
                return self._enter(Phase.SURVEY, "upright")
        return []

    def _confirmation_quiet_until(self) -> float | None:
        """When a due check-in may be asked, if a confirmation cue was just given or is about to be."""
        quiet = self.config.confirm_quiet_s
        if self.last_confirm_cue_at is not None and self.t < self.last_confirm_cue_at + quiet:
            return self.last_confirm_cue_at + quiet
        if self.phase in (Phase.HOLDING, Phase.SET_REST):
            upcoming = [d for d in (self.phase_deadline(), self.hard_limit_at()) if d is not None]
            if upcoming and min(upcoming) - self.t < quiet:
                return min(upcoming) + quiet
        return None

    def _returned(self, why: str) -> list[Command]:
        if self.segment_index < len(self.config.segments) and self.end_reason is None:
            return self._enter(Phase.SET_REST, why)
        return self._enter(Phase.RESTING, why)

    # -- events -------------------------------------------------------------------------------------------

    def _on_event(self, event: Event) -> list[Command]:
        c = self.config
        match event:
            case Tick():
                return []
            case ChecklistConfirmed(items=items, pain_before=pain_before):
                if self.phase is not Phase.CHECKLIST:
                    return []
                required = list(REQUIRED_CHECKLIST) + (["spotter"] if c.spotter_required else [])
                missing = [item for item in required if item not in items]
                if missing:
                    return [cues.checklist_missing(missing)]
                self.pain_before = pain_before
                self._arm_checkin()
                self.last_checkin_at = self.t
                return self._enter(Phase.TILTING, "checklist confirmed")
            case AngleReading(angle_deg=angle):
                return self._on_angle(angle)
            case CheckinAnswered():
                return self._answered()
            case PositionConfirmed():
                if self.phase is Phase.TILTING:
                    return self._enter(Phase.HOLDING, "angle reached (confirmed)")
                if self.phase is Phase.RETURNING:
                    return self._returned("back near horizontal (confirmed)")
                if self.phase is Phase.UPRIGHT:
                    return self._enter(Phase.SURVEY, "upright (confirmed)")
                return []
            case SymptomReported(symptom=symptom):
                self.symptoms.append(symptom)
                if self.phase in (Phase.CHECKLIST, Phase.SURVEY, Phase.DONE):
                    return [SymptomRecorded(symptom)]
                commands = [StopSpeech(), *self._answered()]
                commands.append(cues.symptom_advice(self.symptom_advice(symptom)))
                if self.phase in INVERTED:
                    commands.extend(self._begin_return(f"symptom: {symptom}", EndReason.SYMPTOM))
                    return commands
                if self.end_reason in (None, EndReason.COMPLETED):
                    self.end_reason = EndReason.SYMPTOM
                self.segment_index = len(c.segments)
                if self.phase is Phase.SET_REST:
                    commands.extend(self._enter(Phase.RESTING, f"symptom: {symptom}"))
                return commands
            case StopRequested():
                if self.phase is Phase.CHECKLIST:
                    self.end_reason = EndReason.ABORTED
                    return self._enter(Phase.DONE, "stopped before inverting")
                if self.phase in INVERTED:
                    return [
                        StopSpeech(),
                        *self._answered(),
                        *self._begin_return("stop requested", EndReason.STOPPED),
                    ]
                if self.phase is Phase.SET_REST:
                    self.end_reason = EndReason.STOPPED
                    self.segment_index = len(c.segments)
                    return [
                        StopSpeech(),
                        *self._answered(),
                        *self._enter(Phase.RESTING, "stop requested"),
                    ]
                if self.phase is Phase.SURVEY:
                    return self._enter(Phase.DONE, "survey skipped")
                if self.phase is Phase.RETURNING and self.end_reason is None:
                    # Returning between sets: the stop ends the session here, no further set is started.
                    self.end_reason = EndReason.STOPPED
                    self.segment_index = len(c.segments)
                return [StopSpeech(), *self._answered()]
            case TableFault(reason=reason):
                return self._table_fault(f"table fault: {reason}")
            case ConnectionLost():
                if self.phase in ON_TABLE:
                    return self._missed("connection lost")
                return []
            case SurveySubmitted():
                if self.phase is not Phase.SURVEY:
                    return []
                self.survey = event
                return self._enter(Phase.DONE, "survey submitted")
        return []

    def _on_angle(self, angle: float) -> list[Command]:
        c = self.config
        self.last_angle = angle
        self.max_angle_seen = max(self.max_angle_seen, angle)
        commands: list[Command] = [AngleSeen(angle)]
        if angle <= c.cap_angle_deg or self.phase not in ON_TABLE or self.phase is Phase.RETURNING:
            self.above_cap_since = None
        elif self.above_cap_since is None:
            self.above_cap_since = self.t  # above the cap: the return starts if it lasts above_cap_s
        if self.phase in ON_TABLE:
            if angle > c.cap_angle_deg:
                commands.append(Warn("above_cap", angle, c.cap_angle_deg))
                commands.append(cues.above_cap(c.angle_deg))
            elif angle > c.angle_deg + c.angle_tolerance_deg:
                commands.append(Warn("steeper_than_prescribed", angle, c.angle_deg))
                commands.append(cues.a_little_steep(c.angle_deg))
        if self.phase is Phase.TILTING and angle >= c.angle_deg - c.angle_tolerance_deg:
            commands.extend(self._enter(Phase.HOLDING, "angle reached (sensor)"))
        elif self.phase is Phase.RETURNING and angle <= c.near_horizontal_deg:
            commands.extend(self._returned("back near horizontal (sensor)"))
        return commands
