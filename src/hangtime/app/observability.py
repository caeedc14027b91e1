"""Structured logging: one record per use case (who, what, outcome, how long) and one per device fault.

Records carry the person's id and the use case's name, never health data: a refusal's reason (which may name a
symptom or a condition) is logged at DEBUG only, its kind at INFO.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from hangtime.core.errors import HangtimeError

P = ParamSpec("P")
R = TypeVar("R")

USE_CASES = logging.getLogger("hangtime.use_case")
FIELDS = ("use_case", "person", "outcome", "error", "ms", "fault", "session")


class KeyValueFormatter(logging.Formatter):
    """`time level logger message key=value ...`, one line per record, for people and for log shippers alike."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{name}={getattr(record, name)}" for name in FIELDS if getattr(record, name, None) is not None]
        return " ".join([line, *extras])


def configure_logging(level: str) -> None:
    """Log to stderr at `level` (the root logger keeps anything a library adds)."""
    handler = logging.StreamHandler()
    handler.setFormatter(KeyValueFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    package = logging.getLogger("hangtime")
    package.handlers[:] = [handler]
    package.setLevel(level.upper())


def use_case(func: Callable[P, R]) -> Callable[P, R]:
    """Log the call's outcome (done, refused, failed) with the person it acts for and its duration."""
    signature = inspect.signature(func)
    name = func.__name__

    @functools.wraps(func)
    def logged(*args: P.args, **kwargs: P.kwargs) -> R:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        person = bound.arguments.get("owner_handle", bound.arguments.get("owner"))
        started = time.perf_counter()

        def fields(outcome: str, error: str | None = None) -> dict[str, object]:
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            return {"use_case": name, "person": person, "outcome": outcome, "error": error, "ms": elapsed}

        try:
            result = func(*args, **kwargs)
        except HangtimeError as exc:
            USE_CASES.info("%s refused", name, extra=fields("refused", type(exc).__name__))
            USE_CASES.debug("%s refused: %s", name, exc, extra=fields("refused", type(exc).__name__))
            raise
        except Exception as exc:
            USE_CASES.exception("%s failed", name, extra=fields("failed", type(exc).__name__))
            raise
        USE_CASES.info("%s done", name, extra=fields("done"))
        return result

    return logged
