"""The web app: server-rendered pages (Jinja2 + htmx), a JSON API with problem details, and the live session socket.

An adapter only: every rule, plan and session decision comes from the domain core through `hangtime.app.services`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field, ValidationError

from hangtime.app import services
from hangtime.app.services import ServiceError
from hangtime.config import Settings, demonstration_banner, load_settings
from hangtime.core.errors import first_problem, validation_message
from hangtime.core.evidence import Clearer, load_evidence
from hangtime.core.evidence.models import PartialCaps
from hangtime.core.outcomes import pain_change
from hangtime.core.planning import Mode, PlanError, Preferences, SessionLog, Tolerance
from hangtime.core.screening import Answers, AnswersError, ClearanceRecord, parse_blood_pressure
from hangtime.core.units import UnitError, parse_height_cm, parse_weight_kg
from hangtime.exports import charts
from hangtime.exports.calendar import plan_calendar
from hangtime.exports.fhir import fhir_bundle
from hangtime.exports.report import make_environment, report_context, report_pdf, sessions_csv
from hangtime.notify.buddy import BuddyContact
from hangtime.store import Database, repo
from hangtime.store.journal import mark_interrupted
from hangtime.web.live import LiveSessions

HERE = Path(__file__).resolve().parent


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """RFC 9457 problem details."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


class PlanRequest(BaseModel):
    start_date: dt.date | None = None
    weeks: int | None = None
    days_per_week: int | None = None
    sessions_per_day: int = 1
    mode: Mode = Mode.STATIC


class ClearanceRequest(BaseModel):
    by: Clearer
    date: dt.date
    conditions: list[str] = Field(min_length=1)
    name: str | None = None
    caps: PartialCaps | None = None


def create_app(settings: Settings | None = None) -> FastAPI:
    config = settings or load_settings()
    evidence = load_evidence()
    db = Database(config.resolved_database_url())
    # Whom every use case acts for, passed explicitly (no use case has a default person): without accounts, the one
    # person a loopback install serves.
    actor = repo.LOCAL_OWNER
    config.check_table_for_demonstration(config.table)
    live = LiveSessions(db, evidence, config.session_speed, config.smtp(), config.table, demo=config.demo)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # A web session still 'running' belongs to a server that is gone: the person is told, and surveyed.
        mark_interrupted(db, via="web")
        yield
        await live.close()
        db.dispose()

    app = FastAPI(
        title="Hangtime",
        version="0.1.0",
        description="Safe, measurable inversion therapy. Not a diagnosis.",
        lifespan=lifespan,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(env=make_environment())
    templates.env.globals["demo_banner"] = demonstration_banner(config.session_speed) if config.demo else None

    def today() -> dt.date:
        return config.today or dt.date.today()

    def page(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("evidence", evidence)
        context.setdefault("today", today())
        return templates.TemplateResponse(request, name, context, status_code=status)

    # -- errors: problem details for the API, pages for the rest ---------------------------------------------

    @app.exception_handler(RequestValidationError)
    async def validation_failed(request: Request, exc: RequestValidationError) -> Response:
        return problem(422, "Invalid request", validation_message(exc, skip=("body",)))

    @app.exception_handler(ValidationError)
    async def model_invalid(request: Request, exc: ValidationError) -> Response:
        return problem(422, "Invalid request", validation_message(exc))

    @app.exception_handler(ServiceError)
    async def service_refused(request: Request, exc: ServiceError) -> Response:
        extra = {"screening": exc.screening.as_dict()} if exc.screening else {}
        return problem(409, "Not possible now", str(exc), **extra)

    @app.exception_handler(AnswersError)
    async def answers_refused(request: Request, exc: AnswersError) -> Response:
        return problem(422, "Invalid answers", str(exc))

    @app.exception_handler(PlanError)
    async def plan_refused(request: Request, exc: PlanError) -> Response:
        return problem(409, "No plan", str(exc))

    # -- JSON API -------------------------------------------------------------------------------------------

    @app.get("/api/sources", tags=["evidence"])
    def api_sources() -> list[dict[str, Any]]:
        return [s.model_dump() for s in evidence.sources.values()]

    @app.get("/api/conditions", tags=["evidence"])
    def api_conditions() -> list[dict[str, Any]]:
        return [c.model_dump(mode="json") for c in evidence.conditions.values()]

    @app.post("/api/screen", tags=["screening"])
    def api_screen(answers: Answers, save: bool = True) -> dict[str, Any]:
        result, _ = services.screen_and_save(db if save else None, evidence, answers, today(), owner_handle=actor)
        return result.as_dict()

    @app.get("/api/screening", tags=["screening"], responses={404: {"description": "No screening yet"}})
    def api_latest_screening() -> Any:
        saved = services.latest_screening(db, owner_handle=actor)
        if saved is None:
            return problem(404, "Not found", "no screening yet")
        return {"id": saved.id, "answers": saved.answers.model_dump(mode="json"), **saved.result.as_dict()}

    @app.post("/api/clearances", tags=["screening"])
    def api_clearance(body: ClearanceRequest) -> dict[str, Any]:
        record = ClearanceRecord(
            by=body.by, date=body.date, conditions=tuple(body.conditions), name=body.name, caps=body.caps
        )
        return services.record_clearance(db, evidence, record, today(), owner_handle=actor).as_dict()

    @app.post("/api/plan", tags=["plan"])
    def api_plan(body: PlanRequest) -> dict[str, Any]:
        prefs = Preferences(
            start_date=body.start_date or today(),
            weeks=body.weeks,
            days_per_week=body.days_per_week,
            sessions_per_day=body.sessions_per_day,
            mode=body.mode,
        )
        plan_id, plan = services.make_plan(db, evidence, prefs, today(), owner_handle=actor)
        return {"id": plan_id, **plan.as_dict()}

    @app.get("/api/plan", tags=["plan"], responses={404: {"description": "No plan yet"}})
    def api_get_plan() -> Any:
        current = services.current_plan(db, evidence, today(), owner_handle=actor)
        if current is None:
            return problem(404, "Not found", "no plan yet")
        pauses = services.active_pauses(db, evidence, today(), owner_handle=actor)
        return {
            "id": current.id,
            **current.plan.as_dict(),
            "paused": current.plan.paused or bool(pauses),
            "pauses": [services.pause_dict(p) for p in pauses],
            "revisions": current.revisions,
        }

    @app.post("/api/plan/review", tags=["plan"])
    def api_review() -> dict[str, Any]:
        plan, revisions = services.review_plan(db, evidence, today(), owner_handle=actor)
        return {"paused": plan.paused, "revisions": [r.as_dict() for r in revisions]}

    @app.post("/api/log", tags=["sessions"], status_code=201)
    def api_log(log: SessionLog) -> dict[str, Any]:
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

    @app.get("/api/history", tags=["sessions"])
    def api_history(
        limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0
    ) -> dict[str, Any]:
        """Sessions newest first, a page at a time, with the pain trend over all of them."""
        summary = services.history_summary(db, recent=limit, offset=offset, with_days=False, owner_handle=actor)
        return {
            "count": summary.count,
            "limit": limit,
            "offset": offset,
            "sessions": [log.model_dump(mode="json") for log in summary.recent],
            "pain_change": pain_change(summary.pain_scores).__dict__,
        }

    @app.get("/api/export/fhir", tags=["exports"])
    def api_fhir() -> dict[str, Any]:
        data = services.report_data(db, owner_handle=actor)
        answers = data.screening.answers if data.screening else None
        result = data.screening.result if data.screening else None
        plan = data.plan.plan if data.plan else None
        return fhir_bundle(evidence, answers, result, plan, data.logs, dt.datetime.now(dt.UTC))

    # -- pages ----------------------------------------------------------------------------------------------

    def blockers() -> dict[str, Any]:
        """Why a session cannot start today (None when it can), and any pause with its urgent advice."""
        pauses = services.active_pauses(db, evidence, today(), owner_handle=actor)
        try:
            services.prepare_session(db, evidence, today(), config.checkin_interval_s, owner_handle=actor)
            blocked = None
        except ServiceError as exc:
            blocked = str(exc)
        urgent = any(p.urgent for p in pauses)
        return {
            "pauses": pauses,
            "session_blocked": blocked,
            "urgent_advice": evidence.rules.urgent_advice.text if urgent else None,
        }

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        context = blockers()
        data = services.report_data(db, owner_handle=actor)
        week = data.plan.plan.week_on(today()) if data.plan else None
        return page(request, "home.html", data=data, week=week, **context)

    def profile_form_values() -> dict[str, Any]:
        data = services.report_data(db, owner_handle=actor)
        profile = data.profile
        if profile is None:
            return {"name": "", "age": "", "height": "", "weight": "", "table": "generic", "experienced": False}
        buddy = profile.buddy or {}
        return {
            "name": profile.name,
            "age": profile.age,
            "height": f"{profile.height_cm:g} cm",
            "weight": f"{profile.weight_kg:g} kg",
            "table": profile.table_model,
            "experienced": profile.experienced,
            "buddy_kind": buddy.get("kind", ""),
            "buddy_address": buddy.get("url") or buddy.get("email") or "",
            "buddy_name": buddy.get("name", ""),
        }

    @app.get("/onboarding", response_class=HTMLResponse, include_in_schema=False)
    def onboarding(request: Request) -> HTMLResponse:
        return page(request, "onboarding.html", values=profile_form_values(), errors={})

    @app.post("/onboarding", response_class=HTMLResponse, include_in_schema=False)
    def onboarding_submit(
        request: Request,
        age: Annotated[str, Form()] = "",
        height: Annotated[str, Form()] = "",
        weight: Annotated[str, Form()] = "",
        table: Annotated[str, Form()] = "generic",
        name: Annotated[str, Form()] = "",
        experienced: Annotated[str, Form()] = "",
        buddy_kind: Annotated[str, Form()] = "",
        buddy_address: Annotated[str, Form()] = "",
        buddy_name: Annotated[str, Form()] = "",
    ) -> Response:
        values = {
            "age": age,
            "height": height,
            "weight": weight,
            "table": table,
            "name": name,
            "experienced": bool(experienced),
            "buddy_kind": buddy_kind,
            "buddy_address": buddy_address,
            "buddy_name": buddy_name,
        }
        errors: dict[str, str] = {}
        parsed: dict[str, Any] = {"table": table, "experienced": bool(experienced)}
        try:
            parsed["age"] = int(age)
            if not 0 <= parsed["age"] <= 120:
                errors["age"] = "Age must be between 0 and 120."
        except ValueError:
            errors["age"] = "Type your age in whole years, e.g. 45."
        try:
            parsed["height_cm"] = parse_height_cm(height)
        except UnitError as exc:
            errors["height"] = str(exc)
        try:
            parsed["weight_kg"] = parse_weight_kg(weight)
        except UnitError as exc:
            errors["weight"] = str(exc)
        if table not in evidence.tables:
            errors["table"] = "Choose a table model from the list."
        contact = None
        if buddy_kind:
            try:
                key = "email" if buddy_kind == "email" else "url"
                contact = BuddyContact.model_validate({"kind": buddy_kind, key: buddy_address, "name": buddy_name})
            except ValidationError as exc:
                errors["buddy_address"] = first_problem(exc)[1]
        if not errors:
            try:
                answers = Answers.model_validate(parsed)
            except ValidationError as exc:
                where, message = first_problem(exc)
                field = where.split(".")[0] or "age"
                errors[{"height_cm": "height", "weight_kg": "weight"}.get(field, field)] = message
        if errors:
            return page(request, "onboarding.html", status=422, values=values, errors=errors)
        with db.session() as session:
            owner = repo.owner_id(session, actor)
            repo.save_profile(session, owner, answers, name=name)
        services.save_buddy(db, contact, name, owner_handle=actor)
        return RedirectResponse("/screening", status_code=303)

    @app.get("/screening", response_class=HTMLResponse, include_in_schema=False)
    def screening_page(request: Request) -> Response:
        if services.report_data(db, owner_handle=actor).profile is None:
            return RedirectResponse("/onboarding", status_code=303)
        return page(request, "screening.html", errors={}, checked=set(), bp="", bp_date="")

    @app.post("/screening", response_class=HTMLResponse, include_in_schema=False)
    async def screening_submit(request: Request) -> Response:
        form = await request.form()
        profile = services.report_data(db, owner_handle=actor).profile
        if profile is None:
            return RedirectResponse("/onboarding", status_code=303)
        checked = {str(v) for v in form.getlist("conditions")}
        unknown = sorted(checked - set(evidence.conditions))
        bp_text = str(form.get("blood_pressure", "")).strip()
        errors: dict[str, str] = {}
        if unknown:
            errors["conditions"] = f"Unknown condition: {unknown[0]}"
        blood_pressure = None
        bp_date_text = str(form.get("bp_date", "")).strip()
        try:
            blood_pressure = parse_blood_pressure(bp_text)
            if blood_pressure is not None and bp_date_text:
                measured_on = dt.date.fromisoformat(bp_date_text)
                if measured_on > today():
                    raise ValueError("the day of the reading cannot be in the future")
                blood_pressure = blood_pressure.model_copy(update={"measured_on": measured_on})
        except ValidationError as exc:
            errors["blood_pressure"] = first_problem(exc)[1].capitalize()
        except ValueError as exc:
            errors["blood_pressure"] = str(exc).capitalize()
        if errors:
            return page(
                request, "screening.html", status=422, errors=errors, checked=checked, bp=bp_text, bp_date=bp_date_text
            )
        answers = Answers(
            age=profile.age,
            height_cm=profile.height_cm,
            weight_kg=profile.weight_kg,
            table=profile.table_model,
            experienced=profile.experienced,
            blood_pressure=blood_pressure,
            conditions=tuple(c for c in evidence.conditions if c in checked),
        )
        services.screen_and_save(db, evidence, answers, today(), owner_handle=actor)
        return RedirectResponse("/screening/result", status_code=303)

    @app.get("/screening/result", response_class=HTMLResponse, include_in_schema=False)
    def screening_result(request: Request) -> Response:
        saved = services.latest_screening(db, owner_handle=actor)
        if saved is None:
            return RedirectResponse("/screening", status_code=303)
        return page(request, "result.html", result=saved.result, answers=saved.answers, errors={})

    @app.post("/clearance", response_class=HTMLResponse, include_in_schema=False)
    def clearance_submit(
        request: Request,
        by: Annotated[str, Form()] = "",
        date: Annotated[str, Form()] = "",
        condition: Annotated[list[str] | None, Form()] = None,
        name: Annotated[str, Form()] = "",
    ) -> Response:
        saved = services.latest_screening(db, owner_handle=actor)
        if saved is None:
            return RedirectResponse("/screening", status_code=303)
        errors: dict[str, str] = {}
        try:
            record = ClearanceRecord(
                by=Clearer(by), date=dt.date.fromisoformat(date), conditions=tuple(condition or ()), name=name or None
            )
            services.record_clearance(db, evidence, record, today(), owner_handle=actor)
        except ValueError as exc:
            message = first_problem(exc)[1] if isinstance(exc, ValidationError) else str(exc)
            errors["clearance"] = message or "Fill in who cleared you, the date and the conditions."
            return page(request, "result.html", status=422, result=saved.result, answers=saved.answers, errors=errors)
        return RedirectResponse("/screening/result", status_code=303)

    @app.get("/plan", response_class=HTMLResponse, include_in_schema=False)
    def plan_page(request: Request) -> HTMLResponse:
        current = services.current_plan(db, evidence, today(), owner_handle=actor)
        saved = services.latest_screening(db, owner_handle=actor)
        week = current.plan.week_on(today()) if current else None
        return page(request, "plan.html", current=current, screening=saved, week=week, errors={}, **blockers())

    @app.post("/plan", response_class=HTMLResponse, include_in_schema=False)
    def plan_submit(
        request: Request,
        start_date: Annotated[str, Form()] = "",
        weeks: Annotated[str, Form()] = "8",
        days_per_week: Annotated[str, Form()] = "4",
        mode: Annotated[str, Form()] = "static",
    ) -> Response:
        saved = services.latest_screening(db, owner_handle=actor)
        try:
            prefs = Preferences(
                start_date=dt.date.fromisoformat(start_date) if start_date else today(),
                weeks=int(weeks),
                days_per_week=int(days_per_week),
                mode=Mode(mode),
            )
            services.make_plan(db, evidence, prefs, today(), owner_handle=actor)
        except (ValueError, ServiceError) as exc:
            message = first_problem(exc)[1] if isinstance(exc, ValidationError) else str(exc)
            return page(
                request,
                "plan.html",
                status=422,
                current=None,
                screening=saved,
                week=None,
                errors={"plan": message},
                revisions_applied=None,
                **blockers(),
            )
        return RedirectResponse("/plan", status_code=303)

    @app.post("/plan/review", response_class=HTMLResponse, include_in_schema=False)
    def plan_review(request: Request) -> HTMLResponse:
        try:
            _, revisions = services.review_plan(db, evidence, today(), owner_handle=actor)
        except ServiceError as exc:
            return page(request, "partials/review.html", status=409, revisions=[], error=str(exc))
        return page(request, "partials/review.html", revisions=revisions, error=None)

    @app.get("/plan.ics", include_in_schema=False)
    def plan_ics() -> Response:
        current = services.current_plan(db, evidence, today(), owner_handle=actor)
        if current is None:
            return PlainTextResponse("no plan yet", status_code=404)
        return Response(
            plan_calendar(current.plan),
            media_type="text/calendar",
            headers={"Content-Disposition": 'attachment; filename="hangtime-plan.ics"'},
        )

    @app.get("/session", response_class=HTMLResponse, include_in_schema=False)
    def session_page(request: Request) -> HTMLResponse:
        error = None
        setup = None
        with db.session() as session:
            owner = repo.owner_id(session, actor)
        running = live.current(owner)
        symptoms = list(evidence.symptoms.values())
        interrupted = services.interrupted_sessions(db, owner) if running is None else []
        if interrupted:
            return page(request, "session.html", interrupted=interrupted[0], symptoms=symptoms)
        if running is None:
            try:
                setup = services.prepare_session(db, evidence, today(), config.checkin_interval_s, owner_handle=actor)
            except ServiceError as exc:
                error = str(exc)
        return page(request, "session.html", error=error, setup=setup, running=running, symptoms=symptoms)

    @app.post("/session/interrupted", response_class=HTMLResponse, include_in_schema=False)
    def interrupted_survey(
        request: Request,
        session_id: Annotated[int, Form()],
        pain_after: Annotated[int, Form(ge=0, le=10)],
        tolerance: Annotated[Tolerance, Form()],
        symptoms: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        with db.session() as session:
            owner = repo.owner_id(session, actor)
        waiting = {i.session_id: i for i in services.interrupted_sessions(db, owner)}
        if session_id not in waiting:
            return RedirectResponse("/session", status_code=303)
        pause = services.log_interrupted(
            db, evidence, owner, waiting[session_id], pain_after, tolerance, tuple(symptoms or ())
        )
        return page(
            request,
            "session.html",
            saved_interrupted=waiting[session_id],
            pause_text=services.pause_message(pause) if pause is not None else None,
            urgent_advice=evidence.rules.urgent_advice.text if pause is not None and pause.urgent else None,
            symptoms=list(evidence.symptoms.values()),
        )

    @app.websocket("/ws/session")
    async def session_socket(socket: WebSocket) -> None:
        await socket.accept()
        with db.session() as session:
            owner = repo.owner_id(session, actor)
        current = live.current(owner)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        if current is not None:
            current.listeners.append(queue)
            await socket.send_json(current.snapshot())
        else:  # a page that thinks a session runs (the server restarted) reloads and learns it was interrupted
            await socket.send_json({"type": "idle"})

        async def pump() -> None:
            while True:
                await socket.send_json(await queue.get())

        sender = asyncio.create_task(pump())
        try:
            while True:
                try:
                    message = json.loads(await socket.receive_text())
                except json.JSONDecodeError:
                    await socket.send_json({"type": "error", "detail": "messages must be JSON"})
                    continue
                if not isinstance(message, dict):
                    await socket.send_json({"type": "error", "detail": "messages must be JSON objects"})
                    continue
                if message.get("type") == "start":
                    if current is not None and not current.finished:
                        await socket.send_json({"type": "error", "detail": "a session is already running"})
                        continue
                    try:
                        setup = services.prepare_session(
                            db, evidence, today(), config.checkin_interval_s, owner_handle=actor
                        )
                        items = tuple(str(i) for i in message.get("items", []))
                        pain = message.get("pain_before")
                        pain_before = int(pain) if pain not in (None, "") else None
                        if pain_before is not None and not 0 <= pain_before <= 10:
                            raise ValueError("pain_before must be 0-10")
                    except (ServiceError, ValueError, TypeError) as exc:
                        await socket.send_json({"type": "error", "detail": str(exc)})
                        continue
                    current = await live.start(setup, items, pain_before)
                    if current.finished:
                        await socket.send_json({"type": "error", "detail": "checklist not complete"})
                        current = None
                        continue
                    current.listeners.append(queue)
                    await socket.send_json(current.snapshot())
                    continue
                if current is None:
                    await socket.send_json({"type": "error", "detail": "no session is running"})
                    continue
                error = live.post(current, message)
                if error:
                    await socket.send_json({"type": "error", "detail": error})
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            if current is not None:
                live.detach(current, queue)

    @app.get("/history", response_class=HTMLResponse, include_in_schema=False)
    def history(request: Request) -> HTMLResponse:
        summary = services.history_summary(db, recent=50, owner_handle=actor)
        context: dict[str, Any] = {
            "logs": summary.recent,
            "count": summary.count,
            "pain": pain_change(summary.pain_scores),
            **charts.all_charts(summary.days),
        }
        return page(request, "history.html", **context)

    @app.get("/report", response_class=HTMLResponse, include_in_schema=False)
    def report(request: Request) -> HTMLResponse:
        return page(
            request, "report.html", **report_context(services.report_data(db, owner_handle=actor), evidence, today())
        )

    @app.get("/report.pdf", include_in_schema=False)
    def report_pdf_download() -> Response:
        pdf = report_pdf(services.report_data(db, owner_handle=actor), evidence, today())
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="hangtime-report.pdf"'},
        )

    @app.get("/report.csv", include_in_schema=False)
    def report_csv() -> Response:
        return Response(
            sessions_csv(services.report_data(db, owner_handle=actor)),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="hangtime-sessions.csv"'},
        )

    app.state.live = live
    app.state.db = db
    app.state.evidence = evidence
    return app
