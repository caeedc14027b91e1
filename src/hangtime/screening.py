"""Screening: a person's answers -> an outcome, caps and the reasons with their sources. Pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hangtime.evidence import Clearer, Evidence, Outcome
from hangtime.evidence.models import PartialCaps, ProfileRule, TableModel
from hangtime.units import UnitError, parse_height_cm, parse_weight_kg


class AnswersError(ValueError):
    """The answers cannot be screened; the message names the problem."""


class BloodPressure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    systolic: int = Field(ge=60, le=300)
    diastolic: int = Field(ge=30, le=200)

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


class Answers(BaseModel):
    """What a person tells the screening. Heights and weights are stored in SI whatever unit was typed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    age: int = Field(ge=0, le=120)
    height_cm: float = Field(ge=50, le=260)
    weight_kg: float = Field(ge=20, le=400)
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reason:
        return cls(
            rule=data["rule"],
            outcome=Outcome(data["outcome"]),
            text=data["text"],
            sources=tuple(data["sources"]),
            clearance_by=tuple(Clearer(c) for c in data.get("clearance_by", ())),
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

    def usable_on(self, day: dt.date) -> bool:
        """Only a cleared, unexpired screening may feed a plan or a session."""
        return self.outcome is Outcome.CLEARED and day <= self.valid_until

    def as_dict(self) -> dict[str, Any]:
        return {
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
        )


def check_answers(answers: Answers, evidence: Evidence, today: dt.date) -> None:
    """Refuse answers that name things the evidence base does not know, or clearances from the future."""
    for condition_id in answers.conditions:
        if condition_id not in evidence.conditions:
            raise AnswersError(f"unknown condition '{condition_id}' (see `hangtime conditions` for the list)")
    if answers.table not in evidence.tables:
        known = ", ".join(sorted(evidence.tables))
        raise AnswersError(f"unknown table '{answers.table}' (known: {known})")
    clearable = set(evidence.conditions) | {
        r.clearance_condition for r in evidence.rules.profile_rules if r.clearance_condition
    }
    for record in answers.clearances:
        if record.date > today:
            raise AnswersError(f"clearance by {record.by.value} is dated {record.date}, which is in the future")
        for condition_id in record.conditions:
            if condition_id not in clearable:
                raise AnswersError(f"clearance names unknown condition '{condition_id}'")


def _clearance_for(answers: Answers, clearance_id: str, allowed: tuple[Clearer, ...]) -> ClearanceRecord | None:
    for record in answers.clearances:
        if clearance_id in record.conditions and record.by in allowed:
            return record
    return None


def who_can_clear(clearers: tuple[Clearer, ...]) -> str:
    names = {
        Clearer.PHYSICIAN: "a physician",
        Clearer.EYE_CARE: "an eye-care professional",
        Clearer.SURGEON: "your surgeon",
        Clearer.PHYSICAL_THERAPIST: "a physical therapist",
    }
    return " or ".join(names[c] for c in clearers)


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
    """Apply every rule; the outcome is the strictest any rule gives, and caps are the tightest any rule sets."""
    check_answers(answers, evidence, today)
    base = evidence.rules.base_caps
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

    def judge(
        rule_id: str,
        outcome: Outcome,
        text: str,
        sources: tuple[str, ...],
        clearers: tuple[Clearer, ...],
        clearance_id: str,
    ) -> None:
        nonlocal caps
        if outcome is Outcome.NEEDS_CLEARANCE:
            record = _clearance_for(answers, clearance_id, clearers)
            if record is not None:
                who = record.name or record.by.value.replace("_", " ")
                text = f"{text} Cleared by {who} on {record.date.isoformat()}."
                outcome = Outcome.CLEARED
                if record.caps is not None:
                    caps = caps.tightened_by(record.caps)
            else:
                text = f"{text} Needs clearance from {who_can_clear(clearers)} first."
        elif outcome is Outcome.NOT_ADVISED and any(clearance_id in r.conditions for r in answers.clearances):
            text = f"{text} A recorded clearance does not lift this: the sources advise against inversion."
        reasons.append(Reason(rule_id, outcome, text, sources, clearers))

    for rule in evidence.rules.profile_rules:
        if _profile_rule_triggered(rule, answers, table):
            judge(
                rule.id, rule.outcome, rule.text, rule.sources, rule.clearance_by, rule.clearance_condition or rule.id
            )

    for condition_id in dict.fromkeys(answers.conditions):
        condition = evidence.conditions[condition_id]
        text = condition.why
        if condition.stricter_reading:
            text = f"{text} {condition.stricter_reading}"
        caps = caps.tightened_by(condition.caps)
        if condition.note:
            caps = caps.with_note(condition.note)
        judge(condition.id, condition.outcome, text, condition.sources, condition.clearance_by, condition.id)

    outcome = max((r.outcome for r in reasons), key=lambda o: o.strictness, default=Outcome.CLEARED)
    if outcome is Outcome.CLEARED:
        reasons.append(Reason("base_caps", Outcome.CLEARED, base.text, base.sources))
    alternatives = (
        tuple(a.id for a in evidence.alternatives_of_kind("alternative")) if outcome is Outcome.NOT_ADVISED else ()
    )
    validity = evidence.rules.screening_validity
    return ScreeningResult(
        outcome=outcome,
        caps=caps,
        reasons=tuple(reasons),
        alternatives=alternatives,
        rules_version=evidence.rules_version,
        screened_on=today,
        valid_until=today + dt.timedelta(days=validity.days),
    )
