"""`hangtime session`: the guided terminal session, its journal, replay and export. An adapter over the engine."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import signal
import sys
import termios
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pyfiglet
import typer
from rich.align import Align
from rich.console import Group
from rich.live import Live
from rich.panel import Panel
from rich.prompt import Confirm, IntPrompt, Prompt
from rich.text import Text
from sqlalchemy import select

from hangtime.app import services
from hangtime.app.live_session import SessionLifecycle
from hangtime.cli import render
from hangtime.cli.common import (
    acting_for,
    app,
    console,
    database,
    enter_demonstration_mode,
    evidence,
    fail,
    friendly_errors,
    open_database,
    read_structured_file,
    settings,
    today,
)
from hangtime.config import demonstration_banner
from hangtime.core.evidence import Evidence
from hangtime.core.planning import Tolerance
from hangtime.core.session.commands import (
    Alarm,
    AlarmOff,
    AlertBuddy,
    Command,
    Say,
    Warn,
)
from hangtime.core.session.engine import (
    CHECKLIST_TEXT,
    CheckinAnswered,
    PositionConfirmed,
    SessionConfig,
    SessionEngine,
    StopRequested,
    SurveySubmitted,
    SymptomReported,
    config_from_dict,
)
from hangtime.core.session.replay import FORMAT as REPLAY_FORMAT
from hangtime.core.session.replay import ReplayError, replay
from hangtime.devices.supervisor import DeviceInfo
from hangtime.notify.buddy import BuddyContact
from hangtime.runtime.runner import SessionRunner
from hangtime.runtime.speech import Speaker
from hangtime.store import Database, repo
from hangtime.store.journal import export_events, mark_interrupted, session_info
from hangtime.store.models import Profile, SessionRecord

session_app = typer.Typer(help="Run a guided session, or audit one.", invoke_without_command=True)
app.add_typer(session_app, name="session")
buddy_app = typer.Typer(help="The buddy who is alerted when you stop answering.", no_args_is_help=True)
app.add_typer(buddy_app, name="buddy")

# One meaning per key: "I'm OK" answers a check-in; "I'm there / I'm back" confirms a position.
OK_KEYS = {" ", "k"}
CONFIRM_KEYS = {"\r", "\n", "y"}
STOP_KEYS = {"x", "q", "\x1b"}


class TerminalView:
    """What the live screen shows; updated by commands, drawn by Rich Live."""

    def __init__(self, engine: SessionEngine, ev: Evidence, demo_speed: float | None = None) -> None:
        self.engine = engine
        self.evidence = ev
        self.demo_speed = demo_speed
        self.cue = ""
        self.warning = ""
        self.alarm = False

    def handle(self, command: Command) -> None:
        match command:
            case Say(text=text):
                self.cue = text
            case Warn(warning=warning, angle_deg=angle):
                self.warning = f"{warning.replace('_', ' ')}: {angle:.0f} deg"
            case Alarm():
                self.alarm = True
            case AlarmOff():
                self.alarm = False
            case AlertBuddy():
                self.warning = "Your buddy has been alerted."

    def __rich__(self) -> Panel:
        engine = self.engine
        remaining = engine.remaining_s()
        clock = "--:--" if remaining is None else f"{int(remaining) // 60}:{int(remaining) % 60:02d}"
        big = Text(pyfiglet.figlet_format(clock, font="big"), style="bold")
        symptoms = "  ".join(f"[{s.key}] {s.label}" for s in self.evidence.symptoms.values())
        parts: list[Any] = []
        if self.demo_speed is not None:
            parts.append(Align.center(Text(demonstration_banner(self.demo_speed), style="bold black on magenta")))
        parts += [
            Align.center(Text(engine.phase.value.upper().replace("_", " "), style="bold cyan")),
            Align.center(big),
            Align.center(Text(f"target {engine.config.angle_deg:g} deg   held {engine.held_s:.0f} s", style="dim")),
            Align.center(Text(self.cue, style="bold")),
        ]
        if self.alarm:
            parts.append(
                Align.center(Text("ALARM: press SPACE (I'm OK) if you are all right", style="bold white on red"))
            )
        elif engine.checkin_asked_at is not None:
            parts.append(
                Align.center(Text("Check-in: press SPACE (I'm OK) if you are all right", style="bold black on yellow"))
            )
        if self.warning:
            parts.append(Align.center(Text(self.warning, style="yellow")))
        parts.append(
            Text(f"SPACE = I'm OK    ENTER = I'm there / I'm back    x = stop    symptoms: {symptoms}", style="dim")
        )
        return Panel(Group(*parts), title="Hangtime session")


@contextlib.contextmanager
def cbreak_keys(runner: SessionRunner, ev: Evidence) -> Iterator[None]:
    """Read single keys from the terminal while the session runs (lines, when stdin is not a terminal)."""
    symptom_keys = {s.key: s.id for s in ev.symptoms.values()}
    fd = sys.stdin.fileno()
    loop = asyncio.get_running_loop()
    is_tty = os.isatty(fd)
    saved = termios.tcgetattr(fd) if is_tty else None

    def on_key() -> None:
        data = os.read(fd, 32).decode(errors="ignore")
        if not data:
            loop.remove_reader(fd)
            return
        for key in data.lower():
            if key in OK_KEYS:
                runner.post(CheckinAnswered())
            elif key in CONFIRM_KEYS:
                runner.post(PositionConfirmed())
            elif key in STOP_KEYS:
                runner.post(StopRequested())
            elif key in symptom_keys:
                runner.post(SymptomReported(symptom=symptom_keys[key]))

    if is_tty:
        tty.setcbreak(fd)
    loop.add_reader(fd, on_key)
    # Ctrl-C during a session is a stop: the return and rest instructions follow, then the survey.
    loop.add_signal_handler(signal.SIGINT, runner.post, StopRequested())
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)
        loop.remove_reader(fd)
        if saved is not None:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def ask_survey(ev: Evidence) -> tuple[int | None, Tolerance | None, tuple[str, ...]]:
    pain_after = IntPrompt.ask("Pain now, 0 (none) to 10 (worst)", console=console, choices=[str(n) for n in range(11)])
    tolerance = Prompt.ask("How was it?", choices=[t.value for t in Tolerance], default="just_right", console=console)
    symptoms: list[str] = []
    if Confirm.ask("Any symptoms during or after?", default=False, console=console):
        for symptom in ev.symptoms.values():
            if Confirm.ask(f"  {symptom.label}?", default=False, console=console):
                symptoms.append(symptom.id)
    return pain_after, Tolerance(tolerance), tuple(symptoms)


def handle_interrupted(db: Database, owner: int, ev: Evidence) -> None:
    """A session left unfinished (crash, kill, power cut) is marked interrupted and its survey is asked now."""
    mark_interrupted(db, owner)
    for interrupted in services.interrupted_sessions(db, owner):
        console.print(
            f"[yellow]Session {interrupted.session_id} (started {interrupted.started.isoformat()}) was interrupted; "
            f"its {interrupted.events} journal entries are kept.[/] Please tell us how you are."
        )
        pain_after, tolerance, symptoms = ask_survey(ev)
        pause = services.log_interrupted(db, ev, owner, interrupted, pain_after, tolerance, symptoms)
        if pause is not None:
            render.urgent_advice(console, ev.rules.urgent_advice.text if pause.urgent else None)
            console.print(f"[bold red]{services.pause_message(pause)}[/]")


@session_app.callback()
def session_command(
    ctx: typer.Context,
    quiet: Annotated[bool, typer.Option("--quiet", help="No voice and no bell: text only.")] = False,
    table: Annotated[
        str | None, typer.Option(help="A motorized table: sim, tcp://HOST:PORT or serial:///dev/ttyX[?baud=N].")
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="Demonstration mode: HANGTIME_SESSION_SPEED may compress time; no real table; not counted."
        ),
    ] = False,
) -> None:
    """Run today's prescription as a guided, timed session with check-ins and a buddy alert."""
    if ctx.invoked_subcommand is not None:
        return
    with friendly_errors():
        if demo:
            enter_demonstration_mode()
        ev = evidence()
        config_settings = settings()
        try:
            config_settings.check_table_for_demonstration(table)
        except ValueError as exc:
            fail(str(exc))
        demo_speed = config_settings.session_speed if config_settings.demo else None
        if demo_speed is not None:
            console.print(Panel(demonstration_banner(demo_speed), style="bold magenta"))
        db = open_database()
        try:
            with db.unit_of_work() as uow:
                owner = repo.owner_id(uow, acting_for())
            handle_interrupted(db, owner, ev)
            setup = services.prepare_session(
                db, ev, today(), config_settings.checkin_interval_s, owner_handle=acting_for()
            )
            week, config, spotter_required = setup.week, setup.config, setup.config.spotter_required
            console.print(
                Panel(
                    f"Week {week.week}: {config.angle_deg:g} degrees, {week.prescription.sets} x {config.hold_s} s. "
                    f"{week.reason_text}",
                    title="Today",
                )
            )
            items = []
            for item in ("instructions", "straps", "not_after_meal", "screening") + (
                ("spotter",) if spotter_required else ()
            ):
                if not Confirm.ask(CHECKLIST_TEXT[item], default=False, console=console):
                    fail(f"checklist not confirmed: {CHECKLIST_TEXT[item]}")
                items.append(item)
            pain_before = IntPrompt.ask(
                "Pain now, 0 (none) to 10 (worst)", console=console, choices=[str(n) for n in range(11)]
            )

            contact, _ = services.load_buddy(db, owner)
            if contact is None:
                console.print(
                    "[yellow]No buddy is set up: nobody will be alerted if you stop answering (hangtime buddy set).[/]"
                )
            speaker = Speaker(enabled=not quiet, bell=lambda: console.bell())
            lifecycle = SessionLifecycle.begin(
                db,
                ev,
                setup,
                [speaker],
                speed=config_settings.session_speed,
                smtp=config_settings.smtp(),
                demo=demo_speed is not None,
                via="terminal",
            )
            engine, journal = lifecycle.engine, lifecycle.journal
            view = TerminalView(engine, ev, demo_speed)
            lifecycle.runner.sinks.append(view)
            console.print("Voice: espeak-ng" if speaker.speaking_aloud else "Voice: off (text and bell)")
            if not lifecycle.start(tuple(items), pain_before):
                fail("checklist not confirmed")

            def table_ready(device: DeviceInfo) -> None:
                console.print(f"Table: {device.model}, up to {device.max_angle_deg:g} degrees")

            async def main() -> None:
                speaker.start()
                try:
                    live_view = Live(view, console=console, refresh_per_second=4, transient=False)
                    with live_view, cbreak_keys(lifecycle.runner, ev):
                        await lifecycle.run(table, on_table=table_ready)
                finally:
                    await speaker.close()

            asyncio.run(main())
            pain_after, tolerance, symptoms = ask_survey(ev)
            log, pause = lifecycle.finish(
                SurveySubmitted(
                    pain_after=pain_after, tolerance=tolerance.value if tolerance else None, symptoms=symptoms
                )
            )
            reason = engine.end_reason.value if engine.end_reason else "done"
            console.print(f"Session {journal.session_id} saved: {reason}, held {engine.held_s:.0f} s.")
            if log.outside_prescription:
                flag = log.outside_prescription
                console.print(f"[yellow]Outside your prescription, so it does not count as progress:[/] {flag}")
            if pause is not None:
                render.urgent_advice(console, ev.rules.urgent_advice.text if pause.urgent else None)
                console.print(f"[bold red]{services.pause_message(pause)}[/]")
        finally:
            db.dispose()


def _load_replay_lines(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read '{path}': {exc.strerror}")
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            fail(f"{path}: line {number} is not JSON ({exc.msg})")
        if not isinstance(item, dict):
            fail(f"{path}: line {number} must be a JSON object")
        lines.append(item)
    return lines


@session_app.command("replay")
def replay_command(
    file: Annotated[Path, typer.Argument(help="A JSONL event stream, as `hangtime session export` writes it.")],
    config_file: Annotated[
        Path | None, typer.Option("--config", help="Session config JSON (default: the export's header).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Run the engine over a recorded event stream on a virtual clock and print the timeline."""
    with friendly_errors():
        lines = _load_replay_lines(file)
        header: dict[str, Any] = {}
        format_version = 1  # files without a header, or with an old one, are format 1
        if lines and "config" in lines[0] and "event" not in lines[0]:
            first = lines.pop(0)
            header = first["config"] if isinstance(first["config"], dict) else {}
            format_version = int(first.get("format", 1)) if isinstance(first.get("format", 1), int) else 1
        if config_file is not None:
            data = read_structured_file(config_file, "config")
            header = data if isinstance(data, dict) else {}
        try:
            config = config_from_dict(header) if header else SessionConfig(angle_deg=20, hold_s=60)
        except ValueError as exc:
            fail(f"{file}: {exc}")
        try:
            timeline = replay(config, lines, evidence().symptom_advice, format_version)
        except ReplayError as exc:
            fail(f"{file}: {exc}")
        if as_json:
            print(json.dumps([entry.as_dict() for entry in timeline], indent=2))
            return
        for entry in timeline:
            detail = {k: v for k, v in entry.as_dict().items() if k not in ("t", "phase", "kind")}
            label = detail.pop("event", None) or detail.pop("command", "")
            arrow = ">>" if entry.kind == "event" else "  "
            console.print(
                f"{entry.t:8.2f}s  {entry.phase:<10} {arrow} {label} {json.dumps(detail) if detail else ''}",
                highlight=False,
            )


@session_app.command("export")
def export_command(
    session_id: Annotated[int, typer.Argument(help="The session id.")],
    out: Annotated[Path | None, typer.Option("--out", help="Write to a file instead of standard output.")] = None,
) -> None:
    """Export a session's events as JSONL (first line: its config), the format `replay` reads."""
    with friendly_errors():
        db = open_database()
        try:
            info = session_info(db, session_id)
            if info is None:
                fail(f"no session {session_id}")
            lines = [json.dumps({"format": REPLAY_FORMAT, "config": info["config"], "status": info["status"]})]
            lines += [json.dumps(event) for event in export_events(db, session_id)]
        finally:
            db.dispose()
        text = "\n".join(lines) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            out.write_text(text)
            console.print(f"Wrote {out}")


@session_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Sessions so far: status, end reason, time held."""
    with friendly_errors():
        db = open_database()
        try:
            with db.unit_of_work() as uow:
                owner = repo.owner_id(uow, acting_for())
                rows = list(
                    uow.scalars(select(SessionRecord).where(SessionRecord.owner_id == owner).order_by(SessionRecord.id))
                )
                items = [
                    {
                        "id": r.id,
                        "started_at": r.started_at.isoformat(),
                        "status": r.status,
                        "end_reason": r.end_reason,
                        "held_s": r.held_s,
                    }
                    for r in rows
                ]
        finally:
            db.dispose()
        if as_json:
            print(json.dumps(items, indent=2))
            return
        for item in items:
            console.print(
                f"{item['id']:>4}  {item['started_at']}  {item['status']:<12} "
                f"{item['end_reason'] or '':<12} {item['held_s'] or 0:.0f} s"
            )


@buddy_app.command("set")
def buddy_set(
    webhook: Annotated[str | None, typer.Option(help="A URL that receives a JSON POST.")] = None,
    ntfy: Annotated[str | None, typer.Option(help="An ntfy-style topic URL.")] = None,
    email: Annotated[str | None, typer.Option(help="An email address (SMTP settings from HANGTIME_SMTP_*).")] = None,
    name: Annotated[str, typer.Option(help="Your buddy's name.")] = "",
    me: Annotated[str, typer.Option(help="Your name, as the alert should say it.")] = "",
) -> None:
    """Set up the buddy contact (one of --webhook, --ntfy, --email)."""
    with friendly_errors():
        chosen = [(k, v) for k, v in (("webhook", webhook), ("ntfy", ntfy), ("email", email)) if v]
        if len(chosen) != 1:
            fail("give exactly one of --webhook, --ntfy or --email")
        kind, address = chosen[0]
        contact = BuddyContact.model_validate(
            {"kind": kind, ("email" if kind == "email" else "url"): address, "name": name}
        )
        db = open_database()
        try:
            with db.unit_of_work() as uow:
                owner = repo.owner_id(uow, acting_for())
                profile = uow.scalar(select(Profile).where(Profile.owner_id == owner))
                if profile is None:
                    fail("no profile yet: run `hangtime screen` first")
                profile.buddy = contact.model_dump()
                if me:
                    profile.name = me
        finally:
            db.dispose()
        console.print(f"Buddy set: {kind} {address}")


@buddy_app.command("test")
def buddy_test() -> None:
    """Send a test alert to the buddy now."""
    with friendly_errors():
        with database() as db:
            now = dt.datetime.now().astimezone()
            try:
                attempts = asyncio.run(services.send_test_alert(db, settings().smtp(), now, owner_handle=acting_for()))
            except services.ServiceError:
                fail("no buddy set up: run `hangtime buddy set`")
        for attempt in attempts:
            console.print(attempt)
        if not attempts[-1]["ok"]:
            fail("the test alert could not be delivered")
        console.print("Test alert delivered.")
