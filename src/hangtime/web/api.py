"""The JSON API: screening, clearances, plans, logs, history and FHIR, with problem details for refusals."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from hangtime.app import services
from hangtime.core.evidence import Clearer
from hangtime.core.evidence.models import PartialCaps
from hangtime.core.outcomes import PAIN_MIC_POINTS, DiaryEntry
from hangtime.core.planning import Mode, Preferences, SessionLog
from hangtime.core.screening import Answers, ClearanceRecord
from hangtime.web import payloads
from hangtime.web.context import Actor, WebContext, problem


class PlanRequest(BaseModel):
    start_date: dt.date | None = None
    weeks: int | None = None
    days_per_week: int | None = None
    sessions_per_day: int = 1
    mode: Mode = Mode.STATIC


class DiaryRequest(BaseModel):
    date: dt.date | None = None
    pain: int = Field(ge=0, le=10, strict=True)


class ClearanceRequest(BaseModel):
    by: Clearer
    date: dt.date
    conditions: list[str] = Field(min_length=1)
    name: str | None = None
    caps: PartialCaps | None = None


def api_router(ctx: WebContext) -> APIRouter:
    evidence, db, today = ctx.evidence, ctx.db, ctx.today
    router = APIRouter()

    @router.get("/api/sources", tags=["evidence"])
    def api_sources() -> list[dict[str, Any]]:
        return [s.model_dump() for s in evidence.sources.values()]

    @router.get("/api/conditions", tags=["evidence"])
    def api_conditions() -> list[dict[str, Any]]:
        return [c.model_dump(mode="json") for c in evidence.conditions.values()]

    @router.post("/api/screen", tags=["screening"])
    def api_screen(answers: Answers, actor: Actor, save: bool = True) -> dict[str, Any]:
        result, _ = services.screen_and_save(db if save else None, evidence, answers, today(), owner_handle=actor)
        return result.as_dict()

    @router.get("/api/screening", tags=["screening"], responses={404: {"description": "No screening yet"}})
    def api_latest_screening(actor: Actor) -> Any:
        found = payloads.screening(db, actor)
        return found if found is not None else problem(404, "Not found", "no screening yet")

    @router.post("/api/clearances", tags=["screening"])
    def api_clearance(body: ClearanceRequest, actor: Actor) -> dict[str, Any]:
        record = ClearanceRecord(
            by=body.by, date=body.date, conditions=tuple(body.conditions), name=body.name, caps=body.caps
        )
        return services.record_clearance(db, evidence, record, today(), owner_handle=actor).as_dict()

    @router.post("/api/plan", tags=["plan"])
    def api_plan(body: PlanRequest, actor: Actor) -> dict[str, Any]:
        prefs = Preferences(
            start_date=body.start_date or today(),
            weeks=body.weeks,
            days_per_week=body.days_per_week,
            sessions_per_day=body.sessions_per_day,
            mode=body.mode,
        )
        plan_id, plan = services.make_plan(db, evidence, prefs, today(), owner_handle=actor)
        return {"id": plan_id, **plan.as_dict()}

    @router.get("/api/plan", tags=["plan"], responses={404: {"description": "No plan yet"}})
    def api_get_plan(actor: Actor) -> Any:
        found = payloads.plan(db, evidence, today(), actor)
        return found if found is not None else problem(404, "Not found", "no plan yet")

    @router.post("/api/plan/review", tags=["plan"])
    def api_review(actor: Actor) -> dict[str, Any]:
        plan, revisions = services.review_plan(db, evidence, today(), owner_handle=actor)
        return {"paused": plan.paused, "revisions": [r.as_dict() for r in revisions]}

    @router.post("/api/log", tags=["sessions"], status_code=201)
    def api_log(log: SessionLog, actor: Actor) -> dict[str, Any]:
        logged = services.log_sessions(db, evidence, [log], today(), owner_handle=actor)
        urgent = any(p.urgent for p in logged.pauses)
        return {
            "logged": logged.count,
            "urgent": urgent,
            "urgent_advice": evidence.rules.urgent_advice.text if urgent else None,
            "paused": bool(logged.pauses),
            "pauses": [services.pause_dict(p) for p in logged.pauses],
            "outside_prescription": logged.flagged,
        }

    @router.get("/api/history", tags=["sessions"])
    def api_history(
        actor: Actor,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> dict[str, Any]:
        """Sessions newest first, a page at a time, with the pain trend over all of them."""
        return payloads.history(db, actor, limit, offset)

    @router.get("/api/history/days", tags=["sessions"])
    def api_history_days(actor: Actor, since: dt.date | None = None) -> dict[str, Any]:
        """Per-day figures for the history charts (drawn in the browser), from `since` (default: a year ago)."""
        first = since or today() - dt.timedelta(days=365)
        summary = services.history_summary(db, recent=0, with_days=True, owner_handle=actor, days_since=first)
        return {
            "since": first.isoformat(),
            "days": [{**d.__dict__, "day": d.day.isoformat()} for d in summary.days],
            "pain_change": summary.pain.__dict__,
            "minimal_important_change": PAIN_MIC_POINTS,
        }

    @router.post("/api/diary", tags=["diary"], status_code=201)
    def api_diary(body: DiaryRequest, actor: Actor) -> dict[str, Any]:
        """The day's pain (today unless a date is given); a second entry for a day replaces the first."""
        entry = DiaryEntry(date=body.date or today(), pain=body.pain)
        return services.record_diary(db, entry, today(), owner_handle=actor).model_dump(mode="json")

    @router.get("/api/diary", tags=["diary"])
    def api_diary_entries(actor: Actor, since: dt.date | None = None) -> list[dict[str, Any]]:
        """Diary entries from `since` (default: 90 days ago), oldest first."""
        first = since or today() - dt.timedelta(days=90)
        return [e.model_dump(mode="json") for e in services.diary_entries(db, first, owner_handle=actor)]

    @router.get("/api/export/fhir", tags=["exports"], response_class=StreamingResponse)
    def api_fhir(actor: Actor) -> StreamingResponse:
        return payloads.fhir(db, evidence, actor)

    @router.get("/api/export/all", tags=["exports"])
    def api_export_all(actor: Actor) -> JSONResponse:
        """Every row of the person's data, table by table, as a file to keep."""
        data = services.export_own_data(db, owner_handle=actor)
        headers = {"Content-Disposition": 'attachment; filename="hangtime-my-data.json"'}
        return JSONResponse(data, headers=headers)

    return router
