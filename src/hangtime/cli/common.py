"""What every terminal command shares: the Typer app, the consoles, settings, the database, and one place that
turns an expected failure into one line and exit code 2."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console

from hangtime.app.observability import configure_logging
from hangtime.app.services import ServiceError
from hangtime.cli import render
from hangtime.config import Settings, SettingsError, load_settings
from hangtime.core import strict_yaml
from hangtime.core.errors import HangtimeError, validation_message
from hangtime.core.evidence import Evidence, load_evidence
from hangtime.devices.driver import TableError
from hangtime.store import Database, repo

app = typer.Typer(
    help="Hangtime: screening, plans and guided sessions for safe inversion therapy. Not a diagnosis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """An expected failure: printed as one line, exit code 2."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn every expected failure into a one-line message and exit code 2."""
    try:
        yield
    except CliError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ServiceError as exc:
        if exc.screening is not None:
            render.screening_result(err_console, exc.screening, evidence())
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (HangtimeError, TableError) as exc:  # ValidationError is a ValueError, not a HangtimeError
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ValidationError as exc:
        err_console.print(f"[bold red]error:[/] {validation_message(exc)}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


# Set by a command's --demo flag, so every later settings() read in that command agrees.
_settings_overrides: dict[str, Any] = {}


def enter_demonstration_mode() -> None:
    _settings_overrides["demo"] = True


def enter_clinic_mode() -> None:
    _settings_overrides["mode"] = "clinic"


def settings() -> Settings:
    return load_settings(**_settings_overrides)


@app.callback()
def configure(ctx: typer.Context) -> None:
    """Logging for every command (serve raises it to INFO unless HANGTIME_LOG_LEVEL says otherwise)."""
    with contextlib.suppress(SettingsError):  # a bad setting is reported by the command that reads it
        configure_logging(settings().log_level or "WARNING")


def today() -> dt.date:
    """Today's date; HANGTIME_TODAY overrides it so expiry can be tested and demonstrated."""
    override = settings().today
    return override if override is not None else dt.date.today()


def open_database() -> Database:
    url = settings().resolved_database_url()
    try:
        return Database(url)
    except Exception as exc:  # a bad URL or an unreachable server is an input problem, not a crash
        fail(f"cannot open the database: {exc}")


def parse_date(text: str, what: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what} date '{text}' is not a date in the form YYYY-MM-DD, e.g. 2026-11-23")


def acting_for() -> str:
    """Whom a terminal command acts for, passed explicitly to every use case: the one local person."""
    return repo.LOCAL_OWNER


def evidence() -> Evidence:
    return load_evidence()


def read_structured_file(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {what} file '{path}': {exc.strerror}")
    try:
        return strict_yaml.load(text)
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0]
        fail(f"{what} file '{path}' is not valid JSON or YAML: {problem}")


@contextmanager
def database() -> Iterator[Database]:
    db = open_database()
    try:
        yield db
    finally:
        db.dispose()
