"""Repositories: the only place that turns rows into domain objects and back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, Select, func, select, true
from sqlalchemy.orm import Session, aliased

from hangtime.core.evidence import Clearer
from hangtime.core.outcomes import DaySummary, DiaryEntry
from hangtime.core.pauses import Pause
from hangtime.core.planning import Plan, Revision, SessionLog, Tolerance
from hangtime.core.screening import Answers, ClearanceRecord, ScreeningResult
from hangtime.store.models import (
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


def owner_id(uow: Session, handle: str) -> int:
    """The owner's id, created on first use (the CLI runs as the single local owner)."""
    found = uow.scalar(select(Owner.id).where(Owner.handle == handle))
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


def latest_screening(uow: Session, owner: int) -> SavedScreening | None:
    record = uow.scalar(
        select(ScreeningRecord).where(ScreeningRecord.owner_id == owner).order_by(ScreeningRecord.id.desc()).limit(1)
    )
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


def current_plan(uow: Session, owner: int) -> SavedPlan | None:
    record = uow.scalar(
        select(PlanRecord)
        .where(PlanRecord.owner_id == owner, PlanRecord.status != "superseded")
        .order_by(PlanRecord.id.desc())
        .limit(1)
    )
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


def recent_session_log_rows(uow: Session, owner: int, limit: int, offset: int = 0) -> list[tuple[int, SessionLog]]:
    """`limit` sessions with their ids, newest first, skipping the newest `offset`."""
    query = select(SessionLogRecord).where(SessionLogRecord.owner_id == owner)
    newest_first = (SessionLogRecord.session_date.desc(), SessionLogRecord.id.desc())
    ordered = _log_columns(query).add_columns(SessionLogRecord.id).order_by(*newest_first).limit(limit).offset(offset)
    rows = uow.execute(ordered).all()
    return list(zip([row.id for row in rows], _to_logs(rows), strict=True))


def recent_session_logs(uow: Session, owner: int, limit: int, offset: int = 0) -> list[SessionLog]:
    return [log for _, log in recent_session_log_rows(uow, owner, limit, offset)]


def session_log_count(uow: Session, owner: int) -> int:
    return int(uow.scalar(select(func.count(SessionLogRecord.id)).where(SessionLogRecord.owner_id == owner)) or 0)


def pain_before_ends(uow: Session, owner: int, window: int = 3) -> tuple[list[int], list[int], int]:
    """The first and last `window` pain-before scores in date order, and how many there are, capped at 2 x window
    (all the trend needs): two indexed reads of `window` rows each, never a scan of a long history."""
    scored = (SessionLogRecord.owner_id == owner, SessionLogRecord.pain_before.is_not(None))
    query = select(SessionLogRecord.id, SessionLogRecord.pain_before).where(*scored)
    oldest = uow.execute(query.order_by(SessionLogRecord.session_date, SessionLogRecord.id).limit(window)).all()
    newest_first = (SessionLogRecord.session_date.desc(), SessionLogRecord.id.desc())
    newest = uow.execute(query.order_by(*newest_first).limit(window)).all()[::-1]
    # Fewer than 2 x window scores in all: the two ends overlap, and together they are every score.
    seen = {row.id for row in oldest} | {row.id for row in newest}
    return [int(r.pain_before) for r in oldest], [int(r.pain_before) for r in newest], len(seen)


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
    query = select(func.count(SessionLogRecord.id)).where(
        SessionLogRecord.owner_id == owner, SessionLogRecord.session_date == day
    )
    return int(uow.scalar(query) or 0)


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
    first_pains: list[int] = field(default_factory=list)
    last_pains: list[int] = field(default_factory=list)
    scored: int = 0
    open_alerts: int = 0
    alert_texts: frozenset[str] = frozenset()


def _latest_per_owner(table: Any, owners: list[int], *conditions: Any) -> Any:
    return (
        select(func.max(table.id))
        .where(table.owner_id.in_(owners), *conditions)
        .group_by(table.owner_id)
        .scalar_subquery()
    )


def _pain_ends(uow: Session, owners: list[int], window: int) -> dict[int, tuple[list[int], list[int], int]]:
    """Each owner's first and last `window` pain-before scores, in date order, and how many there are capped at
    2 x window: per owner, two index reads of `window` rows (LATERAL on PostgreSQL, a correlated IN ... LIMIT on
    SQLite). Profiled at 500 patients with 100 sessions each, this replaces a window function over all their rows:
    100 ms to 11 ms on SQLite, 300 ms to 17 ms on PostgreSQL."""
    ends: dict[int, list[list[tuple[dt.date, int, int]]]] = {owner: [[], []] for owner in owners}
    for side, newest_first in enumerate((False, True)):
        log = aliased(SessionLogRecord)
        order = (log.session_date.desc(), log.id.desc()) if newest_first else (log.session_date, log.id)
        scored = select(log.session_date, log.id, log.pain_before).where(
            log.owner_id == Owner.id, log.pain_before.is_not(None)
        )
        if uow.get_bind().dialect.name == "postgresql":
            rows = scored.order_by(*order).limit(window).lateral()
            query = select(Owner.id, rows.c.session_date, rows.c.id, rows.c.pain_before).join(rows, true())
        else:  # SQLite has no LATERAL: the ids come from a correlated subquery, each an index read
            ids = select(log.id).where(log.owner_id == Owner.id, log.pain_before.is_not(None))
            ids = ids.order_by(*order).limit(window).correlate(Owner)
            query = select(
                Owner.id, SessionLogRecord.session_date, SessionLogRecord.id, SessionLogRecord.pain_before
            ).where(SessionLogRecord.owner_id == Owner.id, SessionLogRecord.id.in_(ids))
        for owner, day, log_id, pain in uow.execute(query.where(Owner.id.in_(owners))):
            ends[owner][side].append((day, log_id, int(pain)))
    found = {}
    for owner, (first, last) in ends.items():
        if first:
            picked = {log_id for _, log_id, _ in first + last}
            found[owner] = ([p for *_, p in sorted(first)], [p for *_, p in sorted(last)], len(picked))
    return found


def dashboard_figures(uow: Session, owners: list[int], today: dt.date, window: int = 3) -> dict[int, DashboardFigures]:
    """Every figure of the dashboard for many patients in eight set-wise queries (not eight per patient): profiled
    at 500 patients, the per-patient version read and parsed every screening and plan document."""
    found: dict[int, dict[str, Any]] = {owner: {} for owner in owners}
    if not owners:
        return {}
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
    # Per owner, two index reads on (owner_id, session_date): the newest day, and the days of the last 30.
    since = today - dt.timedelta(days=29)
    newest = select(func.max(SessionLogRecord.session_date)).where(SessionLogRecord.owner_id == Owner.id)
    recent_days = select(func.count(func.distinct(SessionLogRecord.session_date))).where(
        SessionLogRecord.owner_id == Owner.id,
        SessionLogRecord.session_date >= since,
        SessionLogRecord.session_date <= today,
    )
    days_query = select(
        Owner.id, newest.scalar_subquery().correlate(Owner), recent_days.scalar_subquery().correlate(Owner)
    ).where(Owner.id.in_(owners))
    for owner, last_day, days in uow.execute(days_query):
        if last_day is not None:
            found[owner].update(last_session=last_day, days_with_data=int(days or 0))
    for owner, (first, last, scored) in _pain_ends(uow, owners, window).items():
        found[owner].update(first_pains=first, last_pains=last, scored=scored)
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
