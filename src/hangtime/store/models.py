"""Tables. Every record has an owner so clinic mode can add accounts without reshaping the data."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Date, DateTime, ForeignKey, Index, String, UniqueConstraint, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Owner(Base):
    __tablename__ = "owners"

    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20), default="person")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Profile(Base):
    __tablename__ = "profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True, unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    age: Mapped[int]
    height_cm: Mapped[float]
    weight_kg: Mapped[float]
    table_model: Mapped[str] = mapped_column(String(64), default="generic")
    experienced: Mapped[bool] = mapped_column(default=False)
    buddy: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    units: Mapped[str] = mapped_column(String(10), default="metric", server_default="metric")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ScreeningRecord(Base):
    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict[str, Any]]
    rules_version: Mapped[str] = mapped_column(String(32))
    screened_on: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ClearanceRow(Base):
    __tablename__ = "clearances"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    by: Mapped[str] = mapped_column(String(32))
    cleared_on: Mapped[dt.date] = mapped_column(Date)
    conditions: Mapped[list[Any]]
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    caps: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    valid_until: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlanRecord(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screenings.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default="active")
    data: Mapped[dict[str, Any]]
    # Copied out of `data` so that a dashboard of many patients reads two dates, not every plan document.
    start_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PlanRevisionRecord(Base):
    __tablename__ = "plan_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    week: Mapped[int]
    decision: Mapped[str] = mapped_column(String(20))
    from_level: Mapped[int]
    to_level: Mapped[int]
    text: Mapped[str] = mapped_column(String(2000))
    sources: Mapped[list[Any]]
    reason_code: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SessionLogRecord(Base):
    __tablename__ = "session_logs"
    __table_args__ = (Index("ix_session_logs_owner_date", "owner_id", "session_date", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"), nullable=True, index=True)
    session_date: Mapped[dt.date] = mapped_column(Date, index=True)
    completed: Mapped[bool]
    pain_before: Mapped[int | None]
    pain_after: Mapped[int | None]
    tolerance: Mapped[str | None] = mapped_column(String(20), nullable=True)
    symptoms: Mapped[list[Any]]
    angle_deg: Mapped[float | None]
    inverted_s: Mapped[int | None]
    origin: Mapped[str] = mapped_column(String(20), default="log")
    outside_prescription: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PauseRecord(Base):
    """A pause of the person's inversion (red-flag symptom, severe pain): no session until a clearance lifts it."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    since: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(2000))
    sources: Mapped[list[Any]]
    clearance_by: Mapped[list[Any]]
    symptoms: Mapped[list[Any]]
    urgent: Mapped[bool] = mapped_column(default=False)
    lifted_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SessionRecord(Base):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_owner_newest", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="SET NULL"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    config: Mapped[dict[str, Any]]
    end_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    held_s: Mapped[float | None]
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SessionEventRecord(Base):
    """The journal: every event in, every command out, and every buddy-alert attempt, written as it happens."""

    __tablename__ = "session_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"), index=True)
    t: Mapped[float]
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]]


# -- clinic mode ----------------------------------------------------------------------------------------------------


class Account(Base):
    """A login. Every account owns its own data row (`owner_id`); a patient names their clinician."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), unique=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True, nullable=True)
    # For a clinician: who they are for the rules on clearances (physician, physical_therapist, ...).
    profession: Mapped[str | None] = mapped_column(String(32), nullable=True)
    # None until an invited person sets a password.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    disabled: Mapped[bool] = mapped_column(default=False)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LoginSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie's token is stored, so a copy of the table logs no one in."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Invite(Base):
    """A one-time link to set a password; only its token's SHA-256 is stored."""

    __tablename__ = "invites"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEntry(Base):
    """Append-only: who read or changed which patient's data, when, from where. Each row's hash covers the row and
    the previous row's hash, so a changed or deleted row breaks the chain."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor_account_id: Mapped[int | None] = mapped_column(nullable=True)
    actor_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(String(200))
    patient_account_id: Mapped[int | None] = mapped_column(index=True, nullable=True)
    address: Mapped[str] = mapped_column(String(64), default="")
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AlertRecord(Base):
    """Something a clinician should see about a patient; acknowledged once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), nullable=True)
    # Set once the clinician was told by email (HANGTIME_ALERT_EMAILS): the alerts table is the outbox.
    emailed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ClinicianNote(Base):
    """A clinician's note on a patient, kept with the patient's data (and deleted with it)."""

    __tablename__ = "clinician_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    author_email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    text: Mapped[str] = mapped_column(String(4000))


class DiaryRecord(Base):
    """One pain score a day (a second entry for the same day replaces the first)."""

    __tablename__ = "pain_diary"
    __table_args__ = (UniqueConstraint("owner_id", "entry_date", name="uq_pain_diary_owner_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    pain: Mapped[int]
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class PegRecord(Base):
    """A week's PEG-3 (one per day at most; the same day replaces)."""

    __tablename__ = "peg_scores"
    __table_args__ = (UniqueConstraint("owner_id", "entry_date", name="uq_peg_owner_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    pain: Mapped[int]
    enjoyment: Mapped[int]
    activity: Mapped[int]


class GlobalImpressionRecord(Base):
    """The Patient Global Impression of Change at a plan week (4, 8, 12)."""

    __tablename__ = "global_impressions"
    __table_args__ = (UniqueConstraint("owner_id", "plan_week", name="uq_pgic_owner_week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    entry_date: Mapped[dt.date] = mapped_column(Date)
    plan_week: Mapped[int]
    answer: Mapped[int]


class TrialRecord(Base):
    """A personal trial: its design and seed (the schedule is rebuilt from them), and how it ended if stopped."""

    __tablename__ = "trials"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[dt.date] = mapped_column(Date)
    pairs: Mapped[int]
    block_days: Mapped[int]
    washout_days: Mapped[int]
    seed: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    stopped_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)


class SessionLogChange(Base):
    """A logged session changed or deleted by the person, with their reason and the log as it was: the history keeps
    every change (a deleted log leaves the aggregates, not the record)."""

    __tablename__ = "session_log_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"), index=True)
    log_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(10))  # "edited" or "deleted"
    reason: Mapped[str] = mapped_column(String(500))
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
