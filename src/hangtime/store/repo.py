"""Repositories: the only place that turns rows into domain objects and back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Integer, Row, Select, bindparam, func, select
from sqlalchemy.orm import Session

from hangtime.core.evidence import Clearer
from hangtime.core.outcomes import DaySummary, DiaryEntry
from hangtime.core.pauses import Pause
from hangtime.core.planning import Plan, Revision, SessionLog, Tolerance
from hangtime.core.screening import Answers, ClearanceRecord, ScreeningResult
from hangtime.store.models import (
    Account,
    AlertRecord,
    ClearanceRow,
    DiaryRecord,
    Owner,
    PauseRecord,
    PlanRecord,
    PlanRevisionRecord,
    Profile,
    ScreeningRecord,
    SessionLogRecord,
)

LOCAL_OWNER = "local"


OWNER_BY_HANDLE = select(Owner.id).where(Owner.handle == bindparam("handle"))  # asked on every request: built once


def owner_id(uow: Session, handle: str) -> int:
    """The owner's id, created on first use (the CLI runs as the single local owner)."""
    found = uow.scalar(OWNER_BY_HANDLE, {"handle": handle})
    if found is not None:
        return found
    owner = Owner(handle=handle, display_name=handle)
    uow.add(owner)
    uow.flush()
    return owner.id


def save_profile(uow: Session, owner: int, answers: Answers, name: str = "", units: str | None = None) -> Profile:
    profile = uow.scalar(select(Profile).where(Profile.owner_id == owner))
    if profile is None:
        profile = Profile(owner_id=owner, age=answers.age, height_cm=answers.height_cm, weight_kg=answers.weight_kg)
        uow.add(profile)
    profile.name = name or profile.name or ""
    profile.age = answers.age
    profile.height_cm = answers.height_cm
    profile.weight_kg = answers.weight_kg
    profile.table_model = answers.table
    profile.experienced = answers.experienced
    if units is not None:
        profile.units = units
    uow.flush()
    return profile


def get_profile(uow: Session, owner: int) -> Profile | None:
    return uow.scalar(select(Profile).where(Profile.owner_id == owner))


@dataclass(frozen=True)
class SavedScreening:
    id: int
    answers: Answers
    result: ScreeningResult


def save_screening(uow: Session, owner: int, answers: Answers, result: ScreeningResult) -> int:
    record = ScreeningRecord(
        owner_id=owner,
        answers=answers.model_dump(mode="json"),
        outcome=result.outcome.value,
        result=result.as_dict(),
        rules_version=result.rules_version,
        screened_on=result.screened_on,
        valid_until=result.valid_until,
    )
    uow.add(record)
    uow.flush()
    return record.id


# Asked before every session and log: built once (see OWNER_BY_HANDLE).
LATEST_SCREENING = (
    select(ScreeningRecord)
    .where(ScreeningRecord.owner_id == bindparam("owner", type_=Integer))
    .order_by(ScreeningRecord.id.desc())
    .limit(1)
)


def latest_screening(uow: Session, owner: int) -> SavedScreening | None:
    record = uow.scalar(LATEST_SCREENING, {"owner": owner})
    if record is None:
        return None
    return SavedScreening(
        id=record.id,
        answers=Answers.model_validate(record.answers),
        result=ScreeningResult.from_dict(record.result),
    )


def add_clearance(uow: Session, owner: int, record: ClearanceRecord) -> int:
    row = ClearanceRow(
        owner_id=owner,
        by=record.by.value,
        cleared_on=record.date,
        conditions=list(record.conditions),
        name=record.name,
        caps=record.caps.model_dump(exclude_none=True) if record.caps else None,
        valid_until=record.valid_until,
    )
    uow.add(row)
    uow.flush()
    return row.id


def clearances(uow: Session, owner: int) -> list[ClearanceRecord]:
    rows = uow.scalars(select(ClearanceRow).where(ClearanceRow.owner_id == owner).order_by(ClearanceRow.id))
    return [
        ClearanceRecord.model_validate(
            {
                "by": r.by,
                "date": r.cleared_on,
                "conditions": r.conditions,
                "name": r.name,
                "caps": r.caps,
                "valid_until": r.valid_until,
            }
        )
        for r in rows
    ]


@dataclass(frozen=True)
class SavedPlan:
    id: int
    screening_id: int
    plan: Plan


def save_plan(uow: Session, owner: int, screening_id: int, plan: Plan) -> int:
    """Store a new plan; an earlier active plan of the same owner is superseded."""
    for earlier in uow.scalars(
        select(PlanRecord).where(PlanRecord.owner_id == owner, PlanRecord.status != "superseded")
    ):
        earlier.status = "superseded"
    record = PlanRecord(
        owner_id=owner,
        screening_id=screening_id,
        status=_status(plan),
        data=plan.as_dict(),
        start_date=plan.start_date,
        end_date=plan.end_date,
    )
    uow.add(record)
    uow.flush()
    return record.id


def _status(plan: Plan) -> str:
    return "paused" if plan.paused else "active"


# Asked before every session and log: built once (see OWNER_BY_HANDLE).
CURRENT_PLAN = (
    select(PlanRecord)
    .where(PlanRecord.owner_id == bindparam("owner", type_=Integer), PlanRecord.status != "superseded")
    .order_by(PlanRecord.id.desc())
    .limit(1)
)
LOGS_ON_DAY = select(func.count(SessionLogRecord.id)).where(
    SessionLogRecord.owner_id == bindparam("owner", type_=Integer), SessionLogRecord.session_date == bindparam("day")
)


def current_plan(uow: Session, owner: int) -> SavedPlan | None:
    record = uow.scalar(CURRENT_PLAN, {"owner": owner})
    if record is None:
        return None
    return SavedPlan(record.id, record.screening_id, Plan.from_dict(record.data))


def update_plan(uow: Session, plan_id: int, plan: Plan, revision: Revision, owner: int) -> None:
    record = uow.get(PlanRecord, plan_id)
    if record is None:
        raise LookupError(f"no plan {plan_id}")
    record.data = plan.as_dict()
    record.status = _status(plan)
    record.start_date, record.end_date = plan.start_date, plan.end_date
    uow.add(
        PlanRevisionRecord(
            owner_id=owner,
            plan_id=plan_id,
            week=revision.week,
            decision=revision.decision.value,
            from_level=revision.from_level,
            to_level=revision.to_level,
            text=revision.text,
            sources=list(revision.sources),
            reason_code=revision.key or None,
        )
    )
    uow.flush()


def plan_revisions(uow: Session, plan_id: int) -> list[dict[str, object]]:
    rows = uow.scalars(
        select(PlanRevisionRecord).where(PlanRevisionRecord.plan_id == plan_id).order_by(PlanRevisionRecord.id)
    )
    return [
        {
            "week": r.week,
            "decision": r.decision,
            "reason_code": r.reason_code,
            "from_level": r.from_level,
            "to_level": r.to_level,
            "text": r.text,
            "sources": r.sources,
            "at": r.created_at.isoformat() if r.created_at else None,
        }
        for r in rows
    ]


def add_session_log(uow: Session, owner: int, plan_id: int | None, log: SessionLog, origin: str = "log") -> int:
    record = SessionLogRecord(
        owner_id=owner,
        plan_id=plan_id,
        session_date=log.date,
        completed=log.completed,
        pain_before=log.pain_before,
        pain_after=log.pain_after,
        tolerance=log.tolerance.value if log.tolerance else None,
        symptoms=list(log.symptoms),
        angle_deg=log.angle_deg,
        inverted_s=log.inverted_s,
        origin=origin,
        outside_prescription=log.outside_prescription,
    )
    uow.add(record)
    uow.flush()
    return record.id


def _log_columns(query: Select[Any]) -> Select[Any]:
    return query.with_only_columns(
        SessionLogRecord.session_date,
        SessionLogRecord.completed,
        SessionLogRecord.pain_before,
        SessionLogRecord.pain_after,
        SessionLogRecord.tolerance,
        SessionLogRecord.symptoms,
        SessionLogRecord.angle_deg,
        SessionLogRecord.inverted_s,
        SessionLogRecord.outside_prescription,
    )


def log_from_row(r: Row[Any] | SessionLogRecord) -> SessionLog:
    # Rows were validated when they were written: construct without validating them again.
    return SessionLog.model_construct(
        date=r.session_date,
        completed=r.completed,
        pain_before=r.pain_before,
        pain_after=r.pain_after,
        tolerance=Tolerance(r.tolerance) if r.tolerance else None,
        symptoms=tuple(r.symptoms),
        angle_deg=r.angle_deg,
        inverted_s=r.inverted_s,
        outside_prescription=r.outside_prescription,
    )


def _to_logs(rows: Iterable[Row[Any]]) -> list[SessionLog]:
    return [log_from_row(r) for r in rows]


def session_logs(
    uow: Session, owner: int, plan_id: int | None = None, since: dt.date | None = None
) -> list[SessionLog]:
    query = select(SessionLogRecord).where(SessionLogRecord.owner_id == owner)
    if plan_id is not None:
        query = query.where(SessionLogRecord.plan_id == plan_id)
    if since is not None:
        query = query.where(SessionLogRecord.session_date >= since)
    return _to_logs(uow.execute(_log_columns(query).order_by(SessionLogRecord.session_date, SessionLogRecord.id)))


def iter_session_logs(uow: Session, owner: int, batch: int = 5000) -> Iterator[SessionLog]:
    """Every session in date order, read a batch at a time by keyset (date, id): an export of a million sessions never
    holds more than one batch."""
    after: tuple[dt.date, int] | None = None
    base = select(SessionLogRecord).where(SessionLogRecord.owner_id == owner)
    while True:
        query = base
        if after is not None:
            day, last_id = after
            later = (SessionLogRecord.session_date > day) | (
                (SessionLogRecord.session_date == day) & (SessionLogRecord.id > last_id)
            )
            query = query.where(later)
        ordered = _log_columns(query).add_columns(SessionLogRecord.id)
        rows = uow.execute(ordered.order_by(SessionLogRecord.session_date, SessionLogRecord.id).limit(batch)).all()
        if not rows:
            return
        yield from _to_logs(rows)
        after = (rows[-1].session_date, rows[-1].id)


@cache
def _recent_logs_query() -> Select[Any]:
    # Built once, with its owner, limit and offset bound per call (see _pain_ends_and_count_query).
    query = select(SessionLogRecord).where(SessionLogRecord.owner_id == bindparam("owner", type_=Integer))
    newest_first = (SessionLogRecord.session_date.desc(), SessionLogRecord.id.desc())
    ordered = _log_columns(query).add_columns(SessionLogRecord.id).order_by(*newest_first)
    return ordered.limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer))


def recent_session_log_rows(uow: Session, owner: int, limit: int, offset: int = 0) -> list[tuple[int, SessionLog]]:
    """`limit` sessions with their ids, newest first, skipping the newest `offset`."""
    rows = uow.execute(_recent_logs_query(), {"owner": owner, "limit": limit, "offset": offset}).all()
    return list(zip([row.id for row in rows], _to_logs(rows), strict=True))


def recent_session_logs(uow: Session, owner: int, limit: int, offset: int = 0) -> list[SessionLog]:
    return [log for _, log in recent_session_log_rows(uow, owner, limit, offset)]


def daily_summaries(uow: Session, owner: int, since: dt.date | None = None) -> list[DaySummary]:
    """Per-day means and totals computed by the database (see outcomes.summarize_days for the same in Python)."""
    query = (
        select(
            SessionLogRecord.session_date,
            func.count(SessionLogRecord.id),
            func.avg(SessionLogRecord.pain_before),
            func.avg(SessionLogRecord.pain_after),
            func.avg(SessionLogRecord.angle_deg),
            func.coalesce(func.sum(SessionLogRecord.inverted_s), 0),
        )
        .where(SessionLogRecord.owner_id == owner, SessionLogRecord.session_date >= (since or dt.date.min))
        .group_by(SessionLogRecord.session_date)
        .order_by(SessionLogRecord.session_date)
    )
    return [
        DaySummary(
            day=day,
            sessions=int(count),
            pain_before=None if before is None else float(before),
            pain_after=None if after is None else float(after),
            angle_deg=None if angle is None else float(angle),
            inverted_s=int(inverted),
        )
        for day, count, before, after, angle, inverted in uow.execute(query)
    ]


def logs_on_day(uow: Session, owner: int, day: dt.date) -> int:
    return int(uow.scalar(LOGS_ON_DAY, {"owner": owner, "day": day}) or 0)


def add_pause(uow: Session, owner: int, pause: Pause) -> int:
    row = PauseRecord(
        owner_id=owner,
        since=pause.since,
        reason=pause.reason,
        text=pause.text,
        sources=list(pause.sources),
        clearance_by=[c.value for c in pause.clearance_by],
        symptoms=list(pause.symptoms),
        urgent=pause.urgent,
    )
    uow.add(row)
    uow.flush()
    return row.id


def active_pauses(uow: Session, owner: int) -> list[tuple[int, Pause]]:
    rows = uow.scalars(
        select(PauseRecord)
        .where(PauseRecord.owner_id == owner, PauseRecord.lifted_on.is_(None))
        .order_by(PauseRecord.id)
    )
    return [
        (
            r.id,
            Pause(
                since=r.since,
                reason=r.reason,
                text=r.text,
                sources=tuple(r.sources),
                clearance_by=tuple(Clearer(c) for c in r.clearance_by),
                symptoms=tuple(r.symptoms),
                urgent=r.urgent,
            ),
        )
        for r in rows
    ]


def lift_pause(uow: Session, pause_id: int, on: dt.date) -> None:
    row = uow.get(PauseRecord, pause_id)
    if row is not None:
        row.lifted_on = on


@dataclass(frozen=True)
class DashboardFigures:
    """One patient's line of a clinician's dashboard, as the database computes it."""

    outcome: str | None = None
    valid_until: dt.date | None = None
    plan_week: int | None = None
    paused: bool = False
    last_session: dt.date | None = None
    days_with_data: int = 0
    first_sum: int = 0
    last_sum: int = 0
    scored: int = 0
    open_alerts: int = 0
    alert_texts: frozenset[str] = frozenset()


# Which owners a set-wise read covers: a list of ids (one clinician's patients), or a subquery (every patient).
Scope = list[int] | Select[int]


def every_patient() -> Select[int]:
    """The owners of every patient account, as a subquery: the clinic-wide figures filter on it rather than on a
    list of 10,000 ids, which PostgreSQL binds and plans in 100-270 ms per query."""
    return select(Account.owner_id).where(Account.role == "patient")


def _latest_per_owner(table: Any, owners: Scope, *conditions: Any) -> Any:
    return (
        select(func.max(table.id))
        .where(table.owner_id.in_(owners), *conditions)
        .group_by(table.owner_id)
        .scalar_subquery()
    )


def _scored_pains(owner: Any, window: int, *, newest: bool = False) -> Any:
    """An owner's first (or last) `window` pain-before scores: one index read on (owner_id, session_date, id), as
    a derived table. `owner` is an id, or `Owner.id` to correlate it per owner (both databases allow a correlated
    derived table inside a scalar subquery; SQLite has no LATERAL)."""
    order: tuple[Any, Any] = (SessionLogRecord.session_date, SessionLogRecord.id)
    if newest:
        order = (SessionLogRecord.session_date.desc(), SessionLogRecord.id.desc())
    scored = select(SessionLogRecord.pain_before.label("pain")).where(
        SessionLogRecord.owner_id == owner, SessionLogRecord.pain_before.is_not(None)
    )
    return scored.order_by(*order).limit(window).correlate(Owner).subquery()


def _pain_trend_columns(owner: Any, window: int) -> tuple[Any, Any, Any]:
    """The sums of the first and last `window` pain scores and how many there are, counted no further than
    2 x window (all the trend needs), as three scalar subqueries."""
    first = _scored_pains(owner, window)
    last = _scored_pains(owner, window, newest=True)
    up_to = _scored_pains(owner, 2 * window)
    return (
        select(func.coalesce(func.sum(first.c.pain), 0)).scalar_subquery().label("first_sum"),
        select(func.coalesce(func.sum(last.c.pain), 0)).scalar_subquery().label("last_sum"),
        select(func.count()).select_from(up_to).scalar_subquery().label("scored"),
    )


@dataclass(frozen=True)
class PainEnds:
    """What the pain trend needs of a history, and how many sessions it has."""

    sessions: int
    first_sum: int
    last_sum: int
    scored: int


@cache
def _pain_ends_and_count_query(window: int) -> Select[Any]:
    # Built once: SQLAlchemy keeps a statement object's cache key, which it would otherwise compute per request.
    owner = bindparam("owner", type_=Integer)
    count = select(func.count(SessionLogRecord.id)).where(SessionLogRecord.owner_id == owner).scalar_subquery()
    return select(count, *_pain_trend_columns(owner, window))


def pain_ends_and_count(uow: Session, owner: int, window: int = 3) -> PainEnds:
    """One query, a few index reads: the history page and API ask this on every read (it was four queries)."""
    row = uow.execute(_pain_ends_and_count_query(window), {"owner": owner}).one()
    return PainEnds(int(row[0]), int(row.first_sum), int(row.last_sum), int(row.scored))


def session_figures(uow: Session, owners: Scope, today: dt.date, window: int = 3) -> Iterator[Row[Any]]:
    """Per owner, one row: the newest session day, the days with a session in the last 30, and the sums of the
    first and last `window` pain scores with how many there are (capped at 2 x window). Each is a few index reads
    per owner. Profiled at 10,000 patients with 1,000,000 sessions, this one query replaced three (a group-by over
    every session, then the first and last scores as 60,000 rows sorted in Python)."""
    since = today - dt.timedelta(days=29)
    newest = select(func.max(SessionLogRecord.session_date)).where(SessionLogRecord.owner_id == Owner.id)
    recent_days = select(func.count(func.distinct(SessionLogRecord.session_date))).where(
        SessionLogRecord.owner_id == Owner.id,
        SessionLogRecord.session_date >= since,
        SessionLogRecord.session_date <= today,
    )
    query = select(
        Owner.id.label("owner"),
        newest.correlate(Owner).scalar_subquery().label("last_session"),
        recent_days.correlate(Owner).scalar_subquery().label("days_with_data"),
        *_pain_trend_columns(Owner.id, window),
    ).where(Owner.id.in_(owners))
    yield from uow.execute(query)


def dashboard_figures(uow: Session, owners: Scope, today: dt.date, window: int = 3) -> dict[int, DashboardFigures]:
    """Every figure of the dashboard for many patients in eight set-wise queries (not eight per patient): profiled
    at 500 patients, the per-patient version read and parsed every screening and plan document. `owners` is a
    list of ids or a subquery such as `every_patient()`."""
    if isinstance(owners, list) and not owners:
        return {}
    found: dict[int, dict[str, Any]] = (
        {owner: {} for owner in owners} if isinstance(owners, list) else {o: {} for o in uow.scalars(owners)}
    )
    latest = _latest_per_owner(ScreeningRecord, owners)
    for owner, outcome, valid in uow.execute(
        select(ScreeningRecord.owner_id, ScreeningRecord.outcome, ScreeningRecord.valid_until).where(
            ScreeningRecord.id.in_(latest)
        )
    ):
        found[owner].update(outcome=outcome, valid_until=valid)
    plans = _latest_per_owner(PlanRecord, owners, PlanRecord.status != "superseded")
    plan_columns = (PlanRecord.owner_id, PlanRecord.start_date, PlanRecord.end_date, PlanRecord.status)
    for owner, begins, ends_on, status in uow.execute(select(*plan_columns).where(PlanRecord.id.in_(plans))):
        week = None
        if begins is not None and ends_on is not None and begins <= today <= ends_on:
            week = (today - begins).days // 7 + 1
        found[owner].update(plan_week=week, paused=status == "paused")
    for (owner,) in uow.execute(
        select(PauseRecord.owner_id)
        .where(PauseRecord.owner_id.in_(owners), PauseRecord.lifted_on.is_(None))
        .group_by(PauseRecord.owner_id)
    ):
        found[owner]["paused"] = True
    for row in session_figures(uow, owners, today, window):
        if row.last_session is not None:
            found[row.owner].update(last_session=row.last_session, days_with_data=int(row.days_with_data or 0))
        found[row.owner].update(first_sum=int(row.first_sum), last_sum=int(row.last_sum), scored=int(row.scored))
    for owner, kind, text, acknowledged in uow.execute(
        select(AlertRecord.owner_id, AlertRecord.kind, AlertRecord.text, AlertRecord.acknowledged_at).where(
            AlertRecord.owner_id.in_(owners), (AlertRecord.acknowledged_at.is_(None)) | (AlertRecord.kind == "expiring")
        )
    ):
        figures = found[owner]
        if acknowledged is None:
            figures["open_alerts"] = figures.get("open_alerts", 0) + 1
        if kind == "expiring":
            figures["alert_texts"] = figures.get("alert_texts", frozenset()) | {text}
    return {owner: DashboardFigures(**values) for owner, values in found.items()}


def set_diary(uow: Session, owner: int, entry: DiaryEntry) -> None:
    """The day's pain; a second entry for the same day replaces the first."""
    found = uow.scalar(select(DiaryRecord).where(DiaryRecord.owner_id == owner, DiaryRecord.entry_date == entry.date))
    if found is None:
        uow.add(DiaryRecord(owner_id=owner, entry_date=entry.date, pain=entry.pain))
    else:
        found.pain = entry.pain
        found.updated_at = dt.datetime.now(dt.UTC)
    uow.flush()


def diary(uow: Session, owner: int, since: dt.date) -> list[DiaryEntry]:
    query = select(DiaryRecord.entry_date, DiaryRecord.pain).where(
        DiaryRecord.owner_id == owner, DiaryRecord.entry_date >= since
    )
    return [DiaryEntry(date=day, pain=pain) for day, pain in uow.execute(query.order_by(DiaryRecord.entry_date))]
