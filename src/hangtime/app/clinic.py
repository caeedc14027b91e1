"""Use cases of clinic mode: accounts, logging in, invitations, who may read whom, the audit chain and alerts.

Roles: a patient owns their data; a clinician reads and adjusts their own patients'; an admin manages accounts and
reads no health data. Every read or change of a patient's data by anyone but that patient is audited.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import BaseModel, EmailStr, ValidationError
from sqlalchemy.orm import Session

from hangtime.app.observability import use_case
from hangtime.app.services.alerts import ALERT_LABELS
from hangtime.app.services.reports import GuidedSession, owner_guided_sessions
from hangtime.core.errors import HangtimeError
from hangtime.core.evidence import Clearer
from hangtime.core.outcomes import ClinicOutcomes, pain_change_from_sums, summarise_outcomes
from hangtime.core.screening import CLEARER_LABELS
from hangtime.notify.buddy import SmtpSettings, send_email
from hangtime.store import Database, repo
from hangtime.store import clinic as store
from hangtime.store.models import Account

LOG = logging.getLogger("hangtime.clinic")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# Five wrong passwords in a row lock the account for 15 minutes (OWASP ASVS 2.2.1); the lock says nothing more than
# any other failed login, so it does not tell an attacker which emails exist.
LOCK_AFTER_FAILURES = 5
LOCK_FOR = dt.timedelta(minutes=15)
INVITE_VALID_FOR = dt.timedelta(days=3)
# A signed-in browser is forgotten after 30 idle minutes and after 12 hours in any case.
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
LOGIN_FAILED = "The email or password is not right, or the account cannot sign in now."

PASSWORDS = PasswordHash((Argon2Hasher(),))
# Verified when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = PASSWORDS.hash("not a password of anyone's")


class Role(StrEnum):
    PATIENT = "patient"
    CLINICIAN = "clinician"
    ADMIN = "admin"


PROFESSION_LABELS = CLEARER_LABELS  # a clinician's profession is who they are for the clearance rules
ROLE_LABELS = {Role.PATIENT: "Patient", Role.CLINICIAN: "Clinician", Role.ADMIN: "Administrator"}


class AccountError(HangtimeError):
    """An account request that cannot be carried out."""


class LoginFailed(HangtimeError):
    """Wrong email or password, a disabled or locked account: one message for all of them."""

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED)


class TooManyAttempts(HangtimeError):
    """Too many failed logins from one address."""


class NotAllowed(HangtimeError):
    """The signed-in person may not do this (or read this patient)."""


@dataclass(frozen=True)
class Actor:
    """Who is signed in: their account, role, and the data handle their own use cases act for."""

    account_id: int
    email: str
    role: Role
    owner_handle: str
    profession: Clearer | None = None

    @property
    def label(self) -> str:
        return f"{self.email} ({ROLE_LABELS[self.role].lower()})"


@dataclass(frozen=True)
class AccountView:
    id: int
    email: str
    role: Role
    clinician_email: str | None
    profession: str | None
    disabled: bool
    has_password: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "email": self.email,
            "role": self.role.value,
            "clinician": self.clinician_email,
            "profession": self.profession,
            "disabled": self.disabled,
            "has_password": self.has_password,
        }


class _Email(BaseModel):
    email: EmailStr


def normalised_email(email: str) -> str:
    try:
        return str(_Email(email=email.strip()).email).lower()
    except ValidationError:
        raise AccountError(f"'{email}' is not an email address: enter one like name@example.org") from None


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"the password may have at most {MAX_PASSWORD_LENGTH} characters")


def _view(account: Account, clinician: Account | None) -> AccountView:
    return AccountView(
        account.id,
        account.email,
        Role(account.role),
        clinician.email if clinician else None,
        account.profession,
        account.disabled,
        account.password_hash is not None,
    )


def _actor(handle: str, account: Account) -> Actor:
    profession = Clearer(account.profession) if account.profession in set(Clearer) else None
    return Actor(account.id, account.email, Role(account.role), handle, profession)


# -- accounts -------------------------------------------------------------------------------------------------------


@use_case
def add_account(
    db: Database,
    email: str,
    role: Role,
    password: str | None,
    *,
    clinician_email: str | None = None,
    profession: Clearer | None = None,
) -> AccountView:
    """An account; without a password it waits for an invitation to be accepted."""
    email = normalised_email(email)
    if password is not None:
        check_password(password)
    if role is Role.PATIENT and clinician_email is None:
        raise AccountError("a patient needs a clinician: name one with --clinician")
    if role is not Role.PATIENT and clinician_email is not None:
        raise AccountError("only a patient has a clinician")
    if profession is not None and role is not Role.CLINICIAN:
        raise AccountError("only a clinician has a profession")
    with db.unit_of_work() as uow:
        if store.account_by_email(uow, email) is not None:
            raise AccountError(f"there is already an account for {email}")
        clinician = None
        if clinician_email is not None:
            clinician = store.account_by_email(uow, normalised_email(clinician_email))
            if clinician is None or clinician.role != Role.CLINICIAN:
                raise AccountError(f"{clinician_email} is not a clinician's account")
        hashed = PASSWORDS.hash(password) if password is not None else None
        account = store.add_account(
            uow,
            email,
            role.value,
            clinician.id if clinician else None,
            profession.value if profession else None,
            hashed,
        )
        return _view(account, clinician)


def list_accounts(db: Database) -> list[AccountView]:
    with db.unit_of_work() as uow:
        rows = store.accounts(uow)
        by_id = {a.id: a for a in rows}
        return [_view(a, by_id.get(a.clinician_id) if a.clinician_id else None) for a in rows]


@use_case
def disable_account(db: Database, email: str) -> None:
    """A disabled account cannot sign in, and its signed-in browsers are signed out."""
    with db.unit_of_work() as uow:
        account = store.account_by_email(uow, normalised_email(email))
        if account is None:
            raise AccountError(f"there is no account for {email}")
        account.disabled = True
        store.end_login_sessions(uow, account.id)


# -- logging in -----------------------------------------------------------------------------------------------------


class AddressLimiter:
    """Failed logins per address in a sliding window (per account, the lock is in the database)."""

    def __init__(self, limit: int = 20, window_s: float = 900.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(address, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def check(self, address: str) -> None:
        with self._lock:
            if len(self._recent(address, time.monotonic())) >= self.limit:
                raise TooManyAttempts("Too many failed sign-ins from this address: wait 15 minutes and try again.")

    def failed(self, address: str) -> None:
        with self._lock:
            self._recent(address, time.monotonic()).append(time.monotonic())


@dataclass(frozen=True)
class Login:
    token: str
    actor: Actor


def log_in(db: Database, email: str, password: str, now: dt.datetime, limiter: AddressLimiter, address: str) -> Login:
    """A new login session (a fresh token: the id rotates at every login), or LoginFailed."""
    limiter.check(address)
    with db.unit_of_work() as uow:
        account = store.account_by_email(uow, email.strip().lower())
        if account is None or account.password_hash is None:
            PASSWORDS.verify(password, _DUMMY_HASH)
            ok = False
        else:
            ok, updated = PASSWORDS.verify_and_update(password, account.password_hash)
            locked = account.locked_until is not None and store.utc(account.locked_until) > now
            if ok and not locked and not account.disabled:
                if updated is not None:  # the hashing parameters changed since this password was set
                    account.password_hash = updated
                account.failed_logins = 0
                account.locked_until = None
                token = store.add_login_session(uow, account.id, now)
                return Login(token, _actor(store.owner_handle(uow, account), account))
            if not ok:
                account.failed_logins += 1
                if account.failed_logins >= LOCK_AFTER_FAILURES:
                    account.locked_until = now + LOCK_FOR
                    account.failed_logins = 0
    limiter.failed(address)
    raise LoginFailed()


def signed_in(db: Database, token: str, now: dt.datetime) -> Actor | None:
    """The actor behind a session cookie, or None when it is unknown, idle too long, too old or disabled."""
    with db.unit_of_work() as uow:
        found = store.login_session_with_account(uow, token)
        if found is None:
            return None
        login, account, handle = found
        expired = (
            now - store.utc(login.last_seen_at) > IDLE_TIMEOUT or now - store.utc(login.created_at) > ABSOLUTE_TIMEOUT
        )
        if account.disabled or expired:
            uow.delete(login)
            return None
        # Written at most once a minute, so reading pages does not turn every request into a write.
        if now - store.utc(login.last_seen_at) > dt.timedelta(minutes=1):
            login.last_seen_at = now
        return _actor(handle, account)


def log_out(db: Database, token: str) -> None:
    with db.unit_of_work() as uow:
        found = store.login_session(uow, token)
        if found is not None:
            uow.delete(found)


# -- invitations ----------------------------------------------------------------------------------------------------


@use_case
def invite(db: Database, inviter: Actor, email: str, now: dt.datetime, *, profession: Clearer | None = None) -> str:
    """An admin invites a clinician, a clinician a patient of theirs: the account, and a one-time token to set a
    password (valid 3 days)."""
    if inviter.role is Role.ADMIN:
        role, clinician = Role.CLINICIAN, None
    elif inviter.role is Role.CLINICIAN:
        role, clinician = Role.PATIENT, inviter.email
        profession = None
    else:
        raise NotAllowed("only an administrator or a clinician can invite")
    view = add_account(db, email, role, None, clinician_email=clinician, profession=profession)
    with store.auditing(db) as uow:
        token = store.add_invite(uow, view.id, now + INVITE_VALID_FOR)
        if role is Role.PATIENT:
            _audit(uow, inviter, "change", "invited the patient", view.id, "", now)
    return token


def invite_email(db: Database, token: str, now: dt.datetime) -> str:
    """Whom an unused, unexpired invitation is for."""
    with db.unit_of_work() as uow:
        found = store.invite(uow, token)
        if found is None or found.used_at is not None or store.utc(found.expires_at) < now:
            raise AccountError("This invitation link is not valid any more: ask for a new one.")
        account = store.account_by_id(uow, found.account_id)
        assert account is not None
        return account.email


@use_case
def accept_invite(db: Database, token: str, password: str, now: dt.datetime) -> None:
    invite_email(db, token, now)
    check_password(password)
    with db.unit_of_work() as uow:
        found = store.invite(uow, token)
        assert found is not None
        account = store.account_by_id(uow, found.account_id)
        assert account is not None
        account.password_hash = PASSWORDS.hash(password)
        found.used_at = now


# -- who may read whom, and the audit chain -------------------------------------------------------------------------


@dataclass(frozen=True)
class Patient:
    account_id: int
    email: str
    owner_handle: str
    owner_id: int


def _audit(
    uow: Session, actor: Actor, action: str, what: str, patient_account_id: int | None, address: str, now: dt.datetime
) -> None:
    line = store.AuditLine(now, actor.account_id, actor.email, action, what, patient_account_id, address)
    store.append_audit(uow, line)


def patient_for(
    db: Database, actor: Actor, patient_account_id: int, what: str, address: str, now: dt.datetime, action: str = "read"
) -> Patient:
    """The patient a clinician may act on, with the access audited; NotAllowed for anyone else's patient.

    The refusal is the same whether the patient exists or not, so ids cannot be probed."""
    with store.auditing(db) as uow:
        account = store.account_by_id(uow, patient_account_id)
        allowed = (
            actor.role is Role.CLINICIAN
            and account is not None
            and account.role == Role.PATIENT
            and account.clinician_id == actor.account_id
        )
        if not allowed or account is None:
            raise NotAllowed("There is no patient of yours with this number.")
        _audit(uow, actor, action, what, account.id, address, now)
        return Patient(account.id, account.email, store.owner_handle(uow, account), account.owner_id)


def patients(db: Database, actor: Actor) -> list[Patient]:
    if actor.role is not Role.CLINICIAN:
        raise NotAllowed("Only a clinician has patients.")
    with db.unit_of_work() as uow:
        return [
            Patient(account_id, email, handle, owner_id)
            for account_id, email, handle, owner_id in store.patients_of(uow, actor.account_id)
        ]


@dataclass(frozen=True)
class AuditCheck:
    rows: int
    broken_at: int | None
    why: str | None


def verify_audit(db: Database) -> AuditCheck:
    with db.unit_of_work() as uow:
        broken = store.first_broken_row(uow)
        count = store.audit_count(uow)
    if broken is None:
        return AuditCheck(count, None, None)
    return AuditCheck(count, broken[0], broken[1])


@dataclass(frozen=True)
class AccessRecord:
    at: dt.datetime
    who: str
    action: str
    what: str

    def as_dict(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "who": self.who, "action": self.action, "what": self.what}


def who_looked(db: Database, actor: Actor) -> list[AccessRecord]:
    """A patient's view of the audit log: who read or changed their data, newest first."""
    with db.unit_of_work() as uow:
        rows = store.audit_for_patient(uow, actor.account_id)
        return [AccessRecord(store.utc(r.at), r.actor_email, r.action, r.what) for r in rows]


# -- the clinician's dashboard and alerts ---------------------------------------------------------------------------

EXPIRY_WARNING = dt.timedelta(days=14)


@dataclass(frozen=True)
class PatientRow:
    """One line of a clinician's dashboard."""

    account_id: int
    email: str
    outcome: str | None
    screening_valid_until: dt.date | None
    plan_week: int | None
    paused: bool
    last_session: dt.date | None
    days_with_data_30: int
    pain_trend: str
    open_alerts: int

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.account_id,
            "email": self.email,
            "screening_outcome": self.outcome,
            "screening_valid_until": self.screening_valid_until.isoformat() if self.screening_valid_until else None,
            "plan_week": self.plan_week,
            "paused": self.paused,
            "last_session": self.last_session.isoformat() if self.last_session else None,
            "days_with_data_last_30": self.days_with_data_30,
            "pain_trend": self.pain_trend,
            "open_alerts": self.open_alerts,
        }


@dataclass(frozen=True)
class AlertView:
    id: int
    patient_account_id: int
    patient_email: str
    kind: str
    label: str
    text: str
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "patient": self.patient_account_id,
            "patient_email": self.patient_email,
            "kind": self.kind,
            "label": self.label,
            "text": self.text,
            "created_at": self.created_at.isoformat(),
            "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
        }


def _expiry_text(valid_until: dt.date | None, today: dt.date) -> str | None:
    """A screening (and with it the clearances it read) that ends within 14 days: the alert's text, else None."""
    if valid_until is None or not today <= valid_until <= today + EXPIRY_WARNING:
        return None
    return f"The screening and its clearances run out on {valid_until.isoformat()}: screen again before then."


def _dashboard_rows(db: Database, actor: Actor, today: dt.date) -> tuple[list[PatientRow], dict[int, str]]:
    """Every row of the clinician's patients, and the expiry alerts still to raise (by owner)."""
    mine = patients(db, actor)
    with db.unit_of_work() as uow:
        figures = repo.dashboard_figures(uow, [p.owner_id for p in mine], today)
    rows = []
    expiring: dict[int, str] = {}
    for patient in mine:
        f = figures[patient.owner_id]
        text = _expiry_text(f.valid_until, today)
        if text is not None and text not in f.alert_texts:
            expiring[patient.owner_id] = text
        rows.append(
            PatientRow(
                patient.account_id,
                patient.email,
                f.outcome,
                f.valid_until,
                f.plan_week,
                f.paused,
                f.last_session,
                f.days_with_data,
                pain_change_from_sums(f.first_sum, f.last_sum, f.scored).direction,
                f.open_alerts + (1 if patient.owner_id in expiring else 0),
            )
        )
    return rows, expiring


def _audit_dashboard(
    db: Database, actor: Actor, shown: list[PatientRow], expiring: dict[int, str], now: dt.datetime, address: str
) -> None:
    """Reading the dashboard is audited once per patient shown; an expiry within 14 days raises its alert once."""
    with store.auditing(db) as uow:
        for owner, text in expiring.items():
            store.add_alert(uow, owner, "expiring", text, now)
        lines = [
            store.AuditLine(now, actor.account_id, actor.email, "read", "dashboard", row.account_id, address)
            for row in shown
        ]
        store.append_audit_rows(uow, lines)


def dashboard(db: Database, actor: Actor, today: dt.date, now: dt.datetime, address: str) -> list[PatientRow]:
    """The clinician's patients at a glance, read set-wise (a few queries whatever the number of patients); reading
    it is audited once per patient shown, and an expiry within 14 days raises its alert once."""
    rows, expiring = _dashboard_rows(db, actor, today)
    _audit_dashboard(db, actor, rows, expiring, now, address)
    return rows


def needs_attention_first(row: PatientRow, today: dt.date) -> tuple[object, ...]:
    """Open alerts first (most first), then a paused plan, pain worse, no session in 7 days, then by email."""
    quiet = row.last_session is None or (today - row.last_session).days > 7
    return (-row.open_alerts, not row.paused, row.pain_trend != "worse", not quiet, row.email)


@dataclass(frozen=True)
class DashboardPage:
    rows: list[PatientRow]
    patients: int
    page: int
    pages: int
    first: int
    summary: ClinicOutcomes


def dashboard_page(
    db: Database, actor: Actor, today: dt.date, now: dt.datetime, address: str, page: int = 1, per_page: int = 100
) -> DashboardPage:
    """The dashboard as a clinician reads it: the patients who need attention first, `per_page` at a time, with
    the outcomes of all of them. Only the patients shown are audited as read. Profiled at 500 patients, a page of
    all 500 spent 30 ms appending their audit rows and about as long drawing them."""
    rows, expiring = _dashboard_rows(db, actor, today)
    rows.sort(key=lambda row: needs_attention_first(row, today))
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * per_page : page * per_page]
    _audit_dashboard(db, actor, shown, expiring, now, address)
    return DashboardPage(shown, len(rows), page, pages, (page - 1) * per_page + 1, dashboard_outcomes(rows))


def dashboard_outcomes(rows: list[PatientRow]) -> ClinicOutcomes:
    """The dashboard's own patients summed up, from the rows it already read."""
    return summarise_outcomes((row.pain_trend, row.days_with_data_30) for row in rows)


def outcomes_in_words(figures: ClinicOutcomes) -> str:
    """The summary as a clinician reads it: shares of the patients whose trend is known, and the rest apart."""
    known = figures.patients - figures.not_enough_data
    lines = [f"{figures.patients} patients."]
    if known:
        lines.append(
            f"Pain trend, of the {known} with at least six pain scores: {figures.better} better"
            f" ({figures.share(figures.better)}%), {figures.no_important_change} with no important change"
            f" ({figures.share(figures.no_important_change)}%),"
            f" {figures.worse} worse ({figures.share(figures.worse)}%)."
            " Better or worse means by the minimal important change (2 points, or 30%)."
        )
    lines.append(f"Not enough pain scores yet for a trend: {figures.not_enough_data}.")
    lines.append(
        f"A session in the last 30 days: {figures.with_a_session_in_30_days} patients;"
        f" days with a session in the last 30, on average: {figures.mean_days_with_data_30}."
    )
    return "\n".join(lines)


def clinic_outcomes(
    db: Database, actor: Actor | None, today: dt.date, now: dt.datetime, address: str = ""
) -> ClinicOutcomes:
    """Pain trend and adherence over every patient of the clinic (an administrator, or the terminal when `actor` is
    None) or of one clinician: one row per patient from the database, never their sessions. Audited once: it names
    no patient, but a clinician with few patients could read one in it."""
    if actor is not None and actor.role is Role.PATIENT:
        raise NotAllowed("Only a clinician or an administrator can do this.")
    scope = repo.every_patient()
    if actor is not None and actor.role is Role.CLINICIAN:
        scope = scope.where(Account.clinician_id == actor.account_id)
    with db.unit_of_work() as uow:
        lines = [
            (
                pain_change_from_sums(int(row.first_sum), int(row.last_sum), int(row.scored)).direction,
                row.days_with_data,
            )
            for row in repo.session_figures(uow, scope, today)
        ]
    if actor is not None:
        with store.auditing(db) as uow:
            line = store.AuditLine(now, actor.account_id, actor.email, "read", "clinic outcomes", None, address)
            store.append_audit_rows(uow, [line])
    return summarise_outcomes(lines)


def alerts(db: Database, actor: Actor, *, open_only: bool = False) -> list[AlertView]:
    """A clinician's patients' alerts, newest first."""
    mine = {p.owner_id: p for p in patients(db, actor)}
    with db.unit_of_work() as uow:
        rows = store.alerts_for_owners(uow, list(mine), open_only=open_only)
        return [
            AlertView(
                r.id,
                mine[r.owner_id].account_id,
                mine[r.owner_id].email,
                r.kind,
                ALERT_LABELS.get(r.kind, "Alert"),
                r.text,
                store.utc(r.created_at),
                store.utc(r.acknowledged_at) if r.acknowledged_at else None,
            )
            for r in rows
        ]


@use_case
def acknowledge_alert(db: Database, actor: Actor, alert_id: int, now: dt.datetime, address: str) -> None:
    mine = {p.owner_id: p for p in patients(db, actor)}
    with store.auditing(db) as uow:
        found = store.alert(uow, alert_id)
        if found is None or found.owner_id not in mine:
            raise NotAllowed("There is no alert of your patients with this number.")
        if found.acknowledged_at is None:
            found.acknowledged_at = now
            found.acknowledged_by = actor.account_id
            _audit(uow, actor, "change", "acknowledged an alert", mine[found.owner_id].account_id, address, now)


# -- a patient's own data -------------------------------------------------------------------------------------------


@use_case
def delete_own_account(db: Database, actor: Actor, password: str, now: dt.datetime, address: str) -> None:
    """A patient deletes their account and every row of their data, after typing their password again.

    The audit log keeps that it happened (who, when, from where) and nothing of the health data."""
    if actor.role is not Role.PATIENT:
        raise NotAllowed("Only a patient deletes their own account here; an administrator disables other accounts.")
    with store.auditing(db) as uow:
        account = store.account_by_id(uow, actor.account_id)
        if account is None or account.password_hash is None or not PASSWORDS.verify(password, account.password_hash):
            raise AccountError("That is not your password: nothing was deleted.")
        _audit(uow, actor, "change", "deleted their account and all their data", actor.account_id, address, now)
        store.delete_account(uow, account)


# -- alerts by email ------------------------------------------------------------------------------------------------

ALERT_EMAIL_SUBJECT = "Hangtime: a new alert about one of your patients"


def alert_email_body(public_url: str | None) -> str:
    """No health data and no name in an email, which may cross servers unencrypted: only that there is an alert."""
    where = f"Sign in to see it: {public_url.rstrip('/')}/clinic" if public_url else "Sign in to Hangtime to see it."
    return f"One of your patients has a new alert in Hangtime.\n\n{where}\n"


async def email_new_alerts(db: Database, smtp: SmtpSettings, public_url: str | None, now: dt.datetime) -> int:
    """Email each patient's clinician about alerts not yet emailed; an alert whose email fails stays in the outbox
    and is tried again next time. Returns how many were sent."""
    with db.unit_of_work() as uow:
        pending = store.alerts_to_email(uow)
    sent = 0
    for alert_id, clinician_email in pending:
        try:
            await send_email(smtp, clinician_email, ALERT_EMAIL_SUBJECT, alert_email_body(public_url))
        except (OSError, smtplib.SMTPException) as exc:
            LOG.warning("alert email failed", extra={"error": type(exc).__name__})
            continue
        with db.unit_of_work() as uow:
            store.mark_emailed(uow, alert_id, now)
        sent += 1
    return sent


# -- a patient's guided sessions and the clinician's notes ----------------------------------------------------------


def guided_sessions(db: Database, patient: Patient, limit: int = 50) -> list[GuidedSession]:
    """A patient's guided sessions, newest first, with their events, symptoms, end and buddy alerts."""
    return owner_guided_sessions(db, patient.owner_id, limit)


@dataclass(frozen=True)
class Note:
    author: str
    at: dt.datetime
    text: str

    def as_dict(self) -> dict[str, str]:
        return {"author": self.author, "at": self.at.isoformat(), "text": self.text}


def add_note(db: Database, actor: Actor, patient: Patient, text: str, now: dt.datetime) -> None:
    text = text.strip()
    if not text:
        raise AccountError("the note is empty")
    if len(text) > 4000:
        raise AccountError("a note may have at most 4000 characters")
    with db.unit_of_work() as uow:
        store.add_note(uow, patient.owner_id, actor.email, text, now)


def patient_notes(db: Database, patient: Patient) -> list[Note]:
    with db.unit_of_work() as uow:
        return [Note(n.author_email, store.utc(n.created_at), n.text) for n in store.notes(uow, patient.owner_id)]
