"""Typed shape of the evidence base. Range checks live here so a bad number fails on load."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hangtime.core.units import UnitError, parse_height_cm, parse_weight_kg


class Outcome(StrEnum):
    """Screening outcomes, ordered from least to most strict."""

    CLEARED = "cleared"
    NEEDS_CLEARANCE = "needs_clearance"
    NOT_ADVISED = "not_advised"

    @property
    def strictness(self) -> int:
        return _STRICTNESS[self]


_STRICTNESS = {Outcome.CLEARED: 0, Outcome.NEEDS_CLEARANCE: 1, Outcome.NOT_ADVISED: 2}


class Clearer(StrEnum):
    PHYSICIAN = "physician"
    EYE_CARE = "eye_care"
    SURGEON = "surgeon"
    PHYSICAL_THERAPIST = "physical_therapist"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    id: str = Field(min_length=1)
    kind: Literal["seed", "study", "manual", "guideline", "secondary"]
    title: str = Field(min_length=1)
    seen: Literal["read", "second-hand"]
    contributes: str = Field(min_length=1)


class PartialCaps(_Strict):
    """Caps a rule imposes; None means the rule does not limit that dimension."""

    max_angle_deg: float | None = Field(default=None, ge=0, le=90)
    max_hold_s: int | None = Field(default=None, ge=10, le=3600)
    max_sessions_per_day: int | None = Field(default=None, ge=1, le=10)
    # 1000 means every session of any plan (a plan has at most 12 weeks x 7 days x 10 sessions).
    supervised_sessions: int | None = Field(default=None, ge=0, le=1000)
    max_tilt_rate_deg_s: float | None = Field(default=None, gt=0, le=90)


class Group(_Strict):
    id: str
    title: str


class Condition(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    group: str
    question: str = Field(min_length=1)
    why: str = Field(min_length=1)
    outcome: Outcome
    # Urgent: the person is told to get medical care today before anything else; only with not_advised.
    urgent: bool = False
    clearance_by: tuple[Clearer, ...] = ()
    caps: PartialCaps = PartialCaps()
    note: str | None = None
    stricter_reading: str | None = None
    sources: tuple[str, ...]


class ProfileRule(_Strict):
    id: str
    check: Literal["age", "table_limits", "blood_pressure", "bmi"]
    outcome: Outcome
    urgent: bool = False
    text: str
    sources: tuple[str, ...]
    clearance_by: tuple[Clearer, ...] = ()
    clearance_condition: str | None = None
    min_age: int | None = Field(default=None, ge=0, le=120)
    systolic_at_least: int | None = Field(default=None, ge=60, le=300)
    diastolic_at_least: int | None = Field(default=None, ge=30, le=200)
    min_bmi: float | None = Field(default=None, ge=10, le=100)


class BaseCaps(_Strict):
    max_angle_deg: float = Field(ge=0, le=90)
    max_hold_s: int = Field(ge=10, le=3600)
    max_sessions_per_day: int = Field(ge=1, le=10)
    supervised_sessions: int = Field(ge=0, le=100)
    max_tilt_rate_deg_s: float | None = Field(default=None, gt=0, le=90)
    text: str
    sources: tuple[str, ...]
    experienced_supervised_sessions: int = Field(ge=0, le=100)
    experienced_text: str


class Validity(_Strict):
    days: int = Field(ge=1, le=3650)
    text: str
    sources: tuple[str, ...]


class ConditionsFile(_Strict):
    groups: tuple[Group, ...]
    conditions: tuple[Condition, ...]
    profile_rules: tuple[ProfileRule, ...]
    urgent_advice: EvidenceNote
    clearance_validity: Validity
    base_caps: BaseCaps
    screening_validity: Validity


class Symptom(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    key: str = Field(min_length=1, max_length=1)
    action: Literal["return"]
    severity: Literal["adverse", "red_flag"]
    # Who may clear a person to invert again after this symptom (red flags only).
    clearance_by: tuple[Clearer, ...] = ()
    advice: str
    sources: tuple[str, ...]


def _quantity_readable(value: str, parse: Callable[[str], float], what: str, low: float, high: float, unit: str) -> str:
    """A maker's limit as written (in the maker's unit), refused unless it reads as a plausible quantity."""
    try:
        quantity = parse(value)
    except UnitError as exc:
        raise ValueError(str(exc)) from None
    if not low <= quantity <= high:
        raise ValueError(f"{what} '{value}' is outside {low:g}-{high:g} {unit}")
    return value


class TableModel(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    # The maker's limits as the maker writes them ("4 ft 10 in", "300 lb", "150 kg"); inclusive.
    min_height: str
    max_height: str
    max_weight: str
    max_angle_deg: float = Field(ge=0, le=90)
    ankle_system: str
    motorized: bool
    note: str | None = None
    sources: tuple[str, ...]

    @field_validator("min_height", "max_height")
    @classmethod
    def _height_readable(cls, value: str) -> str:
        return _quantity_readable(value, parse_height_cm, "height", 100, 250, "cm")

    @field_validator("max_weight")
    @classmethod
    def _weight_readable(cls, value: str) -> str:
        return _quantity_readable(value, parse_weight_kg, "weight", 30, 300, "kg")

    # Converted with the same function and precision as a person's typed height and weight, so that a person at
    # exactly the maker's limit (6 ft 6 in, 300 lb) compares equal to it.
    @property
    def min_height_cm(self) -> float:
        return parse_height_cm(self.min_height)

    @property
    def max_height_cm(self) -> float:
        return parse_height_cm(self.max_height)

    @property
    def max_weight_kg(self) -> float:
        return parse_weight_kg(self.max_weight)


class Alternative(_Strict):
    id: str
    kind: Literal["alternative", "exercise"]
    title: str
    text: str
    sources: tuple[str, ...]


class EvidenceNote(_Strict):
    text: str
    sources: tuple[str, ...]


class AlternativesFile(_Strict):
    alternatives: tuple[Alternative, ...]
    evidence_note: EvidenceNote


class ProtocolStep(_Strict):
    """A numeric protocol default with its sources."""

    value: float
    text: str
    sources: tuple[str, ...]


class Protocol(_Strict):
    first_week_angle_deg: float = Field(ge=5, le=30)
    first_week_hold_s: int = Field(ge=30, le=120)
    angle_step_deg: float = Field(gt=0, le=10)
    hold_step_s: int = Field(gt=0, le=60)
    target_min_angle_deg: float = Field(ge=0, le=90)
    target_max_angle_deg: float = Field(ge=0, le=90)
    target_min_hold_s: int = Field(ge=30, le=600)
    target_max_hold_s: int = Field(ge=30, le=600)
    min_weeks: int = Field(ge=1, le=52)
    max_weeks: int = Field(ge=1, le=52)
    default_weeks: int = Field(ge=1, le=52)
    default_days_per_week: int = Field(ge=1, le=7)
    sets_from_hold_s: int = Field(ge=60, le=600)
    set_rest_s: int = Field(ge=0, le=600)
    max_sets: int = Field(ge=1, le=5)
    oscillation_down_s: int = Field(ge=5, le=120)
    oscillation_up_s: int = Field(ge=5, le=120)
    rest_near_horizontal_s: int = Field(ge=0, le=600)
    min_completed_sessions_ratio: float = Field(gt=0, le=1)
    pain_mic_points: int = Field(ge=1, le=10)
    notes: dict[str, EvidenceNote]
