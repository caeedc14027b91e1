"""Validation errors said in plain words, never the validator's own text."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError

from hangtime.core.errors import validation_message


class Form(BaseModel):
    age: int = Field(ge=18, le=120)
    weight: float = Field(gt=0)
    day: dt.date
    email: EmailStr


class Strict(Form):
    model_config = ConfigDict(extra="forbid")


GOOD = {"age": 45, "weight": 80.0, "day": "2026-11-23", "email": "sam@example.org"}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"age": 150}, "age: must be 120 or less"),
        ({"age": 17}, "age: must be 18 or more"),
        ({"age": "forty"}, "age: must be a whole number"),
        ({"weight": 0}, "weight: must be more than 0"),
        ({"day": "yesterday"}, "day: must be a date written like 2026-11-23"),
        ({"email": "sam"}, "email: enter an email address like name@example.org"),
        ({"colour": "red"}, "colour: is not something Hangtime asks for"),
    ],
)
def test_each_problem_is_said_in_words(change: dict[str, object], said: str) -> None:
    with pytest.raises(ValidationError) as error:
        Strict.model_validate({**GOOD, **change})
    assert validation_message(error.value) == said


def test_a_missing_answer_is_required() -> None:
    with pytest.raises(ValidationError) as error:
        Form.model_validate({k: v for k, v in GOOD.items() if k != "day"})
    assert validation_message(error.value) == "day: is required"
