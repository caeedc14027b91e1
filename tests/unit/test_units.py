from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hangtime.core.units import UnitError, parse_height_cm, parse_weight_kg


@pytest.mark.parametrize(
    ("text", "cm"),
    [
        ("178", 178),
        ("178 cm", 178),
        ("1.78 m", 178),
        ("5 ft 10 in", 177.8),
        ("5'10\"", 177.8),
        ("5' 10", 177.8),
        ("70 in", 177.8),
        ("6ft", 182.9),
        ("5 feet 4 inches", 162.6),
        ("1,80 m", 180),
    ],
)
def test_heights(text: str, cm: float) -> None:
    assert parse_height_cm(text) == pytest.approx(cm, abs=0.05)


@pytest.mark.parametrize(
    ("text", "kg"),
    [("82", 82), ("82 kg", 82), ("180 lb", 81.6), ("180lbs", 81.6), ("12 st 8 lb", 79.8), ("12 stone", 76.2)],
)
def test_weights(text: str, kg: float) -> None:
    assert parse_weight_kg(text) == pytest.approx(kg, abs=0.05)


@pytest.mark.parametrize("text", ["tall", "5 yards", "", "-3 cm"])
def test_unreadable_height(text: str) -> None:
    with pytest.raises(UnitError, match="cannot read height"):
        parse_height_cm(text)


@given(st.integers(4, 7), st.integers(0, 11))
def test_feet_and_inches_agree_with_inches(feet: int, inches: int) -> None:
    assert parse_height_cm(f"{feet} ft {inches} in") == parse_height_cm(f"{feet * 12 + inches} in")
