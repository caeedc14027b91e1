"""Repositories of the outcome measures (weekly PEG-3, global impression of change) and personal trials."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import Session

from hangtime.core.outcomes import GlobalImpression, GlobalImpressionEntry, PegAnswers
from hangtime.core.trial import TrialDesign
from hangtime.store.models import GlobalImpressionRecord, PegRecord, TrialRecord


def set_peg(uow: Session, owner: int, answers: PegAnswers) -> None:
    """The week's PEG; a second one on the same day replaces the first."""
    found = uow.scalar(select(PegRecord).where(PegRecord.owner_id == owner, PegRecord.entry_date == answers.date))
    if found is None:
        found = PegRecord(owner_id=owner, entry_date=answers.date)
        uow.add(found)
    found.pain, found.enjoyment, found.activity = answers.pain, answers.enjoyment, answers.activity
    uow.flush()


def _peg(row: PegRecord) -> PegAnswers:
    return PegAnswers(date=row.entry_date, pain=row.pain, enjoyment=row.enjoyment, activity=row.activity)


def pegs(uow: Session, owner: int, since: dt.date = dt.date.min) -> list[PegAnswers]:
    query = select(PegRecord).where(PegRecord.owner_id == owner, PegRecord.entry_date >= since)
    return [_peg(row) for row in uow.scalars(query.order_by(PegRecord.entry_date))]


def peg_ends(uow: Session, owner: int) -> tuple[PegAnswers | None, PegAnswers | None]:
    """The first and the latest PEG (two indexed reads, whatever the history's length)."""
    query = select(PegRecord).where(PegRecord.owner_id == owner)
    first = uow.scalar(query.order_by(PegRecord.entry_date).limit(1))
    latest = uow.scalar(query.order_by(PegRecord.entry_date.desc()).limit(1))
    return (_peg(first) if first else None), (_peg(latest) if latest else None)


def set_global_impression(uow: Session, owner: int, entry: GlobalImpressionEntry) -> None:
    found = uow.scalar(
        select(GlobalImpressionRecord).where(
            GlobalImpressionRecord.owner_id == owner, GlobalImpressionRecord.plan_week == entry.week
        )
    )
    if found is None:
        found = GlobalImpressionRecord(owner_id=owner, plan_week=entry.week)
        uow.add(found)
    found.entry_date, found.answer = entry.date, int(entry.answer)
    uow.flush()


def global_impressions(uow: Session, owner: int) -> list[GlobalImpressionEntry]:
    query = select(GlobalImpressionRecord).where(GlobalImpressionRecord.owner_id == owner)
    return [
        GlobalImpressionEntry(date=row.entry_date, week=row.plan_week, answer=GlobalImpression(row.answer))
        for row in uow.scalars(query.order_by(GlobalImpressionRecord.plan_week))
    ]


@dataclass(frozen=True)
class SavedTrial:
    id: int
    design: TrialDesign
    stopped_on: dt.date | None


def add_trial(uow: Session, owner: int, design: TrialDesign) -> int:
    row = TrialRecord(
        owner_id=owner,
        start_date=design.start,
        pairs=design.pairs,
        block_days=design.block_days,
        washout_days=design.washout_days,
        seed=design.seed,
    )
    uow.add(row)
    uow.flush()
    return row.id


# Asked before every session and log: built once, so SQLAlchemy keeps its cache key.
LATEST_TRIAL = (
    select(TrialRecord)
    .where(TrialRecord.owner_id == bindparam("owner", type_=Integer))
    .order_by(TrialRecord.id.desc())
    .limit(1)
)


def latest_trial(uow: Session, owner: int) -> SavedTrial | None:
    row = uow.scalar(LATEST_TRIAL, {"owner": owner})
    if row is None:
        return None
    design = TrialDesign(row.start_date, row.pairs, row.block_days, row.seed, row.washout_days)
    return SavedTrial(row.id, design, row.stopped_on)


def stop_trial(uow: Session, trial_id: int, day: dt.date) -> None:
    row = uow.get(TrialRecord, trial_id)
    assert row is not None
    row.stopped_on = day
    uow.flush()
