"""`hangtime accounts` and `hangtime audit verify` in the terminal."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select, update
from typer.testing import CliRunner

from hangtime.app import clinic
from hangtime.cli.main import app
from hangtime.config import load_settings
from hangtime.store import Database
from hangtime.store.models import AuditEntry


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clinic, "PASSWORDS", PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),)))


def test_accounts_from_the_terminal(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    password = tmp_path / "password"
    password.write_text("correct horse battery\n")
    add = ["accounts", "add", "--password-file", str(password)]
    assert runner.invoke(app, [*add, "--role", "admin", "--email", "admin@example.org"]).exit_code == 0
    result = runner.invoke(
        app, [*add, "--role", "clinician", "--email", "doc@example.org", "--profession", "physical_therapist"]
    )
    assert result.exit_code == 0 and "Added clinician doc@example.org" in result.stdout
    result = runner.invoke(
        app, [*add, "--role", "patient", "--email", "pat@example.org", "--clinician", "nobody@x.org"]
    )
    assert result.exit_code == 2 and "nobody@x.org is not a clinician's account" in result.stderr
    short = tmp_path / "short"
    short.write_text("too short\n")
    result = runner.invoke(
        app, ["accounts", "add", "--role", "admin", "--email", "b@example.org", "--password-file", str(short)]
    )
    assert result.exit_code == 2 and "at least 12 characters" in result.stderr
    # A password typed at the prompt, twice, never on the command line.
    result = runner.invoke(
        app,
        ["accounts", "add", "--role", "patient", "--email", "pat@example.org", "--clinician", "doc@example.org"],
        input="correct horse battery\ncorrect horse battery\n",
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["accounts", "disable", "pat@example.org"]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["accounts", "list", "--json"]).stdout)
    assert [(a["email"], a["role"], a["clinician"], a["disabled"]) for a in listed] == [
        ("admin@example.org", "admin", None, False),
        ("doc@example.org", "clinician", None, False),
        ("pat@example.org", "patient", "doc@example.org", True),
    ]
    table = runner.invoke(app, ["accounts", "list"]).stdout
    assert "therapist" in table and "physical_therapist" not in table  # a label, not the id
    assert "disabled" in table
    result = runner.invoke(app, ["accounts", "disable", "ghost@example.org"])
    assert result.exit_code == 2 and "no account for ghost@example.org" in result.stderr


def test_audit_verify_names_the_first_broken_row(runner: CliRunner, data_dir: Path) -> None:
    db = Database(load_settings().resolved_database_url())
    now = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
    clinic.add_account(db, "doc@example.org", clinic.Role.CLINICIAN, "correct horse battery")
    clinic.add_account(
        db, "pat@example.org", clinic.Role.PATIENT, "correct horse battery", clinician_email="doc@example.org"
    )
    doctor = clinic.log_in(db, "doc@example.org", "correct horse battery", now, clinic.AddressLimiter(), "::1").actor
    patient = clinic.patients(db, doctor)[0]
    for what in ("history", "plan", "report"):
        clinic.patient_for(db, doctor, patient.account_id, what, "::1", now)
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0 and "3 rows" in result.stdout
    with db.unit_of_work() as uow:
        second = list(uow.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))[1]
        uow.execute(update(AuditEntry).where(AuditEntry.id == second).values(actor_email="someone@else.org"))
    db.dispose()
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1 and f"broken at row {second}" in result.stdout


def test_the_clinics_outcomes_from_the_terminal(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    assert "No patients yet" in runner.invoke(app, ["clinic", "outcomes"]).stdout
    db = Database(load_settings().resolved_database_url())
    clinic.add_account(db, "doc@example.org", clinic.Role.CLINICIAN, "correct horse battery")
    for email in ("one@example.org", "two@example.org"):
        clinic.add_account(db, email, clinic.Role.PATIENT, "correct horse battery", clinician_email="doc@example.org")
    db.dispose()
    result = runner.invoke(app, ["clinic", "outcomes", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["patients"] == 2 and figures["pain_trend"]["not_enough_data_yet"] == 2
    assert figures["pain_trend"]["better_percent_of_known"] is None  # no share of nobody
    words = runner.invoke(app, ["clinic", "outcomes"]).stdout
    assert "2 patients." in words and "Not enough pain scores yet for a trend: 2." in words
