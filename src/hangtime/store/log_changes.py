"""A logged session changed or deleted by its owner, with the reason; the change history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hangtime.core.planning import SessionLog
from hangtime.store.models import SessionLogChange, SessionLogRecord
from hangtime.store.repo import log_from_row


def own_log(uow: Session, owner: int, log_id: int) -> SessionLog | None:
    """The log, if it is this owner's (another person's log id reads as not found)."""
    record = uow.get(SessionLogRecord, log_id)
    return log_from_row(record) if record is not None and record.owner_id == owner else None


def edit_log(uow: Session, owner: int, log_id: int, edited: SessionLog, reason: str) -> None:
    record = uow.get(SessionLogRecord, log_id)
    assert record is not None and record.owner_id == owner
    before = log_from_row(record).model_dump(mode="json")
    record.completed = edited.completed
    record.pain_before, record.pain_after = edited.pain_before, edited.pain_after
    record.tolerance = edited.tolerance.value if edited.tolerance else None
    record.symptoms = list(edited.symptoms)
    uow.add(
        SessionLogChange(
            owner_id=owner,
            log_id=log_id,
            action="edited",
            reason=reason,
            before=before,
            after=log_from_row(record).model_dump(mode="json"),
        )
    )
    uow.flush()


def delete_log(uow: Session, owner: int, log_id: int, reason: str) -> None:
    record = uow.get(SessionLogRecord, log_id)
    assert record is not None and record.owner_id == owner
    before = log_from_row(record).model_dump(mode="json")
    uow.add(SessionLogChange(owner_id=owner, log_id=log_id, action="deleted", reason=reason, before=before))
    uow.delete(record)
    uow.flush()


@dataclass(frozen=True)
class LogChange:
    action: str
    reason: str
    changed_at: dt.datetime
    before: dict[str, Any]
    after: dict[str, Any] | None


def log_changes(uow: Session, owner: int, limit: int = 50) -> list[LogChange]:
    query = select(SessionLogChange).where(SessionLogChange.owner_id == owner)
    rows = uow.scalars(query.order_by(SessionLogChange.id.desc()).limit(limit))
    return [LogChange(r.action, r.reason, r.changed_at, r.before, r.after) for r in rows]
