"""The `hangtime` command line: an adapter over the domain core. Bad input exits 2 with one line, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console

from hangtime import render
from hangtime.evidence import Clearer, Evidence, EvidenceError, Outcome, load_evidence
from hangtime.evidence.models import PartialCaps
from hangtime.screening import Answers, AnswersError, ClearanceRecord, ScreeningResult, check_answers, screen
from hangtime.settings import Settings, load_settings
from hangtime.store import Database, repo
from hangtime.units import UnitError

app = typer.Typer(
    help="Hangtime: screening, plans and guided sessions for safe inversion therapy. Not a diagnosis.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
clearance_app = typer.Typer(help="Record a professional's clearance.", no_args_is_help=True)
app.add_typer(clearance_app, name="clearance")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

EXIT_BAD_INPUT = 2


class CliError(Exception):
    """An expected failure: printed as one line, exit code 2."""


def fail(message: str) -> NoReturn:
    raise CliError(message)


def describe_validation_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn every expected failure into a one-line message and exit code 2."""
    try:
        yield
    except CliError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except (AnswersError, UnitError, EvidenceError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except ValidationError as exc:
        err_console.print(f"[bold red]error:[/] {describe_validation_error(exc)}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def settings() -> Settings:
    return load_settings()


def today() -> dt.date:
    """Today's date; HANGTIME_TODAY overrides it so expiry can be tested and demonstrated."""
    override = settings().today
    return override if override is not None else dt.date.today()


def open_database() -> Database:
    try:
        return Database(settings().resolved_database_url())
    except Exception as exc:  # a bad URL or an unreachable server is an input problem, not a crash
        fail(f"cannot open the database: {exc}")


def evidence() -> Evidence:
    return load_evidence()


def read_structured_file(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {what} file '{path}': {exc.strerror}")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problem = str(exc).splitlines()[0]
        fail(f"{what} file '{path}' is not valid JSON or YAML: {problem}")


def load_answers_file(path: Path) -> Answers:
    data = read_structured_file(path, "answers")
    if not isinstance(data, dict):
        fail(f"answers file '{path}' must hold an object with at least age, height_cm and weight_kg")
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        fail(f"answers file '{path}': {describe_validation_error(exc)}")


def with_stored_clearances(answers: Answers, stored: list[ClearanceRecord]) -> Answers:
    merged = tuple(dict.fromkeys((*answers.clearances, *stored)))
    return answers.model_copy(update={"clearances": merged})


def run_and_save_screening(answers: Answers, *, save: bool) -> tuple[ScreeningResult, int | None]:
    """Screen; save the profile and screening when asked. Answers are checked before anything is written."""
    ev = evidence()
    day = today()
    check_answers(answers, ev, day)
    if not save:
        return screen(answers, ev, day), None
    db = open_database()
    try:
        with db.session() as session:
            owner = repo.owner_id(session)
            answers = with_stored_clearances(answers, repo.clearances(session, owner))
            result = screen(answers, ev, day)
            repo.save_profile(session, owner, answers)
            screening_id = repo.save_screening(session, owner, answers, result)
        return result, screening_id
    finally:
        db.dispose()


@app.command("screen")
def screen_command(
    answers_file: Annotated[Path | None, typer.Option("--answers", help="JSON or YAML answers file.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not store the profile or the result.")] = False,
) -> None:
    """Screen for inversion: outcome, caps, and the reason and source for each part."""
    with friendly_errors():
        ev = evidence()
        if answers_file is not None:
            answers = load_answers_file(answers_file)
        else:
            from hangtime.interactive import ask_answers

            answers = ask_answers(console, ev)
        result, _ = run_and_save_screening(answers, save=not no_save)
        if as_json:
            print(json.dumps(result.as_dict(), indent=2))
        else:
            render.screening_result(console, result, ev)


@app.command("sources")
def sources_command(
    source_id: Annotated[str | None, typer.Argument(help="A source id to show in full.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the evidence base, or show one source and the rules that cite it."""
    with friendly_errors():
        ev = evidence()
        if source_id is None:
            if as_json:
                print(json.dumps([s.model_dump() for s in ev.sources.values()], indent=2))
            else:
                render.sources_table(console, ev)
            return
        if source_id not in ev.sources:
            fail(f"unknown source '{source_id}' (run `hangtime sources` for the list)")
        if as_json:
            print(json.dumps({**ev.sources[source_id].model_dump(), "cited_by": ev.rules_citing(source_id)}, indent=2))
        else:
            render.source_detail(console, ev, source_id)


@app.command("conditions")
def conditions_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the condition ids the screening accepts, with their rule."""
    with friendly_errors():
        ev = evidence()
        if as_json:
            print(json.dumps([c.model_dump(mode="json") for c in ev.conditions.values()], indent=2))
        else:
            render.conditions_table(console, ev)


@clearance_app.command("add")
def clearance_add(
    by: Annotated[Clearer, typer.Option(help="Who cleared you.")],
    condition: Annotated[list[str], typer.Option("--condition", help="A condition id cleared (repeatable).")],
    date: Annotated[str | None, typer.Option(help="Date of the clearance, YYYY-MM-DD (default today).")] = None,
    name: Annotated[str | None, typer.Option(help="The professional's name.")] = None,
    max_angle: Annotated[float | None, typer.Option(help="A stricter angle cap, degrees.")] = None,
    max_hold: Annotated[int | None, typer.Option(help="A stricter hold cap, seconds.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Record a clearance and re-screen the latest answers with it."""
    with friendly_errors():
        try:
            cleared_on = dt.date.fromisoformat(date) if date else today()
        except ValueError:
            fail(f"date '{date}' is not a date in the form YYYY-MM-DD")
        caps = PartialCaps(max_angle_deg=max_angle, max_hold_s=max_hold) if max_angle or max_hold else None
        record = ClearanceRecord(by=by, date=cleared_on, conditions=tuple(condition), name=name, caps=caps)
        ev = evidence()
        db = open_database()
        try:
            with db.session() as session:
                owner = repo.owner_id(session)
                latest = repo.latest_screening(session, owner)
                if latest is None:
                    fail("no saved screening to apply the clearance to: run `hangtime screen` first")
                answers = with_stored_clearances(latest.answers, [*repo.clearances(session, owner), record])
                check_answers(answers, ev, today())
                result = screen(answers, ev, today())
                repo.add_clearance(session, owner, record)
                repo.save_screening(session, owner, answers, result)
        finally:
            db.dispose()
        if as_json:
            print(json.dumps(result.as_dict(), indent=2))
        else:
            render.screening_result(console, result, ev)


@app.command("start")
def start_command() -> None:
    """The walkthrough: profile questions, the screening, and the result with reasons and sources."""
    with friendly_errors():
        from hangtime.interactive import ask_answers

        ev = evidence()
        render.welcome(console)
        answers = ask_answers(console, ev)
        result, _ = run_and_save_screening(answers, save=True)
        render.screening_result(console, result, ev)
        if result.outcome is not Outcome.CLEARED:
            console.print("Hangtime will not make a plan until you are cleared. Your answers are saved.")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: anything unexpected is reported in one line, never as a traceback."""
    command: Callable[..., Any] = app
    try:
        command(args=argv, standalone_mode=True)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Exception as exc:  # last resort: the brief forbids tracebacks
        err_console.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(1)
