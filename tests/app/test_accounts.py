"""Clinic accounts, logging in and the audit chain, on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import delete, select, update

from hangtime.app import clinic
from hangtime.app.clinic import Role
from hangtime.core.evidence import Clearer, Evidence
from hangtime.store import Database
from hangtime.store.models import AuditEntry

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery"
# Cheap hashing parameters for the tests; the rehash test switches back to the defaults.
CHEAP = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clinic, "PASSWORDS", CHEAP)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = (
        f"sqlite:///{tmp_path / 'clinic.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    )
    database = Database(url)
    yield database
    database.dispose()


def clinic_of(db: Database) -> None:
    clinic.add_account(db, "admin@example.org", Role.ADMIN, PASSWORD)
    clinic.add_account(db, "doc@example.org", Role.CLINICIAN, PASSWORD, profession=Clearer.PHYSICAL_THERAPIST)
    clinic.add_account(db, "other@example.org", Role.CLINICIAN, PASSWORD, profession=Clearer.PHYSICIAN)
    clinic.add_account(db, "a@example.org", Role.PATIENT, PASSWORD, clinician_email="doc@example.org")
    clinic.add_account(db, "b@example.org", Role.PATIENT, PASSWORD, clinician_email="other@example.org")


def log_in(db: Database, email: str, password: str = PASSWORD, now: dt.datetime = NOW) -> clinic.Login:
    return clinic.log_in(db, email, password, now, clinic.AddressLimiter(), "127.0.0.1")


def test_accounts_are_checked_before_anything_is_written(db: Database) -> None:
    clinic_of(db)
    refused = [
        ("not-an-email", Role.ADMIN, PASSWORD, None, "not an email address"),
        ("c@example.org", Role.ADMIN, "eleven char", None, "at least 12 characters"),
        ("c@example.org", Role.PATIENT, PASSWORD, None, "needs a clinician"),
        ("c@example.org", Role.PATIENT, PASSWORD, "admin@example.org", "not a clinician's account"),
        ("DOC@example.org", Role.CLINICIAN, PASSWORD, None, "already an account"),
        ("c@example.org", Role.ADMIN, PASSWORD, "doc@example.org", "only a patient has a clinician"),
    ]
    for email, role, password, clinician_email, message in refused:
        with pytest.raises(clinic.AccountError, match=message):
            clinic.add_account(db, email, role, password, clinician_email=clinician_email)
    assert [v.email for v in clinic.list_accounts(db)] == [
        "admin@example.org",
        "doc@example.org",
        "other@example.org",
        "a@example.org",
        "b@example.org",
    ]
    # Exactly 12 characters is enough.
    clinic.add_account(db, "c@example.org", Role.ADMIN, "twelve chars")


def test_login_rotates_the_session_and_fails_with_one_message(db: Database) -> None:
    clinic_of(db)
    first, second = log_in(db, "a@example.org"), log_in(db, "A@Example.org ")
    assert first.token != second.token
    assert first.actor.role is Role.PATIENT and first.actor.owner_handle.startswith("acct-")
    assert clinic.signed_in(db, first.token, NOW) == first.actor
    for email, password in [("a@example.org", "wrong password!"), ("nobody@example.org", PASSWORD)]:
        with pytest.raises(clinic.LoginFailed) as refused:
            log_in(db, email, password)
        assert str(refused.value) == clinic.LOGIN_FAILED
    clinic.log_out(db, first.token)
    assert clinic.signed_in(db, first.token, NOW) is None
    assert clinic.signed_in(db, second.token, NOW) is not None


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(db: Database) -> None:
    clinic_of(db)
    for _ in range(clinic.LOCK_AFTER_FAILURES - 1):
        with pytest.raises(clinic.LoginFailed):
            log_in(db, "a@example.org", "wrong password!")
    log_in(db, "a@example.org")  # four failures and then the right password: in, and the count starts again
    for _ in range(clinic.LOCK_AFTER_FAILURES):
        with pytest.raises(clinic.LoginFailed):
            log_in(db, "a@example.org", "wrong password!")
    with pytest.raises(clinic.LoginFailed):  # the right password, but locked
        log_in(db, "a@example.org", now=NOW + clinic.LOCK_FOR - dt.timedelta(seconds=1))
    log_in(db, "a@example.org", now=NOW + clinic.LOCK_FOR + dt.timedelta(seconds=1))


def test_failed_logins_from_one_address_are_limited() -> None:
    limiter = clinic.AddressLimiter(limit=3)
    for _ in range(3):
        limiter.check("10.0.0.1")
        limiter.failed("10.0.0.1")
    with pytest.raises(clinic.TooManyAttempts):
        limiter.check("10.0.0.1")
    limiter.check("10.0.0.2")


def test_sessions_expire_when_idle_and_when_old(db: Database) -> None:
    clinic_of(db)
    login = log_in(db, "a@example.org")
    assert clinic.signed_in(db, login.token, NOW + clinic.IDLE_TIMEOUT) is not None  # exactly at the limit: still in
    login = log_in(db, "a@example.org")
    assert clinic.signed_in(db, login.token, NOW + clinic.IDLE_TIMEOUT + dt.timedelta(seconds=1)) is None
    login = log_in(db, "a@example.org")
    moment = NOW
    while moment < NOW + clinic.ABSOLUTE_TIMEOUT:  # active all along, but never past 12 hours
        moment += dt.timedelta(minutes=20)
        alive = clinic.signed_in(db, login.token, moment)
        assert (alive is not None) == (moment - NOW <= clinic.ABSOLUTE_TIMEOUT)


def test_a_disabled_account_is_signed_out_and_cannot_sign_in(db: Database) -> None:
    clinic_of(db)
    login = log_in(db, "a@example.org")
    clinic.disable_account(db, "a@example.org")
    assert clinic.signed_in(db, login.token, NOW) is None
    with pytest.raises(clinic.LoginFailed):
        log_in(db, "a@example.org")


def test_a_password_is_rehashed_when_the_parameters_change(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    clinic_of(db)
    stronger = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=16, parallelism=1),))
    monkeypatch.setattr(clinic, "PASSWORDS", stronger)
    log_in(db, "a@example.org")
    with db.unit_of_work() as uow:
        from hangtime.store import clinic as store

        account = store.account_by_email(uow, "a@example.org")
        assert account is not None and account.password_hash is not None
        assert "t=2" in account.password_hash and stronger.verify_and_update(PASSWORD, account.password_hash) == (
            True,
            None,
        )


def test_invitations_are_one_time_and_expire(db: Database) -> None:
    clinic_of(db)
    admin = log_in(db, "admin@example.org").actor
    doctor = log_in(db, "doc@example.org").actor
    patient = log_in(db, "a@example.org").actor
    with pytest.raises(clinic.NotAllowed):
        clinic.invite(db, patient, "x@example.org", NOW)
    clinician_token = clinic.invite(db, admin, "new-doc@example.org", NOW, profession=Clearer.PHYSICIAN)
    patient_token = clinic.invite(db, doctor, "new-patient@example.org", NOW)
    views = {v.email: v for v in clinic.list_accounts(db)}
    assert views["new-doc@example.org"].role is Role.CLINICIAN and not views["new-doc@example.org"].has_password
    assert views["new-patient@example.org"].clinician_email == "doc@example.org"
    with pytest.raises(clinic.LoginFailed):  # no password yet
        log_in(db, "new-patient@example.org")
    with pytest.raises(clinic.AccountError, match="not valid any more"):
        clinic.accept_invite(db, clinician_token, PASSWORD, NOW + clinic.INVITE_VALID_FOR + dt.timedelta(seconds=1))
    clinic.accept_invite(db, patient_token, PASSWORD, NOW + clinic.INVITE_VALID_FOR)  # exactly at the limit
    with pytest.raises(clinic.AccountError, match="not valid any more"):
        clinic.accept_invite(db, patient_token, "another password!", NOW)
    assert log_in(db, "new-patient@example.org").actor.role is Role.PATIENT


def test_a_clinician_reaches_only_their_own_patients_and_every_read_is_audited(db: Database) -> None:
    clinic_of(db)
    doctor = log_in(db, "doc@example.org").actor
    other = log_in(db, "other@example.org").actor
    admin = log_in(db, "admin@example.org").actor
    mine = clinic.patients(db, doctor)
    assert [p.email for p in mine] == ["a@example.org"]
    patient_a = mine[0]
    assert clinic.patient_for(db, doctor, patient_a.account_id, "history", "10.0.0.5", NOW) == patient_a
    for actor in (other, admin):
        with pytest.raises(clinic.NotAllowed):
            clinic.patient_for(db, actor, patient_a.account_id, "history", "10.0.0.6", NOW)
    with pytest.raises(clinic.NotAllowed):
        clinic.patients(db, admin)
    a = log_in(db, "a@example.org").actor
    looked = clinic.who_looked(db, a)
    assert [(r.who, r.action, r.what) for r in looked] == [("doc@example.org", "read", "history")]
    assert clinic.verify_audit(db) == clinic.AuditCheck(1, None, None)


def test_a_changed_or_deleted_audit_row_is_named(db: Database) -> None:
    clinic_of(db)
    doctor = log_in(db, "doc@example.org").actor
    patient_id = clinic.patients(db, doctor)[0].account_id
    for what in ("history", "plan", "screening", "report", "fhir"):
        clinic.patient_for(db, doctor, patient_id, what, "10.0.0.5", NOW)
    assert clinic.verify_audit(db).broken_at is None
    with db.unit_of_work() as uow:
        ids = list(uow.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
        uow.execute(update(AuditEntry).where(AuditEntry.id == ids[2]).values(what="nothing"))
    check = clinic.verify_audit(db)
    assert check.broken_at == ids[2] and "changed" in (check.why or "")
    with db.unit_of_work() as uow:
        uow.execute(update(AuditEntry).where(AuditEntry.id == ids[2]).values(what="screening"))
    assert clinic.verify_audit(db).broken_at is None
    with db.unit_of_work() as uow:
        uow.execute(delete(AuditEntry).where(AuditEntry.id == ids[1]))
    check = clinic.verify_audit(db)
    assert check.broken_at == ids[2] and "missing" in (check.why or "")


def test_new_alerts_are_emailed_to_the_clinician_once_without_health_data(
    db: Database, smtp_server: tuple[Any, int], evidence: Evidence
) -> None:
    import asyncio

    from hangtime.app import services
    from hangtime.core.planning import SessionLog
    from hangtime.notify.buddy import SmtpSettings

    clinic_of(db)
    patient = log_in(db, "a@example.org").actor
    services.log_sessions(
        db, evidence, [SessionLog(date=NOW.date(), pain_before=9)], NOW.date(), owner_handle=patient.owner_handle
    )
    mailbox, port = smtp_server
    down = SmtpSettings(host="127.0.0.1", port=1, sender="hangtime@clinic.example")
    assert asyncio.run(clinic.email_new_alerts(db, down, None, NOW)) == 0, "a failed email stays in the outbox"
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="hangtime@clinic.example")
    assert asyncio.run(clinic.email_new_alerts(db, smtp, "https://clinic.example/", NOW)) == 1
    assert asyncio.run(clinic.email_new_alerts(db, smtp, "https://clinic.example/", NOW)) == 0, "emailed once"
    [message] = mailbox.messages
    assert message.rcpt_tos == ["doc@example.org"]
    body = str(message_from_bytes(message.content).get_payload())
    assert "https://clinic.example/clinic" in body
    assert "9" not in body and "pain" not in body.lower() and "a@example.org" not in body
