"""Repositories: the only place that turns rows into domain objects and back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hangtime.screening import Answers, ClearanceRecord, ScreeningResult
from hangtime.store.models import ClearanceRow, Owner, Profile, ScreeningRecord

LOCAL_OWNER = "local"


def owner_id(session: Session, handle: str = LOCAL_OWNER) -> int:
    """The owner's id, created on first use (the CLI runs as the single local owner)."""
    found = session.scalar(select(Owner.id).where(Owner.handle == handle))
    if found is not None:
        return found
    owner = Owner(handle=handle, display_name=handle)
    session.add(owner)
    session.flush()
    return owner.id


def save_profile(session: Session, owner: int, answers: Answers, name: str = "") -> Profile:
    profile = session.scalar(select(Profile).where(Profile.owner_id == owner))
    if profile is None:
        profile = Profile(owner_id=owner, age=answers.age, height_cm=answers.height_cm, weight_kg=answers.weight_kg)
        session.add(profile)
    profile.name = name or profile.name or ""
    profile.age = answers.age
    profile.height_cm = answers.height_cm
    profile.weight_kg = answers.weight_kg
    profile.table_model = answers.table
    profile.experienced = answers.experienced
    session.flush()
    return profile


def get_profile(session: Session, owner: int) -> Profile | None:
    return session.scalar(select(Profile).where(Profile.owner_id == owner))


@dataclass(frozen=True)
class SavedScreening:
    id: int
    answers: Answers
    result: ScreeningResult


def save_screening(session: Session, owner: int, answers: Answers, result: ScreeningResult) -> int:
    record = ScreeningRecord(
        owner_id=owner,
        answers=answers.model_dump(mode="json"),
        outcome=result.outcome.value,
        result=result.as_dict(),
        rules_version=result.rules_version,
        screened_on=result.screened_on,
        valid_until=result.valid_until,
    )
    session.add(record)
    session.flush()
    return record.id


def latest_screening(session: Session, owner: int) -> SavedScreening | None:
    record = session.scalar(
        select(ScreeningRecord).where(ScreeningRecord.owner_id == owner).order_by(ScreeningRecord.id.desc()).limit(1)
    )
    if record is None:
        return None
    return SavedScreening(
        id=record.id,
        answers=Answers.model_validate(record.answers),
        result=ScreeningResult.from_dict(record.result),
    )


def add_clearance(session: Session, owner: int, record: ClearanceRecord) -> int:
    row = ClearanceRow(
        owner_id=owner,
        by=record.by.value,
        cleared_on=record.date,
        conditions=list(record.conditions),
        name=record.name,
        caps=record.caps.model_dump(exclude_none=True) if record.caps else None,
    )
    session.add(row)
    session.flush()
    return row.id


def clearances(session: Session, owner: int) -> list[ClearanceRecord]:
    rows = session.scalars(select(ClearanceRow).where(ClearanceRow.owner_id == owner).order_by(ClearanceRow.id))
    return [
        ClearanceRecord.model_validate(
            {"by": r.by, "date": r.cleared_on, "conditions": r.conditions, "name": r.name, "caps": r.caps}
        )
        for r in rows
    ]
