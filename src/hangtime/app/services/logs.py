"""Use cases of the session log: typed and guided logs, interrupted sessions, the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hangtime.app.observability import use_case
from hangtime.app.services.common import Logged, ServiceError, _store_log, check_log
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import DaySummary, DiaryEntry, PainChange, pain_change_from_ends
from hangtime.core.pauses import Pause
from hangtime.core.planning import (
    SessionLog,
    Tolerance,
)
from hangtime.store import Database, repo
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
        first, last, scored = repo.pain_before_ends(uow, owner)
        return HistorySummary(
            count=repo.session_log_count(uow, owner),
            recent=repo.recent_session_logs(uow, owner, recent, offset),
            days=repo.daily_summaries(uow, owner, days_since) if with_days else [],
            pain=pain_change_from_ends(first, last, scored),
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
