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
    message = str(first["msg"]).removeprefix("Value error, ")
    return where, message


def validation_message(exc: HasErrors, skip: Iterable[str] = ()) -> str:
    """`field: message`, or just the message when the problem is with the whole input."""
    where, message = first_problem(exc, skip)
    return f"{where}: {message}" if where else message
