"""Height and weight as people type them (metric or US/imperial), converted to SI for storage."""

from __future__ import annotations

import re
from enum import StrEnum

from hangtime.core.errors import HangtimeError

CM_PER_INCH = 2.54
KG_PER_POUND = 0.45359237
POUNDS_PER_STONE = 14


# SI values keep 6 decimals (a micrometre, a milligram): enough that a person who types exactly a maker's limit in
# the maker's unit ("6 ft 6 in", "300 lb") compares equal to it, where rounding to 0.1 would push 300 lb above it.
PRECISION = 6


class UnitError(HangtimeError):
    """A height or weight that cannot be read; the message says what was expected."""


_NUMBER = r"(\d+(?:[.,]\d+)?)"
_FEET_INCHES = re.compile(rf"^{_NUMBER}\s*(?:'|’|ft|feet|foot)\s*(?:{_NUMBER}\s*(?:\"|”|''|in|inch|inches)?)?$")
_SINGLE = re.compile(rf"^{_NUMBER}\s*([a-z\"”]*)$")
_STONE_POUNDS = re.compile(rf"^{_NUMBER}\s*(?:st|stone)\s*(?:{_NUMBER}\s*(?:lb|lbs|pounds?)?)?$")


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_height_cm(text: str | float | int, default_unit: str = "cm") -> float:
    """Read '178', '178 cm', '1.78 m', '5 ft 10 in', 5'10\" or '70 in' and return centimetres."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = f"{text} {default_unit}"
    cleaned = str(text).strip().lower()
    match = _FEET_INCHES.match(cleaned)
    if match:
        feet = _number(match.group(1))
        inches = _number(match.group(2)) if match.group(2) else 0.0
        return round((feet * 12 + inches) * CM_PER_INCH, PRECISION)
    match = _SINGLE.match(cleaned)
    if match:
        value = _number(match.group(1))
        unit = match.group(2) or default_unit
        if unit in ("cm", "centimetres", "centimeters"):
            return round(value, PRECISION)
        if unit in ("m", "metres", "meters"):
            return round(value * 100, PRECISION)
        if unit in ("in", "inch", "inches", '"', "”"):
            return round(value * CM_PER_INCH, PRECISION)
    raise UnitError(f"cannot read height '{text}': use e.g. '178 cm', '1.78 m', '5 ft 10 in' or '70 in'")


def parse_weight_kg(text: str | float | int, default_unit: str = "kg") -> float:
    """Read '82', '82 kg', '180 lb' or '12 st 8 lb' and return kilograms."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        text = f"{text} {default_unit}"
    cleaned = str(text).strip().lower()
    match = _STONE_POUNDS.match(cleaned)
    if match:
        pounds = _number(match.group(1)) * POUNDS_PER_STONE + (_number(match.group(2)) if match.group(2) else 0.0)
        return round(pounds * KG_PER_POUND, PRECISION)
    match = _SINGLE.match(cleaned)
    if match:
        value = _number(match.group(1))
        unit = match.group(2) or default_unit
        if unit in ("kg", "kgs", "kilo", "kilos", "kilograms"):
            return round(value, PRECISION)
        if unit in ("lb", "lbs", "pound", "pounds"):
            return round(value * KG_PER_POUND, PRECISION)
    raise UnitError(f"cannot read weight '{text}': use e.g. '82 kg', '180 lb' or '12 st 8 lb'")


class UnitSystem(StrEnum):
    """The units a person typed in, kept as their preference for showing heights and weights back."""

    METRIC = "metric"
    IMPERIAL = "imperial"


_IMPERIAL_MARKS = re.compile(r"ft|feet|foot|'|’|\"|”|in\b|inch|lb|pound|st\b|stone")


def unit_system_of(*typed: str) -> UnitSystem:
    """Imperial when any typed value used feet, inches, pounds or stones; metric otherwise."""
    return UnitSystem.IMPERIAL if any(_IMPERIAL_MARKS.search(str(t).lower()) for t in typed) else UnitSystem.METRIC


def _feet_inches(cm: float) -> str:
    total_inches = round(cm / CM_PER_INCH)
    return f"{total_inches // 12} ft {total_inches % 12} in"


def format_height(cm: float, units: str | None = None) -> str:
    """Both systems, the person's own first."""
    if units == UnitSystem.IMPERIAL:
        return f"{_feet_inches(cm)} ({cm:.0f} cm)"
    return f"{cm:.0f} cm ({_feet_inches(cm)})"


def format_weight(kg: float, units: str | None = None) -> str:
    if units == UnitSystem.IMPERIAL:
        return f"{kg / KG_PER_POUND:.0f} lb ({kg:.1f} kg)"
    return f"{kg:.1f} kg ({kg / KG_PER_POUND:.0f} lb)"


def height_as_typed(cm: float, units: str | None) -> str:
    """A stored height as the person would type it, for a form."""
    return _feet_inches(cm) if units == UnitSystem.IMPERIAL else f"{cm:g} cm"


def weight_as_typed(kg: float, units: str | None) -> str:
    return f"{kg / KG_PER_POUND:.0f} lb" if units == UnitSystem.IMPERIAL else f"{kg:g} kg"
