"""Height and weight as people type them (metric or US/imperial), converted to SI for storage."""

from __future__ import annotations

import re

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


def format_height(cm: float) -> str:
    total_inches = round(cm / CM_PER_INCH)
    return f"{cm:.0f} cm ({total_inches // 12} ft {total_inches % 12} in)"


def format_weight(kg: float) -> str:
    return f"{kg:.1f} kg ({kg / KG_PER_POUND:.0f} lb)"
