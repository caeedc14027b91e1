"""Use cases of the session log: typed and guided logs, interrupted sessions, the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from hangtime.app.observability import use_case
from hangtime.app.services.common import Logged, ServiceError, _store_log, check_log, pause_on_log
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import DaySummary, DiaryEntry, PainChange, pain_change_from_sums
from hangtime.core.pauses import Pause, pause_for_log
from hangtime.core.planning import (
    Pain,
    SessionLog,
    Tolerance,
)
from hangtime.store import Database, log_changes, repo
from hangtime.store.journal import awaiting_survey, close_interrupted, journal_rows, session_info


@use_case
def log_guided(db: Database, evidence: Evidence, owner: int, log: SessionLog, origin: str) -> Pause | None:
    """Store what a guided (or interrupted) session recorded: flagged, never refused, pausing on a red flag."""
    with db.unit_of_work() as uow:
        return _store_log(uow, evidence, owner, log, origin, guided=True)[1]


@dataclass(frozen=True)
class InterruptedSession:
    session_id: int
    started: dt.datetime
    events: int


def interrupted_sessions(db: Database, owner: int) -> list[InterruptedSession]:
    """Sessions cut off (crash, kill, server restart) whose survey is still to be taken, oldest first."""
    found = []
    for session_id in awaiting_survey(db, owner):
        info = session_info(db, session_id)
        assert info is not None
        started = dt.datetime.fromisoformat(info["started_at"])
        found.append(InterruptedSession(session_id, started, len(journal_rows(db, session_id))))
    return found


@use_case
def log_interrupted(
    db: Database,
    evidence: Evidence,
    owner: int,
    interrupted: InterruptedSession,
    pain_after: int | None,
    tolerance: Tolerance | None,
    symptoms: tuple[str, ...],
) -> Pause | None:
    """The survey of an interrupted session: logged (not completed) on the day it started, pausing on a red flag."""
    log = SessionLog(
        date=interrupted.started.date(),
        completed=False,
        pain_after=pain_after,
        tolerance=tolerance,
        symptoms=tuple(s for s in symptoms if s in evidence.symptoms),
    )
    pause = log_guided(db, evidence, owner, log, "interrupted")
    close_interrupted(db, interrupted.session_id)
    return pause


@use_case
def log_sessions(
    db: Database,
    evidence: Evidence,
    logs: list[SessionLog],
    today: dt.date,
    origin: str = "log",
    *,
    owner_handle: str,
) -> Logged:
    """Store typed logs in one unit of work: one refused log writes none of them."""
    for log in logs:
        check_log(log, evidence, today)
    pauses: list[Pause] = []
    flagged: list[str] = []
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        for log in logs:
            stored, pause = _store_log(uow, evidence, owner, log, origin, guided=False)
            if pause is not None:
                pauses.append(pause)
            if stored.outside_prescription:
                flagged.append(f"{stored.date.isoformat()}: {stored.outside_prescription}")
    return Logged(len(logs), pauses, flagged)


def session_logs(db: Database, *, owner_handle: str) -> list[SessionLog]:
    with db.unit_of_work() as uow:
        return repo.session_logs(uow, repo.owner_id(uow, owner_handle))


@dataclass(frozen=True)
class HistorySummary:
    count: int
    recent: list[SessionLog]
    days: list[DaySummary]
    pain: PainChange
    recent_ids: list[int] = field(default_factory=list)


def history_summary(
    db: Database,
    recent: int = 50,
    offset: int = 0,
    with_days: bool = True,
    *,
    owner_handle: str,
    days_since: dt.date | None = None,
) -> HistorySummary:
    """What the history page and API show, aggregated in the database so long histories stay fast: a page of
    sessions, the count, the pain trend from its six end points, and (`with_days`) per-day figures since
    `days_since` for the charts. No request reads all of a person's rows."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        ends = repo.pain_ends_and_count(uow, owner)
        rows = repo.recent_session_log_rows(uow, owner, recent, offset)
        return HistorySummary(
            count=ends.sessions,
            recent=[log for _, log in rows],
            days=repo.daily_summaries(uow, owner, days_since) if with_days else [],
            pain=pain_change_from_sums(ends.first_sum, ends.last_sum, ends.scored),
            recent_ids=[log_id for log_id, _ in rows],
        )


@use_case
def record_diary(db: Database, entry: DiaryEntry, today: dt.date, *, owner_handle: str) -> DiaryEntry:
    """Today's (or an earlier day's) pain in the diary; a future day is refused."""
    if entry.date > today:
        raise ServiceError(f"the diary day {entry.date.isoformat()} is in the future")
    with db.unit_of_work() as uow:
        repo.set_diary(uow, repo.owner_id(uow, owner_handle), entry)
    return entry


def diary_entries(db: Database, since: dt.date, *, owner_handle: str) -> list[DiaryEntry]:
    with db.unit_of_work() as uow:
        return repo.diary(uow, repo.owner_id(uow, owner_handle), since)


class LogEdit(BaseModel):
    """What a person may change in a logged session: how it went, not when or how far (those stay as recorded)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    completed: bool
    pain_before: Pain | None = Field(default=None, ge=0, le=10)
    pain_after: Pain | None = Field(default=None, ge=0, le=10)
    tolerance: Tolerance | None = None
    symptoms: tuple[str, ...] = ()


def _reason(reason: str) -> str:
    cleaned = reason.strip()
    if not cleaned:
        raise ServiceError("say why: the reason is kept with the change in your history")
    if len(cleaned) > 500:
        raise ServiceError("the reason is too long (at most 500 characters)")
    return cleaned


def session_log(db: Database, log_id: int, *, owner_handle: str) -> SessionLog:
    with db.unit_of_work() as uow:
        found = log_changes.own_log(uow, repo.owner_id(uow, owner_handle), log_id)
    if found is None:
        raise LogNotFound(f"no logged session {log_id}")
    return found


class LogNotFound(ServiceError):
    """A log id that is not the person's own (or does not exist): the same answer for both."""


@use_case
def edit_session_log(
    db: Database, evidence: Evidence, log_id: int, edit: LogEdit, reason: str, *, owner_handle: str
) -> Pause | None:
    """Change how a logged session went, with a reason kept in the history. A red-flag symptom added now pauses at
    once, as when it is logged; removing one never lifts a pause (only a clearance does)."""
    why = _reason(reason)
    for symptom in edit.symptoms:
        if symptom not in evidence.symptoms:
            raise ServiceError(f"unknown symptom '{symptom}'")
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        before = log_changes.own_log(uow, owner, log_id)
        if before is None:
            raise LogNotFound(f"no logged session {log_id}")
        edited = before.model_copy(update=edit.model_dump())
        log_changes.edit_log(uow, owner, log_id, edited, why)
        newly_flagged = pause_for_log(edited, evidence) is not None and pause_for_log(before, evidence) is None
        return pause_on_log(uow, evidence, owner, edited, "edit") if newly_flagged else None


@use_case
def delete_session_log(db: Database, log_id: int, reason: str, *, owner_handle: str) -> None:
    """Delete a logged session (it leaves the counts, the trend and the review), kept with its reason in the
    history. A pause it caused stays until a clearance lifts it."""
    why = _reason(reason)
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        if log_changes.own_log(uow, owner, log_id) is None:
            raise LogNotFound(f"no logged session {log_id}")
        log_changes.delete_log(uow, owner, log_id, why)


def session_log_changes(db: Database, *, owner_handle: str) -> list[log_changes.LogChange]:
    with db.unit_of_work() as uow:
        return log_changes.log_changes(uow, repo.owner_id(uow, owner_handle))
