"""The `hangtime` command line: an adapter over the domain core. Bad input exits 2 with one line, never a traceback."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from hangtime.app import services
from hangtime.app.observability import configure_logging
from hangtime.cli import render
from hangtime.cli.common import (
    acting_for,
    app,
    console,
    database,
    enter_clinic_mode,
    enter_demonstration_mode,
    err_console,
    evidence,
    fail,
    friendly_errors,
    parse_date,
    read_structured_file,
    settings,
    today,
)
from hangtime.core.errors import validation_message
from hangtime.core.evidence import Clearer, Outcome
from hangtime.core.evidence.models import PartialCaps
from hangtime.core.planning import Mode, Preferences, SessionLog, Tolerance
from hangtime.core.screening import Answers, ClearanceRecord, ScreeningResult, check_answers
from hangtime.exports.calendar import plan_calendar

clearance_app = typer.Typer(help="Record a professional's clearance.", no_args_is_help=True)
app.add_typer(clearance_app, name="clearance")
plan_app = typer.Typer(help="Your progressive 8-12 week programme.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")


def load_answers_file(path: Path) -> Answers:
    data = read_structured_file(path, "answers")
    if not isinstance(data, dict):
        fail(f"answers file '{path}' must hold an object with at least age, height_cm and weight_kg")
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        fail(f"answers file '{path}': {validation_message(exc)}")


def run_and_save_screening(answers: Answers, *, save: bool) -> tuple[ScreeningResult, int | None]:
    """Screen; save the profile and screening when asked. Answers are checked before anything is written."""
    if not save:
        return services.screen_and_save(None, evidence(), answers, today(), owner_handle=acting_for())
    check_answers(answers, evidence(), today())
    with database() as db:
        return services.screen_and_save(db, evidence(), answers, today(), owner_handle=acting_for())


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
            from hangtime.cli.interactive import ask_answers

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
    until: Annotated[
        str | None, typer.Option(help="Last day it counts, YYYY-MM-DD, when shorter than 12 months.")
    ] = None,
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
        valid_until = parse_date(until, "end") if until else None
        record = ClearanceRecord(
            by=by, date=cleared_on, conditions=tuple(condition), name=name, caps=caps, valid_until=valid_until
        )
        ev = evidence()
        with database() as db:
            result = services.record_clearance(db, ev, record, today(), owner_handle=acting_for())
        if as_json:
            print(json.dumps(result.as_dict(), indent=2))
        else:
            render.screening_result(console, result, ev)


@app.command("start")
def start_command() -> None:
    """The walkthrough: profile questions, the screening, and the result with reasons and sources."""
    with friendly_errors():
        from hangtime.cli.interactive import ask_answers

        ev = evidence()
        render.welcome(console)
        answers = ask_answers(console, ev)
        result, screening_id = run_and_save_screening(answers, save=True)
        render.screening_result(console, result, ev)
        if result.outcome is not Outcome.CLEARED or screening_id is None:
            console.print("Hangtime will not make a plan until you are cleared. Your answers are saved.")
            return
        from rich.prompt import Confirm, IntPrompt, Prompt

        if not Confirm.ask("Make your plan now?", default=True, console=console):
            return
        start = parse_date(Prompt.ask("Start date (YYYY-MM-DD)", default=today().isoformat(), console=console), "start")
        days = IntPrompt.ask("Days per week", default=ev.protocol.default_days_per_week, console=console)
        prefs = Preferences(start_date=start, days_per_week=days)
        with database() as db:
            _, plan = services.make_plan(db, ev, prefs, today(), owner_handle=acting_for())
        render.plan_view(console, plan, today())
        if Confirm.ask("Save the plan to a calendar file (plan.ics)?", default=True, console=console):
            out = Path("plan.ics")
            out.write_bytes(plan_calendar(plan))
            console.print(f"Saved {out.resolve()}: import it into your calendar app.")


@plan_app.command("create")
def plan_create(
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD (default today).")] = None,
    answers_file: Annotated[Path | None, typer.Option("--answers", help="Screen these answers first.")] = None,
    weeks: Annotated[int | None, typer.Option(help="Course length, 8-12 weeks (default 8).")] = None,
    days_per_week: Annotated[int | None, typer.Option(help="Sessions days per week (default 4).")] = None,
    sessions_per_day: Annotated[int, typer.Option(help="Sessions per day, within your cap.")] = 1,
    mode: Annotated[Mode, typer.Option(help="static holds, or oscillation (30 s down / 30 s up).")] = Mode.STATIC,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Make a programme from a cleared, unexpired screening."""
    with friendly_errors():
        try:
            prefs = Preferences(
                start_date=parse_date(start, "start") if start else today(),
                weeks=weeks,
                days_per_week=days_per_week,
                sessions_per_day=sessions_per_day,
                mode=mode,
            )
        except ValidationError as exc:
            fail(validation_message(exc))
        answers = load_answers_file(answers_file) if answers_file is not None else None
        with database() as db:
            _, plan = services.make_plan(db, evidence(), prefs, today(), answers, owner_handle=acting_for())
        if as_json:
            print(json.dumps(plan.as_dict(), indent=2))
        else:
            render.plan_view(console, plan, today())


def load_current_plan() -> services.CurrentPlan:
    with database() as db:
        current = services.current_plan(db, evidence(), today(), owner_handle=acting_for())
    if current is None:
        fail("no plan yet: run `hangtime plan create`")
    return current


@plan_app.command("show")
def plan_show(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the plan, this week's prescription and why, and the revisions so far (finished weeks are reviewed)."""
    with friendly_errors():
        saved = load_current_plan()
        with database() as db:
            pauses = services.active_pauses(db, evidence(), today(), owner_handle=acting_for())
        plan, revisions = saved.plan, saved.revisions
        if as_json:
            current = plan.week_on(today())
            payload = {**plan.as_dict(), "id": saved.id, "revisions": revisions}
            payload["paused"] = plan.paused or bool(pauses)
            payload["pauses"] = [services.pause_dict(p) for p in pauses]
            payload["today"] = current.as_dict() if current else None
            print(json.dumps(payload, indent=2))
        else:
            for pause in pauses:
                render.urgent_advice(console, evidence().rules.urgent_advice.text if pause.urgent else None)
                console.print(f"[bold red]{services.pause_message(pause)}[/]")
            render.plan_view(console, plan, today(), revisions)


@plan_app.command("review")
def plan_review(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Apply the weekly adaptation to every finished week not yet reviewed."""
    with friendly_errors():
        with database() as db:
            plan, applied = services.review_plan(db, evidence(), today(), owner_handle=acting_for())
        if as_json:
            print(json.dumps({"revisions": [r.as_dict() for r in applied], "paused": plan.paused}, indent=2))
            return
        if not applied:
            console.print("Nothing to review yet: a week is reviewed once it has ended.")
        for revision in applied:
            console.print(
                f"Week {revision.week}: {revision.decision.value}. {revision.text} ({', '.join(revision.sources)})"
            )
        if plan.paused:
            console.print(
                "[bold red]Your plan is paused.[/] See a clinician before inverting again, then screen again."
            )


@plan_app.command("calendar")
def plan_calendar_command(
    out: Annotated[Path, typer.Option("--out", help="Where to write the .ics file.")],
    at: Annotated[str, typer.Option("--time", help="Time of the first daily session, HH:MM.")] = "08:00",
) -> None:
    """Write the plan as an iCalendar file: one event per session, with a reminder."""
    with friendly_errors():
        try:
            first_time = dt.time.fromisoformat(at)
        except ValueError:
            fail(f"time '{at}' is not a time in the form HH:MM")
        plan = load_current_plan().plan
        with database() as db:
            blocks = services.running_trial_blocks(db, today(), owner_handle=acting_for())
        try:
            out.write_bytes(plan_calendar(plan, first_time, trial_blocks=blocks))
        except OSError as exc:
            fail(f"cannot write '{out}': {exc.strerror}")
        console.print(f"Wrote {out}")


def read_logs_file(path: Path) -> list[SessionLog]:
    data = read_structured_file(path, "log")
    items = data if isinstance(data, list) else [data]
    logs = []
    for index, item in enumerate(items):
        try:
            logs.append(SessionLog.model_validate(item))
        except ValidationError as exc:
            fail(f"log file '{path}', entry {index + 1}: {validation_message(exc)}")
    return logs


@app.command("log")
def log_command(
    file: Annotated[Path | None, typer.Option("--file", help="JSON or YAML: one session or a list.")] = None,
    date: Annotated[str | None, typer.Option(help="Session date, YYYY-MM-DD (default today).")] = None,
    pain_before: Annotated[int | None, typer.Option(help="Pain before, 0-10.")] = None,
    pain_after: Annotated[int | None, typer.Option(help="Pain after, 0-10.")] = None,
    tolerance: Annotated[Tolerance | None, typer.Option(help="How it felt.")] = None,
    symptom: Annotated[list[str] | None, typer.Option("--symptom", help="A symptom id (repeatable).")] = None,
    not_completed: Annotated[bool, typer.Option("--not-completed", help="The session was cut short.")] = False,
) -> None:
    """Log a session (or a file of them) for the weekly review."""
    with friendly_errors():
        ev = evidence()
        if file is not None:
            logs = read_logs_file(file)
        else:
            try:
                logs = [
                    SessionLog(
                        date=parse_date(date, "session") if date else today(),
                        completed=not not_completed,
                        pain_before=pain_before,
                        pain_after=pain_after,
                        tolerance=tolerance,
                        symptoms=tuple(symptom or ()),
                    )
                ]
            except ValidationError as exc:
                fail(validation_message(exc))
        for log in logs:
            services.check_log(log, ev, today())
        with database() as db:
            logged = services.log_sessions(db, ev, logs, today(), owner_handle=acting_for())
        for pause in logged.pauses:
            render.urgent_advice(console, ev.rules.urgent_advice.text if pause.urgent else None)
            console.print(f"[bold red]{services.pause_message(pause)}[/]")
        for flag in logged.flagged:
            console.print(f"[yellow]Outside your prescription, so it does not count as progress:[/] {flag}")
        console.print(f"Logged {logged.count} session(s).")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Demonstration mode: HANGTIME_SESSION_SPEED may compress time; no real table; not counted."
        ),
    ] = False,
    clinic: Annotated[
        bool, typer.Option("--clinic", help="Clinic mode: accounts, roles, audit log (also HANGTIME_MODE=clinic).")
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Server processes (PostgreSQL only: a live session moves to another if its own dies).")
    ] = 1,
) -> None:
    """Start the web app (embedded SQLite unless HANGTIME_DATABASE_URL says otherwise)."""
    import uvicorn

    from hangtime.web.app import create_app

    with friendly_errors():
        if demo:
            enter_demonstration_mode()
        if clinic:
            enter_clinic_mode()
        chosen = settings()
        if workers < 1:
            fail("--workers must be 1 or more")
        if workers > 1 and chosen.resolved_database_url().startswith("sqlite"):
            fail("SQLite has one writer at a time, so the server runs one worker on it: use PostgreSQL for more")
        if chosen.mode != "clinic" and not is_loopback(host):
            fail(
                f"without accounts the web app serves one person's health data to anyone who can reach it, so it "
                f"listens on this computer only (127.0.0.1, ::1 or localhost), not on '{host}': use --clinic to "
                "turn on accounts"
            )
        configure_logging(chosen.log_level or "INFO")
        try:
            web_app = create_app(chosen)
        except Exception as exc:  # an unreachable database is a setup problem, not a crash
            fail(f"cannot start: {exc}")
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        console.print(f"Hangtime is running at [bold]http://{shown}:{port}[/]  (Ctrl+C to stop)")
        if workers == 1:
            uvicorn.run(web_app, host=host, port=port, log_level="warning")
            return
        # Each worker process builds its own app from the environment: the command's choices go there first.
        os.environ["HANGTIME_DATABASE_URL"] = chosen.resolved_database_url()
        os.environ["HANGTIME_MODE"] = chosen.mode
        os.environ["HANGTIME_DEMO"] = "true" if chosen.demo else "false"
        console.print(f"{workers} workers on PostgreSQL: a live session moves to another worker if its own dies.")
        uvicorn.run(
            "hangtime.web.app:app_from_environment",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            log_level="warning",
        )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", help="report.pdf, report.html or sessions.csv (by extension).")],
) -> None:
    """Write the clinician's report: screening, clearances, plan and revisions, outcomes with charts."""
    from hangtime.exports.report import report_html, report_pdf, sessions_csv

    with friendly_errors():
        suffix = out.suffix.lower()
        if suffix not in (".pdf", ".html", ".csv"):
            fail(f"'{out}': the report is written as .pdf, .html or .csv")
        with database() as db:
            data = services.report_data(db, owner_handle=acting_for(), today=today())
        content: bytes
        if suffix == ".pdf":
            content = report_pdf(data, evidence(), today())
        elif suffix == ".html":
            content = report_html(data, evidence(), today()).encode()
        else:
            content = sessions_csv(data).encode()
        try:
            out.write_bytes(content)
        except OSError as exc:
            fail(f"cannot write '{out}': {exc.strerror}")
        console.print(f"Wrote {out}")


@app.command("diary")
def diary_command(
    pain: Annotated[int, typer.Option(help="Your pain today, 0 (none) to 10 (worst imaginable).")],
    date: Annotated[str | None, typer.Option(help="The day (YYYY-MM-DD); today by default.")] = None,
) -> None:
    """Note your pain for the day, also on days without a session (one score a day; a second one replaces it)."""
    from hangtime.core.outcomes import DiaryEntry

    with friendly_errors():
        day = parse_date(date, "the diary") if date else today()
        entry = DiaryEntry.model_validate({"date": day, "pain": pain})
        with database() as db:
            services.record_diary(db, entry, today(), owner_handle=acting_for())
        console.print(f"Pain {entry.pain} noted for {entry.date.isoformat()}.")


@app.command("export")
def export_command(
    what: Annotated[
        str, typer.Argument(help="fhir: a FHIR Bundle (JSON); outcomes: diary, PEG and impressions of change (CSV).")
    ],
    out: Annotated[Path | None, typer.Option("--out", help="Write to a file instead of standard output.")] = None,
) -> None:
    """Export for the clinician's systems: `fhir` (screening, pain and outcome observations, care plan) or
    `outcomes` (the diary, PEG scores and impressions of change as CSV)."""
    from hangtime.exports.fhir import person_bundle_chunks
    from hangtime.exports.report import outcome_measures_csv

    with friendly_errors():
        if what not in ("fhir", "outcomes"):
            fail(f"unknown export '{what}' (known: fhir, outcomes)")
        with database() as db:
            chunks: Iterable[str]
            if what == "outcomes":
                chunks = [outcome_measures_csv(services.outcome_measures(db, owner_handle=acting_for()))]
            else:
                chunks = person_bundle_chunks(db, evidence(), acting_for(), dt.datetime.now(dt.UTC))
            # Written a piece at a time, so years of sessions never sit in memory whole.
            if out is None:
                for chunk in chunks:
                    sys.stdout.write(chunk)
                sys.stdout.write("\n")
            else:
                try:
                    with out.open("w", encoding="utf-8") as file:
                        file.writelines(chunks)
                except OSError as exc:
                    fail(f"cannot write '{out}': {exc.strerror}")
                console.print(f"Wrote {out}")


@app.command("table-sim")
def table_sim_command(
    port: Annotated[int, typer.Option(help="TCP port to listen on (loopback).")] = 7070,
    fault: Annotated[list[str] | None, typer.Option(help="Start with a fault switched on (repeatable).")] = None,
) -> None:
    """Run the simulated motorized table (Hangtime table protocol v1) on a TCP port."""
    import asyncio

    from hangtime.devices.simulator import FAULTS, SimulatorServer, TableSimulator

    with friendly_errors():
        unknown = [f for f in fault or [] if f not in FAULTS]
        if unknown:
            fail(f"unknown fault '{unknown[0]}' (known: {', '.join(FAULTS)})")
        simulator = TableSimulator(faults=set(fault or []))

        async def serve() -> None:
            server = SimulatorServer(simulator, port=port)
            try:
                await server.start()
            except OSError as exc:
                fail(f"cannot listen on port {port}: {exc.strerror}")
            console.print(f"Simulated table on tcp://127.0.0.1:{server.port} (Ctrl+C to stop)")
            try:
                while True:
                    await asyncio.sleep(1)
                    console.print(
                        f"angle {simulator.angle:5.1f}  target {simulator.target:5.1f}  "
                        f"estop {simulator.estop}  fault {simulator.fault}",
                        highlight=False,
                    )
            finally:
                await server.close()

        asyncio.run(serve())


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


# The session and buddy commands live in their own module; importing it registers them on `app`.
from hangtime.cli import clinic as clinic_cli  # noqa: E402, F401
from hangtime.cli import demo as demo_cli  # noqa: E402, F401
from hangtime.cli import outcomes as outcomes_cli  # noqa: E402, F401
from hangtime.cli import session as session_cli  # noqa: E402, F401
