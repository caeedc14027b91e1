"""Queries of clinic mode: accounts, login sessions, invites, the audit chain and alerts."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session, aliased

from hangtime.store.db import Database
from hangtime.store.models import (
    Account,
    AlertRecord,
    AuditEntry,
    Base,
    ClinicianNote,
    Invite,
    LoginSession,
    Owner,
    SessionEventRecord,
    SessionRecord,
)

GENESIS = "0" * 64
# Appending to the chain reads the last hash, so appends are serialised: a lock in this process, and on PostgreSQL a
# transaction-scoped advisory lock across processes (SQLite serialises writers itself, one process per file).
_AUDIT_LOCK = threading.Lock()
_AUDIT_ADVISORY_KEY = 0x48414E47  # "HANG"


def utc(at: dt.datetime) -> dt.datetime:
    """Timestamps are compared and hashed in UTC; SQLite hands them back without a time zone."""
    return at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- accounts -------------------------------------------------------------------------------------------------------


def account_by_email(uow: Session, email: str) -> Account | None:
    return uow.scalar(select(Account).where(Account.email == email.strip().lower()))


def account_by_id(uow: Session, account_id: int) -> Account | None:
    return uow.get(Account, account_id)


def owner_handle(uow: Session, account: Account) -> str:
    handle = uow.scalar(select(Owner.handle).where(Owner.id == account.owner_id))
    assert handle is not None
    return handle


def add_account(
    uow: Session, email: str, role: str, clinician_id: int | None, profession: str | None, password_hash: str | None
) -> Account:
    # An opaque handle, so logs and use cases name the person without their email.
    owner = Owner(handle=f"acct-{secrets.token_hex(8)}", display_name="", role=role)
    uow.add(owner)
    uow.flush()
    account = Account(
        email=email.strip().lower(),
        role=role,
        owner_id=owner.id,
        clinician_id=clinician_id,
        profession=profession,
        password_hash=password_hash,
    )
    uow.add(account)
    uow.flush()
    return account


def accounts(uow: Session) -> list[Account]:
    return list(uow.scalars(select(Account).order_by(Account.id)))


def patients_of(uow: Session, clinician_id: int) -> list[tuple[int, str, str, int]]:
    """(account id, email, owner handle, owner id) of a clinician's patients, in one query."""
    query = (
        select(Account.id, Account.email, Owner.handle, Account.owner_id)
        .join(Owner, Owner.id == Account.owner_id)
        .where(Account.clinician_id == clinician_id, Account.role == "patient")
    )
    return [(a, e, h, o) for a, e, h, o in uow.execute(query.order_by(Account.email))]


def delete_account(uow: Session, account: Account) -> None:
    """Every row of the person's data goes with their owner row (ON DELETE CASCADE)."""
    uow.execute(delete(LoginSession).where(LoginSession.account_id == account.id))
    uow.execute(update(AlertRecord).where(AlertRecord.acknowledged_by == account.id).values(acknowledged_by=None))
    owner_id = account.owner_id
    uow.delete(account)
    uow.flush()
    uow.execute(delete(Owner).where(Owner.id == owner_id))


# -- login sessions and invites -------------------------------------------------------------------------------------


def add_login_session(uow: Session, account_id: int, now: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    uow.add(LoginSession(token_hash=token_hash(token), account_id=account_id, created_at=now, last_seen_at=now))
    return token


def login_session(uow: Session, token: str) -> LoginSession | None:
    return uow.get(LoginSession, token_hash(token))


# Asked on every signed-in request: built once, so SQLAlchemy does not compute its cache key each time.
SIGNED_IN_QUERY = (
    select(LoginSession, Account, Owner.handle)
    .join(Account, Account.id == LoginSession.account_id)
    .join(Owner, Owner.id == Account.owner_id)
    .where(LoginSession.token_hash == bindparam("token_hash"))
)


def login_session_with_account(uow: Session, token: str) -> tuple[LoginSession, Account, str] | None:
    """The login session, its account and the account's owner handle in one query: every signed-in request asks,
    and three lookups were a sixth of a small read's time (profiled)."""
    row = uow.execute(SIGNED_IN_QUERY, {"token_hash": token_hash(token)}).first()
    return None if row is None else (row[0], row[1], row[2])


def end_login_sessions(uow: Session, account_id: int) -> None:
    uow.execute(delete(LoginSession).where(LoginSession.account_id == account_id))


def add_invite(uow: Session, account_id: int, expires_at: dt.datetime) -> str:
    token = secrets.token_urlsafe(32)
    uow.add(Invite(token_hash=token_hash(token), account_id=account_id, expires_at=expires_at))
    return token


def invite(uow: Session, token: str) -> Invite | None:
    return uow.get(Invite, token_hash(token))


# -- the audit chain ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    at: dt.datetime
    actor_account_id: int | None
    actor_email: str
    action: str
    what: str
    patient_account_id: int | None
    address: str


def _chain_hash(previous: str, line: AuditLine) -> str:
    fields = [
        previous,
        utc(line.at).isoformat(timespec="microseconds"),
        line.actor_account_id,
        line.actor_email,
        line.action,
        line.what,
        line.patient_account_id,
        line.address,
    ]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


@contextmanager
def auditing(db: Database) -> Iterator[Session]:
    """A unit of work that may append to the audit chain: serialised from reading the last hash to the commit (a
    process lock; on PostgreSQL also a transaction-scoped advisory lock, for several processes)."""
    with _AUDIT_LOCK, db.unit_of_work() as uow:
        if uow.get_bind().dialect.name == "postgresql":
            uow.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUDIT_ADVISORY_KEY})
        yield uow


def append_audit(uow: Session, line: AuditLine) -> None:
    """Append one row to the chain; only inside `auditing()`, whose commit ends the serialised section."""
    append_audit_rows(uow, [line])


def append_audit_rows(uow: Session, lines: list[AuditLine]) -> None:
    """Append rows in order with one read of the last hash and one insert (a dashboard audits 500 patients at once:
    a read and an insert per row took 300 ms). Only inside `auditing()`."""
    previous = uow.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    rows = []
    for line in lines:
        digest = _chain_hash(previous, line)
        rows.append(
            {
                "at": utc(line.at),
                "actor_account_id": line.actor_account_id,
                "actor_email": line.actor_email,
                "action": line.action,
                "what": line.what,
                "patient_account_id": line.patient_account_id,
                "address": line.address,
                "previous_hash": previous,
                "hash": digest,
            }
        )
        previous = digest
    if rows:
        # Core executemany on the session's connection: 500 rows took 40 ms by the ORM's bulk path, 30 ms so (profiled).
        uow.connection().execute(insert(cast(Table, AuditEntry.__table__)), rows)


def _as_line(row: AuditEntry) -> AuditLine:
    return AuditLine(
        row.at, row.actor_account_id, row.actor_email, row.action, row.what, row.patient_account_id, row.address
    )


def audit_rows(uow: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    """The whole chain in order, a batch at a time (it grows with every read of a patient's data)."""
    last = 0
    while True:
        rows = list(uow.scalars(select(AuditEntry).where(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def first_broken_row(uow: Session) -> tuple[int, str] | None:
    """The first row whose hash or link does not hold, with why; None when the chain is whole.

    A changed row no longer matches its hash; a deleted row leaves the next row pointing at a hash that is not the
    previous row's; ids must follow one another, so deleting the last rows is seen by a gap only if a row follows
    (the count is reported by `audit verify`)."""
    previous = GENESIS
    expected_id: int | None = None
    for row in audit_rows(uow):
        if expected_id is not None and row.id != expected_id:
            return row.id, f"rows {expected_id} to {row.id - 1} are missing"
        if row.previous_hash != previous:
            return row.id, "it does not follow the row before it (a row was deleted or changed)"
        if _chain_hash(previous, _as_line(row)) != row.hash:
            return row.id, "its content does not match its hash (it was changed)"
        previous = row.hash
        expected_id = row.id + 1
    return None


def audit_count(uow: Session) -> int:
    return uow.scalar(select(func.count()).select_from(AuditEntry)) or 0


def audit_for_patient(uow: Session, patient_account_id: int, limit: int = 200) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.patient_account_id == patient_account_id)
    return list(uow.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))


# -- alerts ---------------------------------------------------------------------------------------------------------


def add_alert(uow: Session, owner_id: int, kind: str, alert_text: str, now: dt.datetime) -> None:
    uow.add(AlertRecord(owner_id=owner_id, kind=kind, text=alert_text[:500], created_at=now))


def alerts_for_owners(uow: Session, owner_ids: list[int], *, open_only: bool, limit: int = 200) -> list[AlertRecord]:
    if not owner_ids:
        return []
    query = select(AlertRecord).where(AlertRecord.owner_id.in_(owner_ids))
    if open_only:
        query = query.where(AlertRecord.acknowledged_at.is_(None))
    return list(uow.scalars(query.order_by(AlertRecord.id.desc()).limit(limit)))


def alert(uow: Session, alert_id: int) -> AlertRecord | None:
    return uow.get(AlertRecord, alert_id)


# -- a person's own data, all of it ---------------------------------------------------------------------------------

# Never part of an export: secrets, and counters that only guard the login.
_NOT_EXPORTED = {"password_hash", "failed_logins", "locked_until", "token_hash"}


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def owner_rows(uow: Session, owner_id: int) -> dict[str, list[dict[str, object]]]:
    """Every row of every table that belongs to the person (any table with an owner_id, and the events of their
    sessions): a new table is exported without anyone remembering to add it."""
    exported: dict[str, list[dict[str, object]]] = {}
    for table in Base.metadata.sorted_tables:
        if "owner_id" not in table.c:
            continue
        rows = uow.execute(select(table).where(table.c.owner_id == owner_id).order_by(*table.primary_key.columns))
        exported[table.name] = [
            {key: _plain(value) for key, value in row._mapping.items() if key not in _NOT_EXPORTED} for row in rows
        ]
    events = select(SessionEventRecord.__table__).join(SessionRecord, SessionRecord.id == SessionEventRecord.session_id)
    rows = uow.execute(events.where(SessionRecord.owner_id == owner_id).order_by(SessionEventRecord.id))
    exported["session_events"] = [{key: _plain(value) for key, value in row._mapping.items()} for row in rows]
    return exported


def alerts_to_email(uow: Session, limit: int = 100) -> list[tuple[int, str]]:
    """(alert id, clinician's email) for open alerts of patients not yet emailed, oldest first."""
    patient = aliased(Account)
    clinician = aliased(Account)
    query = (
        select(AlertRecord.id, clinician.email)
        .join(patient, patient.owner_id == AlertRecord.owner_id)
        .join(clinician, clinician.id == patient.clinician_id)
        .where(AlertRecord.emailed_at.is_(None), AlertRecord.acknowledged_at.is_(None), clinician.disabled.is_(False))
        .order_by(AlertRecord.id)
        .limit(limit)
    )
    return [(alert_id, email) for alert_id, email in uow.execute(query)]


def mark_emailed(uow: Session, alert_id: int, now: dt.datetime) -> None:
    uow.execute(update(AlertRecord).where(AlertRecord.id == alert_id).values(emailed_at=now))


def add_note(uow: Session, owner_id: int, author_email: str, note_text: str, now: dt.datetime) -> None:
    uow.add(ClinicianNote(owner_id=owner_id, author_email=author_email, created_at=now, text=note_text))


def notes(uow: Session, owner_id: int, limit: int = 100) -> list[ClinicianNote]:
    query = select(ClinicianNote).where(ClinicianNote.owner_id == owner_id)
    return list(uow.scalars(query.order_by(ClinicianNote.id.desc()).limit(limit)))


def guided_sessions(
    uow: Session, owner_id: int, limit: int = 50
) -> list[tuple[SessionRecord, list[SessionEventRecord]]]:
    """The newest guided sessions with their journals (events, commands and buddy-alert attempts)."""
    records = list(
        uow.scalars(
            select(SessionRecord)
            .where(SessionRecord.owner_id == owner_id)
            .order_by(SessionRecord.id.desc())
            .limit(limit)
        )
    )
    if not records:
        return []
    rows = uow.scalars(
        select(SessionEventRecord)
        .where(SessionEventRecord.session_id.in_([r.id for r in records]))
        .order_by(SessionEventRecord.id)
    )
    by_session: dict[int, list[SessionEventRecord]] = {r.id: [] for r in records}
    for row in rows:
        by_session[row.session_id].append(row)
    return [(record, by_session[record.id]) for record in records]
