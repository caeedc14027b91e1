"""The commands the session engine emits, typed: sinks (voice, screen, table, buddy, journal) match on the type.

`kind` and `data` give the journal's form, `{"t": seconds, "command": kind, ...data}`, unchanged since replay
format 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from typing import Any, ClassVar


@dataclass(frozen=True)
class Command:
    """Base of the typed commands the engine emits; sinks match on the type. `kind` and `data` are the journal's
    form (`{"t", "command": kind, ...data}`), unchanged since replay format 1."""

    kind: ClassVar[str] = "command"
    at: float = field(default=0.0, kw_only=True)  # seconds since the session started, set when emitted

    @property
    def data(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclass_fields(self) if f.name != "at"}

    def as_dict(self) -> dict[str, Any]:
        return {"t": round(self.at, 3), "command": self.kind, **self.data}


@dataclass(frozen=True)
class Say(Command):
    """Speak (or show) a cue; `cue` names its purpose (tilt, hold, checkin, alarm, ...)."""

    kind: ClassVar[str] = "say"
    text: str
    cue: str = "info"


@dataclass(frozen=True)
class StopSpeech(Command):
    """Silence the voice at once (a stop or a symptom)."""

    kind: ClassVar[str] = "stop_speech"


@dataclass(frozen=True)
class Chime(Command):
    kind: ClassVar[str] = "chime"


@dataclass(frozen=True)
class Alarm(Command):
    kind: ClassVar[str] = "alarm"
    why: str
    repeat: bool = False

    @property
    def data(self) -> dict[str, Any]:
        return {"why": self.why, "repeat": True} if self.repeat else {"why": self.why}


@dataclass(frozen=True)
class AlarmOff(Command):
    kind: ClassVar[str] = "alarm_off"


@dataclass(frozen=True)
class AlertBuddy(Command):
    kind: ClassVar[str] = "alert_buddy"
    phase: str
    on_table_since_s: float
    last_checkin_s: float | None
    at_s: float


@dataclass(frozen=True)
class BuddyAllClear(Command):
    kind: ClassVar[str] = "buddy_all_clear"
    at_s: float


@dataclass(frozen=True)
class PhaseChanged(Command):
    kind: ClassVar[str] = "phase"
    phase: str
    why: str


@dataclass(frozen=True)
class MoveTo(Command):
    """Tilt a motorized table to the angle (a manual table ignores it)."""

    kind: ClassVar[str] = "move_to"
    angle_deg: float
    rate_deg_s: float | None


@dataclass(frozen=True)
class ReturnUpright(Command):
    kind: ClassVar[str] = "return_upright"
    rate_deg_s: float | None


@dataclass(frozen=True)
class AngleSeen(Command):
    kind: ClassVar[str] = "angle"
    angle_deg: float


@dataclass(frozen=True)
class Warn(Command):
    kind: ClassVar[str] = "warn"
    warning: str  # above_cap, steeper_than_prescribed
    angle_deg: float
    limit_deg: float

    @property
    def data(self) -> dict[str, Any]:
        return {"kind": self.warning, "angle_deg": self.angle_deg, "limit_deg": self.limit_deg}


@dataclass(frozen=True)
class SymptomRecorded(Command):
    """A symptom reported outside the time on the table (checklist, survey): recorded, nothing to do."""

    kind: ClassVar[str] = "record"
    symptom: str


@dataclass(frozen=True)
class SessionRecorded(Command):
    kind: ClassVar[str] = "record"
    end_reason: str
    held_s: float
    inverted_s: float
