"""Demonstration data: `hangtime demo seed` fills an empty store at clinic scale for measuring and showing."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hangtime.app import demo_data
from hangtime.cli.common import app, console, evidence, fail, friendly_errors, settings, today
from hangtime.store import Database

demo_app = typer.Typer(help="Demonstration data, never mixed with a person's own.", no_args_is_help=True)
app.add_typer(demo_app, name="demo")


@demo_app.command("seed")
def demo_seed(
    patients: Annotated[int, typer.Option(help="How many patients (more than 1 needs clinic mode).")] = 1,
    sessions: Annotated[int, typer.Option(help="How many logged sessions, shared among the patients.")] = 1000,
    database_url: Annotated[
        str | None, typer.Option(help="The database to fill (default: HANGTIME_DATABASE_URL or the SQLite file).")
    ] = None,
    clinic: Annotated[bool, typer.Option("--clinic", help="Clinic mode: patient and clinician accounts.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print what was loaded as JSON.")] = False,
) -> None:
    """Fill an empty store with demonstration patients, plans and sessions (refuses a store with real data)."""
    with friendly_errors():
        chosen = settings()
        url = database_url or chosen.resolved_database_url()
        try:
            db = Database(url)
        except Exception as exc:  # a bad URL or an unreachable server is an input problem, not a crash
            fail(f"cannot open the database: {exc}")
        try:
            seeded = demo_data.seed(
                db, evidence(), patients, sessions, today(), clinic_mode=clinic or chosen.mode == "clinic"
            )
        finally:
            db.dispose()
    if as_json:
        print(json.dumps(seeded.as_dict()))
        return
    console.print(
        f"Loaded {seeded.patients} demonstration patient(s), {seeded.sessions} sessions and {seeded.journals} session "
        f"journals in {seeded.seconds:.1f} s."
    )
    if seeded.clinicians:
        console.print(
            f"{seeded.clinicians} clinician(s), the first {seeded.first_clinician}, each with the password "
            f"'{demo_data.CLINICIAN_PASSWORD}'."
        )
