"""Planning: a cleared screening -> a progressive weekly programme, and the weekly adaptation. Pure: no I/O.

The programme is a ladder of levels (angle and time inverted per session) climbed at most one rung per week.
A week's review decides the next week's rung from that week's logged sessions; nothing changes mid-week.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict

from hangtime.core.errors import HangtimeError
from hangtime.core.evidence import Evidence
from hangtime.core.evidence.models import PartialCaps, Protocol
from hangtime.core.screening import Caps, ScreeningResult


class PlanError(HangtimeError):
    """No plan can be made; the message says why (and the CLI adds the reasons and alternatives)."""


class Mode(StrEnum):
    STATIC = "static"
    OSCILLATION = "oscillation"


class Tolerance(StrEnum):
    EASY = "easy"
    JUST_RIGHT = "just_right"
    HARD = "hard"
    PAINFUL = "painful"


class Decision(StrEnum):
    PROGRESS = "progress"
    HOLD = "hold"
    REGRESS = "regress"
    PAUSE = "pause"
    ADJUST = "adjust"  # a clinician tightened the limits


Pain = Annotated[int, Strict()]

# Pain at or above this (0-10) in a session means the week does not progress; twice, or a 10 after, pauses.
SEVERE_PAIN = 8
WORST_PAIN = 10


class SessionLog(BaseModel):
    """One logged session, from the guided session's survey, a file, or `hangtime log`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    date: dt.date
    completed: bool = True
    pain_before: Pain | None = Field(default=None, ge=0, le=10)
    pain_after: Pain | None = Field(default=None, ge=0, le=10)
    tolerance: Tolerance | None = None
    symptoms: tuple[str, ...] = ()
    angle_deg: float | None = Field(default=None, ge=0, le=90)
    inverted_s: int | None = Field(default=None, ge=0, le=7200)
    # Set when the session went beyond the prescription (or the caps): kept for safety, never counted as progress.
    outside_prescription: str | None = None

    def pains(self) -> list[int]:
        return [p for p in (self.pain_before, self.pain_after) if p is not None]


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start_date: dt.date
    weeks: int | None = None
    days_per_week: int | None = Field(default=None, ge=1, le=7)
    sessions_per_day: int = Field(default=1, ge=1, le=10)
    mode: Mode = Mode.STATIC


@dataclass(frozen=True)
class Level:
    """One rung of the ladder: the angle and the total time inverted in a session."""

    angle_deg: float
    total_hold_s: int


@dataclass(frozen=True)
class Prescription:
    angle_deg: float
    hold_s: int
    sets: int
    rest_s: int
    mode: Mode
    sessions_per_day: int
    days_per_week: int
    oscillation_down_s: int | None
    oscillation_up_s: int | None
    rest_near_horizontal_s: int

    @property
    def inverted_s(self) -> int:
        return self.hold_s * self.sets

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "angle_deg": self.angle_deg,
            "hold_s": self.hold_s,
            "sets": self.sets,
            "rest_s": self.rest_s,
            "mode": self.mode.value,
            "sessions_per_day": self.sessions_per_day,
            "days_per_week": self.days_per_week,
            "rest_near_horizontal_s": self.rest_near_horizontal_s,
        }
        if self.mode is Mode.OSCILLATION:
            data["oscillation"] = {"down_s": self.oscillation_down_s, "up_s": self.oscillation_up_s}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Prescription:
        oscillation = data.get("oscillation") or {}
        return cls(
            angle_deg=float(data["angle_deg"]),
            hold_s=int(data["hold_s"]),
            sets=int(data["sets"]),
            rest_s=int(data["rest_s"]),
            mode=Mode(data["mode"]),
            sessions_per_day=int(data["sessions_per_day"]),
            days_per_week=int(data["days_per_week"]),
            oscillation_down_s=oscillation.get("down_s"),
            oscillation_up_s=oscillation.get("up_s"),
            rest_near_horizontal_s=int(data["rest_near_horizontal_s"]),
        )


# What a week's reason code means, in a few words for a table of weeks (the full text, with sources, is reason_text).
WEEK_REASON_LABELS = {
    "start": "First week",
    "progression": "One step up",
    "hold": "Same level",
    "regression": "One step back",
    "hold_not_enough": "Same level: too few sessions",
    "hold_severe_pain": "Same level: severe pain",
    "paused": "Paused: red-flag symptom",
    "paused_pain": "Paused: severe pain",
    "paused_repeated_symptom": "Paused: symptom came back",
    "clinician_adjusted": "Limits set by your clinician",
    "trial_hold": "Held for your personal trial",
}


@dataclass(frozen=True)
class PlanWeek:
    week: int
    start_date: dt.date
    level: int
    prescription: Prescription
    reason_code: str
    reason_text: str
    sources: tuple[str, ...]
    reviewed: bool = False

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=6)

    @property
    def reason_label(self) -> str:
        return WEEK_REASON_LABELS.get(self.reason_code, "Same level")

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "start_date": self.start_date.isoformat(),
            "level": self.level,
            "prescription": self.prescription.as_dict(),
            "reason": self.reason_text,
            "reason_code": self.reason_code,
            "reason_label": self.reason_label,
            "sources": list(self.sources),
            "reviewed": self.reviewed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PlanWeek:
        return cls(
            week=int(data["week"]),
            start_date=dt.date.fromisoformat(data["start_date"]),
            level=int(data["level"]),
            prescription=Prescription.from_dict(data["prescription"]),
            reason_code=data["reason_code"],
            reason_text=data["reason"],
            sources=tuple(data["sources"]),
            reviewed=bool(data.get("reviewed", False)),
        )


@dataclass(frozen=True)
class Revision:
    week: int
    decision: Decision
    from_level: int
    to_level: int
    text: str
    sources: tuple[str, ...]
    key: str = ""  # the protocol note behind the decision (e.g. paused_pain)

    def as_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "decision": self.decision.value,
            "reason_code": self.key,
            "from_level": self.from_level,
            "to_level": self.to_level,
            "text": self.text,
            "sources": list(self.sources),
        }


@dataclass(frozen=True)
class Plan:
    start_date: dt.date
    weeks: tuple[PlanWeek, ...]
    ladder: tuple[Level, ...]
    caps: Caps
    preferences: Preferences
    handover: dict[str, Any]
    screening_valid_until: dt.date
    paused: bool = False

    @property
    def end_date(self) -> dt.date:
        return self.weeks[-1].end_date

    def week_on(self, day: dt.date) -> PlanWeek | None:
        for week in self.weeks:
            if week.start_date <= day <= week.end_date:
                return week
        return None

    def as_dict(self) -> dict[str, Any]:
        return {
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "paused": self.paused,
            "screening_valid_until": self.screening_valid_until.isoformat(),
            "caps": self.caps.as_dict(),
            "preferences": self.preferences.model_dump(mode="json"),
            "ladder": [{"angle_deg": lv.angle_deg, "total_hold_s": lv.total_hold_s} for lv in self.ladder],
            "weeks": [w.as_dict() for w in self.weeks],
            "handover": self.handover,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        return cls(
            start_date=dt.date.fromisoformat(data["start_date"]),
            weeks=tuple(PlanWeek.from_dict(w) for w in data["weeks"]),
            ladder=tuple(Level(float(lv["angle_deg"]), int(lv["total_hold_s"])) for lv in data["ladder"]),
            caps=Caps.from_dict(data["caps"]),
            preferences=Preferences.model_validate(data["preferences"]),
            handover=data["handover"],
            screening_valid_until=dt.date.fromisoformat(data["screening_valid_until"]),
            paused=bool(data.get("paused", False)),
        )


def build_ladder(caps: Caps, protocol: Protocol) -> tuple[Level, ...]:
    """Rungs from the first session to the top the caps and the standard session allow, one step apart."""
    top_angle = min(caps.max_angle_deg, protocol.target_max_angle_deg)
    top_hold = min(caps.max_hold_s, protocol.target_max_hold_s)
    angle = min(protocol.first_week_angle_deg, top_angle)
    hold = min(protocol.first_week_hold_s, top_hold)
    ladder = [Level(angle, hold)]
    while angle < top_angle or hold < top_hold:
        angle = min(angle + protocol.angle_step_deg, top_angle)
        hold = min(hold + protocol.hold_step_s, top_hold)
        ladder.append(Level(angle, hold))
    return tuple(ladder)


def prescription_for(level: Level, prefs: Preferences, days_per_week: int, protocol: Protocol) -> Prescription:
    """Split a rung's time inverted into sets (Kim 2013) or oscillation cycles, never beyond the rung."""
    if prefs.mode is Mode.OSCILLATION:
        return Prescription(
            angle_deg=level.angle_deg,
            hold_s=level.total_hold_s,
            sets=1,
            rest_s=0,
            mode=Mode.OSCILLATION,
            sessions_per_day=prefs.sessions_per_day,
            days_per_week=days_per_week,
            oscillation_down_s=protocol.oscillation_down_s,
            oscillation_up_s=protocol.oscillation_up_s,
            rest_near_horizontal_s=protocol.rest_near_horizontal_s,
        )
    sets = min(protocol.max_sets, max(1, math.ceil(level.total_hold_s / protocol.sets_from_hold_s)))
    return Prescription(
        angle_deg=level.angle_deg,
        hold_s=level.total_hold_s // sets,
        sets=sets,
        rest_s=protocol.set_rest_s if sets > 1 else 0,
        mode=Mode.STATIC,
        sessions_per_day=prefs.sessions_per_day,
        days_per_week=days_per_week,
        oscillation_down_s=None,
        oscillation_up_s=None,
        rest_near_horizontal_s=protocol.rest_near_horizontal_s,
    )


def _explain(
    key: str, level: int, ladder: tuple[Level, ...], caps: Caps, prescription: Prescription, protocol: Protocol
) -> tuple[str, tuple[str, ...]]:
    """The week's reason text and sources, with notes for sets, oscillation, caps and the standard session."""
    keys = [key]
    rung = ladder[level]
    below_standard_top = (
        rung.angle_deg < protocol.target_max_angle_deg or rung.total_hold_s < protocol.target_max_hold_s
    )
    at_a_cap = rung.angle_deg >= caps.max_angle_deg or rung.total_hold_s >= caps.max_hold_s
    if level == len(ladder) - 1 and below_standard_top and at_a_cap:
        keys.append("cap_reached")
    if (
        protocol.target_min_angle_deg <= rung.angle_deg <= protocol.target_max_angle_deg
        and protocol.target_min_hold_s <= rung.total_hold_s <= protocol.target_max_hold_s
    ):
        keys.append("standard_session")
    if prescription.sets > 1:
        keys.append("sets")
    if prescription.mode is Mode.OSCILLATION:
        keys.append("oscillation")
    keys.append("rest")
    texts = [protocol.notes[k].text for k in keys]
    sources = tuple(dict.fromkeys(s for k in keys for s in protocol.notes[k].sources))
    return " ".join(texts), sources


def _week(
    number: int,
    start: dt.date,
    level: int,
    key: str,
    ladder: tuple[Level, ...],
    caps: Caps,
    prefs: Preferences,
    days_per_week: int,
    protocol: Protocol,
) -> PlanWeek:
    prescription = prescription_for(ladder[level], prefs, days_per_week, protocol)
    text, sources = _explain(key, level, ladder, caps, prescription, protocol)
    return PlanWeek(number, start + dt.timedelta(weeks=number - 1), level, prescription, key, text, sources)


def _handover(evidence: Evidence) -> dict[str, Any]:
    note = evidence.protocol.notes["handover"]
    return {
        "text": note.text,
        "sources": list(note.sources),
        "exercises": [
            {"id": a.id, "title": a.title, "text": a.text, "sources": list(a.sources)}
            for a in evidence.alternatives_of_kind("exercise")
        ],
        "alternatives": [a.id for a in evidence.alternatives_of_kind("alternative")],
    }


def create_plan(screening: ScreeningResult, prefs: Preferences, evidence: Evidence, today: dt.date) -> Plan:
    """A programme for a cleared, unexpired screening; refuses anything else with the reason."""
    protocol = evidence.protocol
    if not screening.usable_on(today):
        if screening.outcome.value != "cleared":
            raise PlanError(f"the screening outcome is '{screening.outcome.value}': no plan until you are cleared")
        raise PlanError(f"the screening expired on {screening.valid_until.isoformat()}: screen again first")
    weeks_count = prefs.weeks if prefs.weeks is not None else protocol.default_weeks
    if not protocol.min_weeks <= weeks_count <= protocol.max_weeks:
        raise PlanError(f"a course lasts {protocol.min_weeks}-{protocol.max_weeks} weeks, not {weeks_count}")
    if prefs.sessions_per_day > screening.caps.max_sessions_per_day:
        raise PlanError(
            f"{prefs.sessions_per_day} sessions a day is above your cap of {screening.caps.max_sessions_per_day}"
        )
    if prefs.start_date < today:
        raise PlanError(f"the start date {prefs.start_date.isoformat()} is in the past")
    days_per_week = prefs.days_per_week or protocol.default_days_per_week
    ladder = build_ladder(screening.caps, protocol)
    weeks: list[PlanWeek] = []
    for number in range(1, weeks_count + 1):
        level = min(number - 1, len(ladder) - 1)
        if number == 1:
            key = "start"
        elif level > weeks[-1].level:
            key = "progression"
        else:
            key = "hold"
        weeks.append(
            _week(number, prefs.start_date, level, key, ladder, screening.caps, prefs, days_per_week, protocol)
        )
    return Plan(
        start_date=prefs.start_date,
        weeks=tuple(weeks),
        ladder=ladder,
        caps=screening.caps,
        preferences=prefs.model_copy(update={"weeks": weeks_count, "days_per_week": days_per_week}),
        handover=_handover(evidence),
        screening_valid_until=screening.valid_until,
    )


def decide(
    week: PlanWeek, logs: list[SessionLog], evidence: Evidence, previous: list[SessionLog] | None = None
) -> tuple[Decision, str]:
    """The weekly adaptation rule, strictest first.

    Pause on a red flag, on severe pain twice or the worst pain after a session, or on the same symptom two weeks
    running; step back on any symptom, a pain rise of the minimal important change (within a session, or in pain
    before sessions across the week) or a `painful` rating; hold on severe pain, too few sessions within the
    prescription or a `hard` rating; otherwise progress.
    """
    protocol = evidence.protocol
    mic = protocol.pain_mic_points
    symptoms = {s for log in logs for s in log.symptoms}
    if any(evidence.symptoms[s].severity == "red_flag" for s in symptoms):
        return Decision.PAUSE, "paused"
    severe = [log for log in logs if any(p >= SEVERE_PAIN for p in log.pains())]
    if len(severe) >= 2 or any(log.pain_after == WORST_PAIN for log in logs):
        return Decision.PAUSE, "paused_pain"
    last_week_symptoms = {s for log in previous or [] for s in log.symptoms}
    if symptoms & last_week_symptoms:
        return Decision.PAUSE, "paused_repeated_symptom"
    pain_rise = max(
        (
            log.pain_after - log.pain_before
            for log in logs
            if log.pain_after is not None and log.pain_before is not None
        ),
        default=0,
    )
    before = [log.pain_before for log in sorted(logs, key=lambda log: log.date) if log.pain_before is not None]
    rising_across_week = len(before) >= 2 and before[-1] - before[0] >= mic
    painful = any(log.tolerance is Tolerance.PAINFUL for log in logs)
    if symptoms or pain_rise >= mic or rising_across_week or painful:
        return Decision.REGRESS, "regression"
    if severe:
        return Decision.HOLD, "hold_severe_pain"
    planned = week.prescription.days_per_week * week.prescription.sessions_per_day
    completed = sum(1 for log in logs if log.completed and log.outside_prescription is None)
    struggled = any(log.tolerance is Tolerance.HARD for log in logs)
    if completed < math.ceil(planned * protocol.min_completed_sessions_ratio) or struggled:
        return Decision.HOLD, "hold_not_enough"
    return Decision.PROGRESS, "progression"


def logs_in(week: PlanWeek, logs: list[SessionLog]) -> list[SessionLog]:
    return [log for log in logs if week.start_date <= log.date <= week.end_date]


def review_week(plan: Plan, week_number: int, logs: list[SessionLog], evidence: Evidence) -> tuple[Plan, Revision]:
    """Apply one finished week's logs: set the next week's rung and re-project the weeks after it."""
    protocol = evidence.protocol
    week = plan.weeks[week_number - 1]
    if week.reviewed:
        raise PlanError(f"week {week_number} has already been reviewed")
    for log in logs:
        unknown = [s for s in log.symptoms if s not in evidence.symptoms]
        if unknown:
            raise PlanError(f"unknown symptom '{unknown[0]}' in the log of {log.date.isoformat()}")
    previous = logs_in(plan.weeks[week_number - 2], logs) if week_number > 1 else []
    decision, key = decide(week, logs_in(week, logs), evidence, previous)
    if plan.paused:  # a paused plan never moves on, whatever its later weeks' logs say
        decision, key = Decision.PAUSE, "paused"
    top = len(plan.ladder) - 1
    target = {
        Decision.PROGRESS: min(week.level + 1, top),
        Decision.HOLD: week.level,
        Decision.REGRESS: max(week.level - 1, 0),
        Decision.PAUSE: week.level,
    }[decision]
    note = protocol.notes[key]
    weeks = list(plan.weeks)
    weeks[week_number - 1] = replace(week, reviewed=True)
    level = target
    for index in range(week_number, len(weeks)):
        if index > week_number:
            level = min(level + 1, top)  # later weeks are projected as if tolerated; each will be reviewed
        later_key = key if index == week_number else ("progression" if level > weeks[index - 1].level else "hold")
        if decision is Decision.PAUSE:
            later_key = key
        weeks[index] = _week(
            index + 1,
            plan.start_date,
            level if decision is not Decision.PAUSE else target,
            later_key,
            plan.ladder,
            plan.caps,
            plan.preferences,
            week.prescription.days_per_week,
            protocol,
        )
    revised = replace(plan, weeks=tuple(weeks), paused=plan.paused or decision is Decision.PAUSE)
    return revised, Revision(week_number, decision, week.level, target, note.text, note.sources, key)


def weeks_due_for_review(plan: Plan, today: dt.date) -> list[int]:
    """Finished weeks not yet reviewed, oldest first; the current week is never reviewed early."""
    return [w.week for w in plan.weeks if not w.reviewed and w.end_date < today]


def session_dates(plan: Plan) -> list[tuple[int, dt.date]]:
    """(week, date) for every planned session day, spread over the week (e.g. 4 days: Mon, Tue, Thu, Fri)."""
    spreads = {1: (0,), 2: (0, 3), 3: (0, 2, 4), 4: (0, 1, 3, 4), 5: (0, 1, 2, 3, 4), 6: (0, 1, 2, 3, 4, 5)}
    dates: list[tuple[int, dt.date]] = []
    for week in plan.weeks:
        offsets = spreads.get(week.prescription.days_per_week, tuple(range(7)))
        dates.extend((week.week, week.start_date + dt.timedelta(days=o)) for o in offsets)
    return dates


# A log may go this far past the week's prescription before it is flagged (the engine's tolerance and grace).
ANGLE_TOLERANCE_DEG = 5.0
INVERTED_GRACE_S = 15


def prescription_breach(
    log: SessionLog, caps: Caps, week: PlanWeek | None, sessions_that_day: int
) -> tuple[str | None, str | None]:
    """(beyond the caps, beyond the prescription) for a log, each a reason in words or None.

    `sessions_that_day` counts this log with the ones already logged on its day. A log beyond the caps is refused
    when typed in and flagged when it comes from a guided session; either kind never counts as progress.
    """
    over_caps: list[str] = []
    if log.angle_deg is not None and log.angle_deg > caps.max_angle_deg:
        over_caps.append(f"angle {log.angle_deg:g} degrees is above your cap of {caps.max_angle_deg:g}")
    if log.inverted_s is not None and log.inverted_s > caps.max_hold_s:
        over_caps.append(f"{log.inverted_s} s inverted is above your cap of {caps.max_hold_s} s")
    if sessions_that_day > caps.max_sessions_per_day:
        over_caps.append(
            f"{sessions_that_day} sessions on {log.date.isoformat()} is above your cap of {caps.max_sessions_per_day}"
        )
    over_prescription: list[str] = []
    if week is not None:
        rx = week.prescription
        if log.angle_deg is not None and log.angle_deg > rx.angle_deg + ANGLE_TOLERANCE_DEG:
            over_prescription.append(f"angle {log.angle_deg:g} degrees is above the prescribed {rx.angle_deg:g}")
        if log.inverted_s is not None and log.inverted_s > rx.inverted_s + INVERTED_GRACE_S:
            over_prescription.append(f"{log.inverted_s} s inverted is above the prescribed {rx.inverted_s} s")
        if sessions_that_day > rx.sessions_per_day:
            over_prescription.append(
                f"{sessions_that_day} sessions in a day is above the prescribed {rx.sessions_per_day}"
            )
    return ("; ".join(over_caps) or None, "; ".join(over_caps + over_prescription) or None)


_TIGHTENABLE = {
    "max_angle_deg": ("degrees", "max_angle_deg"),
    "max_hold_s": ("seconds inverted per session", "max_hold_s"),
    "max_sessions_per_day": ("sessions a day", "max_sessions_per_day"),
}


def hold_dose(plan: Plan, today: dt.date, reason: str, protocol: Protocol) -> tuple[Plan, Revision]:
    """Keep this week's rung as the top for the rest of the plan (a personal trial compares one dose with none)."""
    current = plan.week_on(today)
    if current is None:
        raise PlanError("today is outside the plan")
    rung = plan.ladder[current.level]
    limit = PartialCaps(max_angle_deg=rung.angle_deg, max_hold_s=rung.total_hold_s)
    return tighten_plan(plan, limit, today, reason, protocol, note_key="trial_hold")


def tighten_plan(
    plan: Plan,
    limit: PartialCaps,
    today: dt.date,
    reason: str,
    protocol: Protocol,
    note_key: str = "clinician_adjusted",
) -> tuple[Plan, Revision]:
    """A clinician's prescription: any cap may be tightened, none loosened beyond what the screening allows.

    The weeks from the current one on are re-projected within the new caps (the ladder's rungs are clamped, so the
    weekly review can never climb past them); past weeks stay as they were."""
    given = {name: getattr(limit, name) for name in _TIGHTENABLE if getattr(limit, name) is not None}
    if not given:
        raise PlanError("give at least one limit to tighten: angle, time inverted or sessions a day")
    if not reason.strip():
        raise PlanError("say why the limits change: the reason is kept with the plan's revisions")
    for name, value in given.items():
        unit, cap_name = _TIGHTENABLE[name]
        cap = getattr(plan.caps, cap_name)
        if value > cap:
            raise PlanError(
                f"{value:g} {unit} is more than the screening allows ({cap:g}): "
                "a prescription may only tighten the caps"
            )
    caps = plan.caps.tightened_by(PartialCaps(**given))
    ladder = tuple(
        Level(min(lv.angle_deg, caps.max_angle_deg), min(lv.total_hold_s, caps.max_hold_s)) for lv in plan.ladder
    )
    prefs = plan.preferences
    if prefs.sessions_per_day > caps.max_sessions_per_day:
        prefs = prefs.model_copy(update={"sessions_per_day": caps.max_sessions_per_day})
    current = plan.week_on(today)
    first = current.week - 1 if current is not None else (0 if today < plan.start_date else len(plan.weeks))
    if first >= len(plan.weeks):
        raise PlanError("the plan has ended: make a new plan instead")
    weeks = list(plan.weeks)
    for index in range(first, len(weeks)):
        week = weeks[index]
        key = note_key if index == first else week.reason_code
        weeks[index] = _week(
            index + 1, plan.start_date, week.level, key, ladder, caps, prefs, week.prescription.days_per_week, protocol
        )
    note = protocol.notes[note_key]
    level = weeks[first].level
    revision = Revision(
        first + 1, Decision.ADJUST, level, level, f"{reason.strip()} ({note.text})", note.sources, note_key
    )
    return replace(plan, weeks=tuple(weeks), ladder=ladder, caps=caps, preferences=prefs), revision
