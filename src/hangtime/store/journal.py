"""The session journal: each event and command is committed on its own, so a crash loses none of them."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from sqlalchemy import select, update

from hangtime.core.session.commands import (
    Command,
)
from hangtime.core.session.engine import (
    Event,
    SessionConfig,
)
from hangtime.store.db import Database
from hangtime.store.models import SessionEventRecord, SessionRecord


class Journal:
    def __init__(self, db: Database, session_id: int) -> None:
        self.db = db
        self.session_id = session_id

    @classmethod
    def start(
        cls,
        db: Database,
        owner: int,
        plan_id: int | None,
        config: SessionConfig,
        extra: dict[str, Any],
        status: str = "running",
    ) -> Journal:
        """The session's record; `status="starting"` keeps other workers from taking it over until its own worker
        holds its lease and calls `running()`."""
        with db.unit_of_work() as uow:
            record = SessionRecord(
                owner_id=owner,
                plan_id=plan_id,
                status=status,
                config={**asdict(config), **extra},
                started_at=dt.datetime.now(dt.UTC),
                held_s=None,
            )
            uow.add(record)
            uow.flush()
            return cls(db, record.id)

    def _write(self, t: float, kind: str, name: str, payload: dict[str, Any]) -> None:
        with self.db.unit_of_work() as uow:
            uow.add(
                SessionEventRecord(session_id=self.session_id, t=round(t, 3), kind=kind, name=name, payload=payload)
            )

    def event(self, t: float, event: Event) -> None:
        self._write(t, "event", event.name, event.payload())

    def command(self, command: Command) -> None:
        self._write(command.at, "command", command.kind, command.data)

    def note(self, t: float, name: str, payload: dict[str, Any]) -> None:
        self._write(t, "note", name, payload)

    def running(self) -> None:
        with self.db.unit_of_work() as uow:
            uow.execute(update(SessionRecord).where(SessionRecord.id == self.session_id).values(status="running"))

    def finish(self, status: str, end_reason: str | None, held_s: float) -> None:
        with self.db.unit_of_work() as uow:
            uow.execute(
                update(SessionRecord)
                .where(SessionRecord.id == self.session_id)
                .values(status=status, end_reason=end_reason, held_s=held_s, ended_at=dt.datetime.now(dt.UTC))
            )


def mark_interrupted(db: Database, owner: int | None = None, *, via: str | None = None) -> list[int]:
    """Sessions left 'running' by a crash, a kill or a server restart: mark them interrupted, keeping all their
    events. `via="web"` marks only the web's (a terminal session of the same person may be running right now)."""
    with db.unit_of_work() as uow:
        query = select(SessionRecord.id, SessionRecord.config).where(SessionRecord.status == "running")
        if owner is not None:
            query = query.where(SessionRecord.owner_id == owner)
        ids = [row.id for row in uow.execute(query) if via is None or row.config.get("via") == via]
        if ids:
            uow.execute(update(SessionRecord).where(SessionRecord.id.in_(ids)).values(status="interrupted"))
        return ids


def awaiting_survey(db: Database, owner: int) -> list[int]:
    """Interrupted sessions whose person has not yet said how they are (ended_at is set when they have)."""
    with db.unit_of_work() as uow:
        query = select(SessionRecord.id).where(
            SessionRecord.owner_id == owner, SessionRecord.status == "interrupted", SessionRecord.ended_at.is_(None)
        )
        return list(uow.scalars(query.order_by(SessionRecord.id)))


def close_interrupted(db: Database, session_id: int) -> None:
    with db.unit_of_work() as uow:
        uow.execute(
            update(SessionRecord).where(SessionRecord.id == session_id).values(ended_at=dt.datetime.now(dt.UTC))
        )


def session_info(db: Database, session_id: int) -> dict[str, Any] | None:
    with db.unit_of_work() as uow:
        record = uow.get(SessionRecord, session_id)
        if record is None:
            return None
        return {
            "id": record.id,
            "status": record.status,
            "end_reason": record.end_reason,
            "held_s": record.held_s,
            "config": record.config,
            "started_at": record.started_at.isoformat(),
            "plan_id": record.plan_id,
        }


def journal_rows(db: Database, session_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    with db.unit_of_work() as uow:
        query = select(SessionEventRecord).where(SessionEventRecord.session_id == session_id)
        if kind is not None:
            query = query.where(SessionEventRecord.kind == kind)
        rows = uow.scalars(query.order_by(SessionEventRecord.id))
        return [{"t": r.t, "kind": r.kind, "name": r.name, **r.payload} for r in rows]


def export_events(db: Database, session_id: int) -> list[dict[str, Any]]:
    """The replayable stream: one {"t", "event", ...fields} object per event, in order."""
    return [
        {"t": row.pop("t"), "event": row.pop("name"), **{k: v for k, v in row.items() if k != "kind"}}
        for row in journal_rows(db, session_id, kind="event")
    ]
