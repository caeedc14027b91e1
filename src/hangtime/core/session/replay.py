"""Replay: run the engine over a recorded event stream on a virtual clock: what did it do, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hangtime.core.errors import HangtimeError
from hangtime.core.session.commands import (
    Command,
)
from hangtime.core.session.engine import (
    CheckinAnswered,
    PositionConfirmed,
    SessionConfig,
    SessionEngine,
    Tick,
    VirtualClock,
    event_from_dict,
)

# Format 2 split "I'm OK" (checkin_answered) from "I'm there / I'm back" (position_confirmed). In format 1 files
# one checkin_answered did both, so a format 1 stream replays it as both, in that order.
FORMAT = 2


@dataclass(frozen=True)
class TimelineEntry:
    t: float
    phase: str
    kind: str  # "event" or "command"
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "phase": self.phase, "kind": self.kind, **self.detail}


class ReplayError(HangtimeError):
    pass


def replay(
    config: SessionConfig, lines: Iterable[dict[str, Any]], symptom_advice: Any = None, format_version: int = FORMAT
) -> list[TimelineEntry]:
    clock = VirtualClock()
    engine = SessionEngine(config, clock, symptom_advice)
    timeline: list[TimelineEntry] = []
    last_t = 0.0
    for number, line in enumerate(lines, start=1):
        try:
            t = float(line["t"])
            event = event_from_dict(line)
        except (KeyError, TypeError, ValueError) as exc:
            raise ReplayError(f"line {number}: {exc}") from None
        if t < last_t:
            raise ReplayError(f"line {number}: time {t} goes backwards (previous {last_t})")
        last_t = t
        clock.set(t)
        for command in engine.handle(Tick()):  # what the timers did up to this event
            timeline.append(TimelineEntry(command.at, _phase_at(engine, command.at), "command", command.as_dict()))
        phase_before = engine.phase.value
        commands: list[Command] = engine.handle(event)
        if format_version < 2 and isinstance(event, CheckinAnswered):
            commands += engine.handle(PositionConfirmed())
        timeline.append(TimelineEntry(t, phase_before, "event", {"event": event.name, **event.payload()}))
        for command in commands:
            timeline.append(TimelineEntry(command.at, engine.phase.value, "command", command.as_dict()))
    return timeline


def _phase_at(engine: SessionEngine, at: float) -> str:
    """The phase the engine was in at `at` seconds, from its transition history."""
    phase = engine.transitions[0].from_phase.value if engine.transitions else engine.phase.value
    for transition in engine.transitions:
        if transition.t - engine.started_at <= at:
            phase = transition.to_phase.value
    return phase
