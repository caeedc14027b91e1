"""Clinic mode in the terminal: accounts (add, list, disable), the audit chain's check, the clinic's outcomes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from hangtime.app import clinic
from hangtime.cli.common import app, console, database, fail, friendly_errors, today
from hangtime.core.evidence import Clearer

accounts_app = typer.Typer(help="Clinic accounts: patients, clinicians, administrators.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
audit_app = typer.Typer(help="The audit log of who read or changed a patient's data.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
clinic_app = typer.Typer(help="The clinic's figures over all its patients.", no_args_is_help=True)
app.add_typer(clinic_app, name="clinic")


def _read_password(password_file: Path | None) -> str:
    """From a file (its first line) or a hidden prompt: never from the command line, where `ps` and shell history
    would keep it."""
    if password_file is None:
        return str(typer.prompt("Password (at least 12 characters)", hide_input=True, confirmation_prompt=True))
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        fail(f"cannot read the password file '{password_file}': {exc.strerror}")
    if not lines:
        fail(f"the password file '{password_file}' is empty")
    return lines[0]


@accounts_app.command("add")
def accounts_add(
    role: Annotated[clinic.Role, typer.Option(help="patient, clinician or admin.")],
    email: Annotated[str, typer.Option(help="The person's email: what they sign in with.")],
    clinician: Annotated[str | None, typer.Option(help="A patient's clinician (their email).")] = None,
    profession: Annotated[
        Clearer | None, typer.Option(help="A clinician's profession: what clearances they may sign.")
    ] = None,
    password_file: Annotated[
        Path | None, typer.Option(help="Read the password from this file's first line (otherwise you are asked).")
    ] = None,
) -> None:
    """Add an account."""
    with friendly_errors(), database() as db:
        password = _read_password(password_file)
        view = clinic.add_account(db, email, role, password, clinician_email=clinician, profession=profession)
        console.print(f"Added {clinic.ROLE_LABELS[view.role].lower()} {view.email}.", highlight=False)


@accounts_app.command("list")
def accounts_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the accounts."""
    with friendly_errors(), database() as db:
        views = clinic.list_accounts(db)
    if as_json:
        print(json.dumps([v.as_dict() for v in views], indent=2))
        return
    if not views:
        console.print("No accounts yet: add one with `hangtime accounts add --role admin --email ...`.")
        return
    table = Table(Column("Email", no_wrap=True), "Role", "Clinician", "Profession", "Can sign in")
    for view in views:
        can = "no (disabled)" if view.disabled else ("yes" if view.has_password else "not yet (invited)")
        profession = clinic.PROFESSION_LABELS[Clearer(view.profession)] if view.profession else ""
        table.add_row(view.email, clinic.ROLE_LABELS[view.role], view.clinician_email or "", profession, can)
    console.print(table)


@accounts_app.command("disable")
def accounts_disable(email: Annotated[str, typer.Argument(help="The account's email.")]) -> None:
    """Disable an account: it can no longer sign in, and is signed out everywhere."""
    with friendly_errors(), database() as db:
        clinic.disable_account(db, email)
        console.print(f"Disabled {email.strip().lower()}.", highlight=False)


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain: exit 1 and name the first broken row when a row was changed or deleted."""
    with friendly_errors(), database() as db:
        check = clinic.verify_audit(db)
    if check.broken_at is None:
        console.print(f"The audit log is whole: {check.rows} rows, every one linked to the one before.")
        return
    console.print(f"[bold red]The audit log is broken at row {check.broken_at}:[/] {check.why}.", highlight=False)
    raise typer.Exit(1)


@clinic_app.command("outcomes")
def clinic_outcomes(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every patient's pain trend (better, no important change, worse, not enough data yet) and days with a
    session in the last 30, summed over the clinic."""
    with friendly_errors(), database() as db:
        figures = clinic.clinic_outcomes(db, None, today(), dt.datetime.now(dt.UTC))
    if as_json:
        print(json.dumps(figures.as_dict(), indent=2))
        return
    if figures.patients == 0:
        console.print("No patients yet: the clinic's outcomes need patients with sessions.")
        return
    console.print(clinic.outcomes_in_words(figures), highlight=False)
