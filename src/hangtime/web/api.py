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
from hangtime.core.outcomes import PAIN_MIC_POINTS, DiaryEntry, GlobalImpression, PegAnswers
from hangtime.core.planning import Mode, Preferences, SessionLog
from hangtime.core.screening import Answers, ClearanceRecord
from hangtime.core.trial import DEFAULT_BLOCK_DAYS, DEFAULT_PAIRS, MAX_BLOCK_DAYS, MAX_PAIRS, MIN_BLOCK_DAYS, MIN_PAIRS
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


class PegRequest(BaseModel):
    date: dt.date | None = None
    pain: int = Field(ge=0, le=10, strict=True)
    enjoyment: int = Field(ge=0, le=10, strict=True)
    activity: int = Field(ge=0, le=10, strict=True)


class ImpressionRequest(BaseModel):
    answer: GlobalImpression = Field(description="1 very much better ... 4 no change ... 7 very much worse")


class TrialRequest(BaseModel):
    pairs: int = Field(default=DEFAULT_PAIRS, ge=MIN_PAIRS, le=MAX_PAIRS)
    block_days: int = Field(default=DEFAULT_BLOCK_DAYS, ge=MIN_BLOCK_DAYS, le=MAX_BLOCK_DAYS)
    seed: int | None = Field(default=None, ge=0, lt=2**31)


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

    @router.post("/api/peg", tags=["outcomes"], status_code=201)
    def api_peg(body: PegRequest, actor: Actor) -> dict[str, Any]:
        """This week's PEG-3 (three 0-10 answers about the past week); the score is their mean."""
        answers = PegAnswers(
            date=body.date or today(), pain=body.pain, enjoyment=body.enjoyment, activity=body.activity
        )
        services.record_peg(db, answers, today(), owner_handle=actor)
        return {**answers.model_dump(mode="json"), "score": answers.score}

    @router.post("/api/impression", tags=["outcomes"], status_code=201)
    def api_impression(body: ImpressionRequest, actor: Actor) -> dict[str, Any]:
        """The impression of change, for the plan week it is due at (4, 8 or 12); 409 when none is due."""
        entry = services.record_global_impression(db, body.answer, today(), owner_handle=actor)
        return {**entry.model_dump(mode="json"), "label": entry.answer.label}

    @router.get("/api/outcomes", tags=["outcomes"])
    def api_outcomes(actor: Actor) -> dict[str, Any]:
        """PEG scores and impressions of change over time, their change, and what is due today."""
        series = services.outcome_series(db, owner_handle=actor)
        due = services.outcomes_due(db, today(), owner_handle=actor)
        return {
            "peg": [{**p.model_dump(mode="json"), "score": p.score} for p in series.pegs],
            "peg_change": series.peg_change.__dict__,
            "impressions": [{**i.model_dump(mode="json"), "label": i.answer.label} for i in series.impressions],
            "due": {"diary": due.diary_today is None, "peg": due.peg_due, "impression_week": due.pgic_week},
        }

    @router.post("/api/trial", tags=["trial"], status_code=201)
    def api_trial_start(body: TrialRequest, actor: Actor) -> dict[str, Any]:
        """Start a personal trial today (refused with the reason unless cleared with a steady plan)."""
        view = services.start_trial(db, evidence, today(), body.pairs, body.block_days, body.seed, owner_handle=actor)
        return view.as_dict()

    @router.get("/api/trial", tags=["trial"], responses={404: {"description": "No trial yet"}})
    def api_trial(actor: Actor) -> Any:
        """The latest trial: schedule, diary days and the comparison so far."""
        view = services.trial_view(db, today(), owner_handle=actor)
        if view is None:
            return problem(404, "No personal trial yet", "Start one with POST /api/trial or on the trial page.")
        return view.as_dict()

    @router.post("/api/trial/stop", tags=["trial"])
    def api_trial_stop(actor: Actor) -> dict[str, Any]:
        services.stop_trial(db, today(), owner_handle=actor)
        return {"stopped_on": today().isoformat()}

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
