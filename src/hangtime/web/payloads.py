"""The JSON a person's own route and a clinician's route for that person answer alike (one shape, one place)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.responses import StreamingResponse

from hangtime.app import services
from hangtime.core.evidence import Evidence
from hangtime.exports.fhir import person_bundle_chunks
from hangtime.exports.report import outcome_measures_csv, sessions_csv_chunks
from hangtime.store import Database


def history(db: Database, handle: str, limit: int, offset: int) -> dict[str, Any]:
    """Sessions newest first, a page at a time, with the pain trend over all of them."""
    summary = services.history_summary(db, recent=limit, offset=offset, with_days=False, owner_handle=handle)
    return {
        "count": summary.count,
        "limit": limit,
        "offset": offset,
        "sessions": [log.model_dump(mode="json") for log in summary.recent],
        "pain_change": summary.pain.__dict__,
    }


def plan(db: Database, evidence: Evidence, today: dt.date, handle: str) -> dict[str, Any] | None:
    """The current plan with its pauses and revisions; None when there is none."""
    current = services.current_plan(db, evidence, today, owner_handle=handle)
    if current is None:
        return None
    pauses = services.active_pauses(db, evidence, today, owner_handle=handle)
    return {
        "id": current.id,
        **current.plan.as_dict(),
        "paused": current.plan.paused or bool(pauses),
        "pauses": [services.pause_dict(p) for p in pauses],
        "revisions": current.revisions,
    }


def screening(db: Database, handle: str) -> dict[str, Any] | None:
    saved = services.latest_screening(db, owner_handle=handle)
    if saved is None:
        return None
    return {"id": saved.id, "answers": saved.answers.model_dump(mode="json"), **saved.result.as_dict()}


def fhir(db: Database, evidence: Evidence, handle: str) -> StreamingResponse:
    """The FHIR Bundle streamed: sessions are read a batch at a time while the response is written."""
    chunks = person_bundle_chunks(db, evidence, handle, dt.datetime.now(dt.UTC))
    return StreamingResponse(chunks, media_type="application/fhir+json")


def outcomes_csv(db: Database, handle: str) -> StreamingResponse:
    headers = {"Content-Disposition": 'attachment; filename="hangtime-outcomes.csv"'}
    body = outcome_measures_csv(services.outcome_measures(db, owner_handle=handle))
    return StreamingResponse(iter([body]), media_type="text/csv; charset=utf-8", headers=headers)


def sessions_csv(db: Database, handle: str) -> StreamingResponse:
    chunks = sessions_csv_chunks(services.stream_session_logs(db, owner_handle=handle))
    headers = {"Content-Disposition": 'attachment; filename="hangtime-sessions.csv"'}
    return StreamingResponse(chunks, media_type="text/csv; charset=utf-8", headers=headers)
