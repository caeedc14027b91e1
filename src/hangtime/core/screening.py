"""Screening: a person's answers -> an outcome, caps and the reasons with their sources. Pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from hangtime.core.errors import HangtimeError
from hangtime.core.evidence import Clearer, Evidence, Outcome
from hangtime.core.evidence.models import PartialCaps, ProfileRule, TableModel
from hangtime.core.units import UnitError, parse_height_cm, parse_weight_kg


class AnswersError(HangtimeError):
    """The answers cannot be screened; the message names the problem."""


# Numbers a person gives must be numbers: `true` is not an age and "45" from a file is a typing slip to refuse.
StrictInt = Annotated[int, Strict()]
StrictFloat = Annotated[float, Strict()]


class BloodPressure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    systolic: StrictInt = Field(ge=60, le=300)
    diastolic: StrictInt = Field(ge=30, le=200)
    # The day the reading was taken (the screening's day when not given): a clearance must not predate it.
    measured_on: dt.date | None = None

    @model_validator(mode="after")
    def _systolic_above_diastolic(self) -> BloodPressure:
        if self.systolic <= self.diastolic:
            raise ValueError("systolic must be higher than diastolic")
        return self


def parse_blood_pressure(text: str) -> BloodPressure | None:
    """Read a typed reading such as '128/82'; empty means none. Raises ValueError with a hint."""
    cleaned = text.strip()
    if not cleaned:
        return None
    parts = cleaned.replace(" ", "").split("/")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError("type it as systolic/diastolic, e.g. 128/82, or leave it empty")
    return BloodPressure(systolic=int(parts[0]), diastolic=int(parts[1]))


class ClearanceRecord(BaseModel):
    """A professional's approval for named conditions, optionally with stricter caps."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    by: Clearer
    date: dt.date
    conditions: tuple[str, ...] = Field(min_length=1)
    name: str | None = None
    caps: PartialCaps | None = None
    # A clearance may say it lasts less than the 12-month maximum.
    valid_until: dt.date | None = None

    def expires_on(self, max_days: int) -> dt.date:
        """The last day the clearance counts: 12 months at most, sooner when it says so."""
        longest = self.date + dt.timedelta(days=max_days)
        return longest if self.valid_until is None else min(longest, self.valid_until)

    def valid_on(self, day: dt.date, max_days: int) -> bool:
        return self.date <= day <= self.expires_on(max_days)


class Answers(BaseModel):
    """What a person tells the screening. Heights and weights are stored in SI whatever unit was typed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age: StrictInt = Field(ge=0, le=120)
    height_cm: StrictFloat = Field(ge=50, le=260)
    weight_kg: StrictFloat = Field(ge=20, le=400)
    table: str = "generic"
    blood_pressure: BloodPressure | None = None
    conditions: tuple[str, ...] = ()
    clearances: tuple[ClearanceRecord, ...] = ()
    experienced: bool = False

    @model_validator(mode="before")
    @classmethod
    def _accept_other_units(cls, data: Any) -> Any:
        """Accept 'height' / 'weight' as typed text ('5 ft 10 in', '180 lb') and height_in / weight_lb numbers."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        try:
            if "height_cm" not in data:
                if "height" in data:
                    data["height_cm"] = parse_height_cm(data.pop("height"))
                elif "height_in" in data:
                    data["height_cm"] = parse_height_cm(data.pop("height_in"), default_unit="in")
            if "weight_kg" not in data:
                if "weight" in data:
                    data["weight_kg"] = parse_weight_kg(data.pop("weight"))
                elif "weight_lb" in data:
                    data["weight_kg"] = parse_weight_kg(data.pop("weight_lb"), default_unit="lb")
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        return data

    @property
    def bmi(self) -> float:
        return self.weight_kg / (self.height_cm / 100) ** 2


@dataclass(frozen=True)
class Caps:
    max_angle_deg: float
    max_hold_s: int
    max_sessions_per_day: int
    supervised_sessions: int
    max_tilt_rate_deg_s: float | None
    notes: tuple[str, ...] = ()

    def tightened_by(self, limit: PartialCaps) -> Caps:
        """Apply a rule's limits; a cap only ever gets stricter (more supervision counts as stricter)."""
        rate = self.max_tilt_rate_deg_s
        if limit.max_tilt_rate_deg_s is not None:
            rate = limit.max_tilt_rate_deg_s if rate is None else min(rate, limit.max_tilt_rate_deg_s)
        return Caps(
            max_angle_deg=_min(self.max_angle_deg, limit.max_angle_deg),
            max_hold_s=int(_min(self.max_hold_s, limit.max_hold_s)),
            max_sessions_per_day=int(_min(self.max_sessions_per_day, limit.max_sessions_per_day)),
            supervised_sessions=max(self.supervised_sessions, limit.supervised_sessions or 0),
            max_tilt_rate_deg_s=rate,
            notes=self.notes,
        )

    def with_note(self, note: str) -> Caps:
        return Caps(
            self.max_angle_deg,
            self.max_hold_s,
            self.max_sessions_per_day,
            self.supervised_sessions,
            self.max_tilt_rate_deg_s,
            (*self.notes, note),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "max_angle_deg": self.max_angle_deg,
            "max_hold_s": self.max_hold_s,
            "max_sessions_per_day": self.max_sessions_per_day,
            "supervised_sessions": self.supervised_sessions,
            "max_tilt_rate_deg_s": self.max_tilt_rate_deg_s,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Caps:
        return cls(
            max_angle_deg=float(data["max_angle_deg"]),
            max_hold_s=int(data["max_hold_s"]),
            max_sessions_per_day=int(data["max_sessions_per_day"]),
            supervised_sessions=int(data["supervised_sessions"]),
            max_tilt_rate_deg_s=None if data.get("max_tilt_rate_deg_s") is None else float(data["max_tilt_rate_deg_s"]),
            notes=tuple(data.get("notes", ())),
        )


def _min(current: float, limit: float | None) -> float:
    return current if limit is None else min(current, limit)


@dataclass(frozen=True)
class Reason:
    rule: str
    outcome: Outcome
    text: str
    sources: tuple[str, ...]
    clearance_by: tuple[Clearer, ...] = ()
    # The id a clearance names to clear this rule (the rule's own id, or e.g. "hypertension" for a high reading).
    clearance_id: str | None = None
    urgent: bool = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(
            rule=data["rule"],
            outcome=Outcome(data["outcome"]),
            text=data["text"],
            sources=tuple(data["sources"]),
            clearance_by=tuple(Clearer(c) for c in data.get("clearance_by", ())),
            clearance_id=data.get("clearance_id"),
            urgent=bool(data.get("urgent", False)),
        )

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "outcome": self.outcome.value,
            "text": self.text,
            "sources": list(self.sources),
        }
        if self.clearance_by:
            data["clearance_by"] = [c.value for c in self.clearance_by]
            data["clearance_id"] = self.clearance_id
        if self.urgent:
            data["urgent"] = True
        return data


@dataclass(frozen=True)
class ScreeningResult:
    outcome: Outcome
    caps: Caps
    reasons: tuple[Reason, ...]
    alternatives: tuple[str, ...]
    rules_version: str
    screened_on: dt.date
    valid_until: dt.date
    # Set when a rule needs same-day medical care: shown before anything else, on every surface.
    urgent_advice: str | None = None

    @property
    def urgent(self) -> bool:
        return self.urgent_advice is not None

    def usable_on(self, day: dt.date) -> bool:
        """Only a cleared, unexpired screening may feed a plan or a session."""
        return self.outcome is Outcome.CLEARED and day <= self.valid_until

    def as_dict(self) -> dict[str, Any]:
        return {
            "urgent": self.urgent,
            "urgent_advice": self.urgent_advice,
            "outcome": self.outcome.value,
            "caps": self.caps.as_dict(),
            "reasons": [r.as_dict() for r in self.reasons],
            "alternatives": list(self.alternatives),
            "rules_version": self.rules_version,
            "screened_on": self.screened_on.isoformat(),
            "valid_until": self.valid_until.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScreeningResult:
        return cls(
            outcome=Outcome(data["outcome"]),
            caps=Caps.from_dict(data["caps"]),
            reasons=tuple(Reason.from_dict(r) for r in data["reasons"]),
            alternatives=tuple(data["alternatives"]),
            rules_version=data["rules_version"],
            screened_on=dt.date.fromisoformat(data["screened_on"]),
            valid_until=dt.date.fromisoformat(data["valid_until"]),
            urgent_advice=data.get("urgent_advice"),
        )


def check_answers(answers: Answers, evidence: Evidence, today: dt.date) -> None:
    """Refuse answers that name things the evidence base does not know, or clearances from the future."""
    for condition_id in answers.conditions:
        if condition_id not in evidence.conditions:
            raise AnswersError(f"unknown condition '{condition_id}' (see `hangtime conditions` for the list)")
    if answers.table not in evidence.tables:
        known = ", ".join(sorted(evidence.tables))
        raise AnswersError(f"unknown table '{answers.table}' (known: {known})")
    if answers.blood_pressure is not None and (answers.blood_pressure.measured_on or today) > today:
        raise AnswersError(f"the blood pressure reading is dated {answers.blood_pressure.measured_on}, in the future")
    clearable = clearable_ids(evidence)
    for record in answers.clearances:
        check_clearance_date(record, answers.age, today)
        for condition_id in record.conditions:
            if condition_id not in clearable:
                raise AnswersError(f"clearance names unknown condition '{condition_id}'")


# A clearance that lifts a pause after a red-flag symptom or severe pain names this id.
RESUME_AFTER_PAUSE = "resume_after_pause"


def clearable_ids(evidence: Evidence) -> set[str]:
    """Every id a clearance may name: conditions, profile rules' clearance ids, and lifting a pause."""
    return (
        set(evidence.conditions)
        | {r.clearance_condition or r.id for r in evidence.rules.profile_rules if r.clearance_by}
        | {RESUME_AFTER_PAUSE}
    )


def earliest_adult_date(age: int, today: dt.date) -> dt.date:
    """The earliest day that is surely on or after the person's 18th birthday, knowing only their age in years."""
    years_since = age - 18
    try:
        return today.replace(year=today.year - years_since)
    except ValueError:  # 29 February in a year without one
        return today.replace(year=today.year - years_since, day=28)


def check_clearance_date(record: ClearanceRecord, age: int, today: dt.date) -> None:
    """Refuse a clearance dated in the future or (possibly) before the person's 18th birthday."""
    who = record.by.value.replace("_", " ")
    if record.date > today:
        raise AnswersError(f"the clearance by a {who} is dated {record.date}, which is in the future")
    adult_from = earliest_adult_date(age, today)
    if record.date < adult_from:
        raise AnswersError(
            f"the clearance by a {who} is dated {record.date}, which may be before your 18th birthday"
            f" (at {age}, Hangtime accepts clearances from {adult_from} on)"
        )
    if record.valid_until is not None and record.valid_until < record.date:
        raise AnswersError(f"the clearance's end date {record.valid_until} is before its date {record.date}")


def clearances_for(answers: Answers, clearance_id: str, allowed: tuple[Clearer, ...]) -> list[ClearanceRecord]:
    """Every clearance that names this id and comes from someone allowed to give it, oldest first."""
    return sorted(
        (r for r in answers.clearances if clearance_id in r.conditions and r.by in allowed), key=lambda r: r.date
    )


# Who clears, as a label (a form's choices) and as a name in a sentence ("from a physician").
CLEARER_LABELS = {
    Clearer.PHYSICIAN: "Physician",
    Clearer.EYE_CARE: "Eye-care professional",
    Clearer.SURGEON: "Surgeon",
    Clearer.PHYSICAL_THERAPIST: "Physical therapist",
}
CLEARER_NAMES = {
    Clearer.PHYSICIAN: "a physician",
    Clearer.EYE_CARE: "an eye-care professional",
    Clearer.SURGEON: "your surgeon",
    Clearer.PHYSICAL_THERAPIST: "a physical therapist",
}


def who_can_clear(clearers: tuple[Clearer, ...]) -> str:
    return " or ".join(CLEARER_NAMES[c] for c in clearers)


def _profile_rule_triggered(rule: ProfileRule, answers: Answers, table: TableModel) -> bool:
    match rule.check:
        case "age":
            return rule.min_age is not None and answers.age < rule.min_age
        case "table_limits":
            fits = table.min_height_cm <= answers.height_cm <= table.max_height_cm
            return not (fits and answers.weight_kg <= table.max_weight_kg)
        case "blood_pressure":
            bp = answers.blood_pressure
            if bp is None or rule.systolic_at_least is None or rule.diastolic_at_least is None:
                return False
            return bp.systolic >= rule.systolic_at_least or bp.diastolic >= rule.diastolic_at_least
        case "bmi":
            return rule.min_bmi is not None and answers.bmi >= rule.min_bmi


def screen(answers: Answers, evidence: Evidence, today: dt.date) -> ScreeningResult:
    """Apply every rule; the outcome is the strictest any rule gives, and caps are the tightest any rule sets.

    Every valid clearance for a rule applies, so the tightest caps any of them sets win. A clearance counts only
    for the ids it names, from someone the rule accepts, within its validity, and (for a blood-pressure reading)
    when dated on or after the reading. Urgent rules (red flags, a crisis-range reading) are never cleared.
    """
    check_answers(answers, evidence, today)
    base = evidence.rules.base_caps
    validity_days = evidence.rules.clearance_validity.days
    table = evidence.tables[answers.table]
    caps = Caps(
        max_angle_deg=min(base.max_angle_deg, table.max_angle_deg),
        max_hold_s=base.max_hold_s,
        max_sessions_per_day=base.max_sessions_per_day,
        supervised_sessions=base.experienced_supervised_sessions if answers.experienced else base.supervised_sessions,
        max_tilt_rate_deg_s=base.max_tilt_rate_deg_s,
        notes=(base.text,) + ((base.experienced_text,) if answers.experienced else ()),
    )
    reasons: list[Reason] = []
    # The last day each clearance relied on still counts: a screening cleared by it lasts no longer.
    cleared_until: list[dt.date] = []
    reading_day = None
    if answers.blood_pressure is not None:
        reading_day = answers.blood_pressure.measured_on or today

    def judge(
        rule_id: str,
        outcome: Outcome,
        text: str,
        sources: tuple[str, ...],
        clearers: tuple[Clearer, ...],
        clearance_id: str,
        *,
        urgent: bool = False,
        not_before: dt.date | None = None,
    ) -> None:
        nonlocal caps
        if outcome is Outcome.NEEDS_CLEARANCE:
            records = clearances_for(answers, clearance_id, clearers)
            valid = [r for r in records if r.valid_on(today, validity_days)]
            if not_before is not None:
                too_early = [r for r in valid if r.date < not_before]
                valid = [r for r in valid if r.date >= not_before]
                for record in too_early:
                    text = (
                        f"{text} The clearance of {record.date.isoformat()} predates the reading of "
                        f"{not_before.isoformat()}, so it does not cover it."
                    )
            for record in records:
                expired_on = record.expires_on(validity_days)
                if record.date <= today and expired_on < today:
                    text = f"{text} The clearance of {record.date.isoformat()} expired on {expired_on.isoformat()}."
            if valid:
                names = ", ".join(f"{r.name or r.by.value.replace('_', ' ')} on {r.date.isoformat()}" for r in valid)
                text = f"{text} Cleared by {names}."
                outcome = Outcome.CLEARED
                cleared_until.append(max(r.expires_on(validity_days) for r in valid))
                for record in valid:
                    if record.caps is not None:
                        caps = caps.tightened_by(record.caps)
            else:
                text = f"{text} Needs clearance from {who_can_clear(clearers)} first."
        elif outcome is Outcome.NOT_ADVISED and any(clearance_id in r.conditions for r in answers.clearances):
            text = f"{text} A recorded clearance does not lift this: the sources advise against inversion."
        reasons.append(Reason(rule_id, outcome, text, sources, clearers, clearance_id if clearers else None, urgent))

    triggered = [rule for rule in evidence.rules.profile_rules if _profile_rule_triggered(rule, answers, table)]
    # One reading, one verdict: a crisis-range reading is judged by the crisis rule only, never also as clearable.
    strictest_bp = max(
        (r.outcome.strictness for r in triggered if r.check == "blood_pressure"), default=Outcome.CLEARED.strictness
    )
    for rule in triggered:
        if rule.check == "blood_pressure" and rule.outcome.strictness < strictest_bp:
            continue
        judge(
            rule.id,
            rule.outcome,
            rule.text,
            rule.sources,
            rule.clearance_by,
            rule.clearance_condition or rule.id,
            urgent=rule.urgent,
            not_before=reading_day if rule.check == "blood_pressure" else None,
        )

    for condition_id in dict.fromkeys(answers.conditions):
        condition = evidence.conditions[condition_id]
        text = condition.why
        if condition.stricter_reading:
            text = f"{text} {condition.stricter_reading}"
        caps = caps.tightened_by(condition.caps)
        if condition.note:
            caps = caps.with_note(condition.note)
        judge(
            condition.id,
            condition.outcome,
            text,
            condition.sources,
            condition.clearance_by,
            condition.id,
            urgent=condition.urgent,
        )

    outcome = max((r.outcome for r in reasons), key=lambda o: o.strictness, default=Outcome.CLEARED)
    if outcome is Outcome.CLEARED:
        reasons.append(Reason("base_caps", Outcome.CLEARED, base.text, base.sources))
    alternatives = (
        tuple(a.id for a in evidence.alternatives_of_kind("alternative")) if outcome is Outcome.NOT_ADVISED else ()
    )
    urgent = any(r.urgent for r in reasons)
    validity = evidence.rules.screening_validity
    return ScreeningResult(
        outcome=outcome,
        caps=caps,
        reasons=tuple(sorted(reasons, key=lambda r: not r.urgent)),
        alternatives=alternatives,
        rules_version=evidence.rules_version,
        screened_on=today,
        valid_until=min([today + dt.timedelta(days=validity.days), *cleared_until]),
        urgent_advice=evidence.rules.urgent_advice.text if urgent else None,
    )


def clearance_accepted(record: ClearanceRecord, evidence: Evidence) -> str | None:
    """Why a clearance from this professional cannot clear what it names (None when it can)."""
    for clearance_id in record.conditions:
        if clearance_id == RESUME_AFTER_PAUSE:
            continue
        condition = evidence.conditions.get(clearance_id)
        if condition is not None:
            label, outcome, clearers = condition.question, condition.outcome, condition.clearance_by
        else:
            rule = next(
                (r for r in evidence.rules.profile_rules if (r.clearance_condition or r.id) == clearance_id), None
            )
            if rule is None:
                continue
            label, outcome, clearers = rule.text, rule.outcome, rule.clearance_by
        if outcome is Outcome.NOT_ADVISED:
            return f"'{clearance_id}' cannot be cleared: the sources advise against inversion with it"
        if clearers and record.by not in clearers:
            who = CLEARER_NAMES[record.by]
            return f"{who} cannot clear '{clearance_id}': only {who_can_clear(clearers)} can ({label})"
    return None


def with_reading_date(answers: Answers, today: dt.date) -> Answers:
    """Date an undated blood-pressure reading to the day it was given, so a later re-screen keeps its date."""
    bp = answers.blood_pressure
    if bp is None or bp.measured_on is not None:
        return answers
    return answers.model_copy(update={"blood_pressure": bp.model_copy(update={"measured_on": today})})


def profile_change(
    screened: Answers, age: int, height_cm: float, weight_kg: float, table: str, experienced: bool
) -> str | None:
    """What changed in the person's profile since the screening (None when nothing did): a changed profile voids it."""
    changes = []
    if age != screened.age:
        changes.append("age")
    if abs(height_cm - screened.height_cm) > 1e-6:
        changes.append("height")
    if abs(weight_kg - screened.weight_kg) > 1e-6:
        changes.append("weight")
    if table != screened.table:
        changes.append("table")
    if experienced != screened.experienced:
        changes.append("experience")
    if not changes:
        return None
    return (
        f"your {', '.join(changes)} changed after your last screening: screen again before the next session"
        " (a change in your health, blood pressure or medicines also needs a new screening)"
    )
