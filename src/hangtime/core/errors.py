"""The one error tree and the one way a pydantic error becomes a sentence for a person.

Every expected refusal (bad input, a rule that says no, a file that does not read) is a `HangtimeError`: the CLI
prints it as one line with exit code 2, the web answers it with a 4xx and the same text. Anything else is a bug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol


class HasErrors(Protocol):
    """pydantic's ValidationError and FastAPI's RequestValidationError alike."""

    def errors(self) -> Sequence[Any]: ...


class HangtimeError(ValueError):
    """An expected refusal, with a message written for a person (a ValueError, so older handlers still catch it)."""


def first_problem(exc: HasErrors, skip: Iterable[str] = ()) -> tuple[str, str]:
    """Where the first problem is (dotted field path, without the parts in `skip`) and what it is, in plain words."""
    errors = exc.errors()
    if not errors:
        return "", "invalid input"
    first = errors[0]
    skipped = set(skip)
    where = ".".join(str(part) for part in first["loc"] if part not in skipped)
    return where, plain_words(first)


def _limit(context: dict[str, Any], key: str) -> str:
    value = context.get(key)
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def plain_words(error: dict[str, Any]) -> str:
    """The validator's message for one problem, said as a person would say it."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    worded = {
        "missing": "is required",
        "less_than_equal": f"must be {_limit(context, 'le')} or less",
        "less_than": f"must be less than {_limit(context, 'lt')}",
        "greater_than_equal": f"must be {_limit(context, 'ge')} or more",
        "greater_than": f"must be more than {_limit(context, 'gt')}",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "int_type": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "bool_parsing": "must be yes or no (true or false)",
        "date_parsing": "must be a date written like 2026-11-23",
        "date_from_datetime_parsing": "must be a date written like 2026-11-23",
        "date_type": "must be a date written like 2026-11-23",
        "string_too_short": "is too short",
        "string_too_long": f"is too long (at most {_limit(context, 'max_length')} characters)",
        "extra_forbidden": "is not something Hangtime asks for",
        "enum": f"must be one of: {context.get('expected', '')}".rstrip(": "),
        "literal_error": f"must be one of: {context.get('expected', '')}".rstrip(": "),
    }.get(kind)
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    if worded is None and "not a valid email address" in message:
        worded = "enter an email address like name@example.org"
    return worded or message


def validation_message(exc: HasErrors, skip: Iterable[str] = ()) -> str:
    """`field: message` ("age: must be 120 or less"), or just the message when the problem is with the whole input."""
    where, message = first_problem(exc, skip)
    return f"{where}: {message}" if where else message
