"""The server-rendered pages (Jinja2 + htmx): onboarding, screening, plan, session, history and the report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from pydantic import ValidationError

from hangtime.app import services
from hangtime.app.services import ServiceError
from hangtime.core.errors import first_problem
from hangtime.core.evidence import Clearer
from hangtime.core.outcomes import PAIN_MIC_POINTS, PEG_ITEMS, PGIC_QUESTION, DiaryEntry, GlobalImpression, PegAnswers
from hangtime.core.planning import Mode, Preferences, SessionLog, Tolerance
from hangtime.core.screening import Answers, ClearanceRecord, parse_blood_pressure
from hangtime.core.trial import DEFAULT_BLOCK_DAYS, DEFAULT_PAIRS, block_on
from hangtime.core.units import (
    UnitError,
    height_as_typed,
    parse_height_cm,
    parse_weight_kg,
    unit_system_of,
    weight_as_typed,
)
from hangtime.exports.calendar import plan_calendar
from hangtime.exports.report import report_context, report_pdf
from hangtime.notify.buddy import BuddyContact
from hangtime.store import repo
from hangtime.web import payloads
from hangtime.web.context import Actor, WebContext

# Form fields as the log form names them, for an error message.
LOG_FIELD_LABELS = {
    "date": "Date",
    "pain_before": "Pain before",
    "pain_after": "Pain after",
    "angle_deg": "Angle",
    "inverted_s": "Minutes inverted",
    "tolerance": "How it felt",
}


def pages_router(ctx: WebContext) -> APIRouter:
    config, evidence, db, live = ctx.config, ctx.evidence, ctx.db, ctx.live
    today, page = ctx.today, ctx.page
    router = APIRouter()

    def blockers(actor: str) -> dict[str, Any]:
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

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, actor: Actor) -> HTMLResponse:
        context = blockers(actor)
        data = services.report_data(db, owner_handle=actor, with_logs=False)
        week = data.plan.plan.week_on(today()) if data.plan else None
        due = services.outcomes_due(db, today(), owner_handle=actor)
        return page(
            request,
            "home.html",
            data=data,
            week=week,
            diary_today=due.diary_today,
            peg_due=due.peg_due,
            peg_items=PEG_ITEMS,
            pgic_week=due.pgic_week,
            pgic_question=PGIC_QUESTION,
            impressions=list(GlobalImpression),
            **context,
        )

    @router.post("/diary", include_in_schema=False)
    def diary_submit(actor: Actor, pain: Annotated[int, Form(ge=0, le=10)]) -> Response:
        """One tap: today's pain in the diary."""
        services.record_diary(db, DiaryEntry(date=today(), pain=pain), today(), owner_handle=actor)
        return RedirectResponse("/#diary", status_code=303)

    @router.post("/peg", include_in_schema=False)
    def peg_submit(
        actor: Actor,
        pain: Annotated[int, Form(ge=0, le=10)],
        enjoyment: Annotated[int, Form(ge=0, le=10)],
        activity: Annotated[int, Form(ge=0, le=10)],
    ) -> Response:
        answers = PegAnswers(date=today(), pain=pain, enjoyment=enjoyment, activity=activity)
        services.record_peg(db, answers, today(), owner_handle=actor)
        return RedirectResponse("/#outcomes", status_code=303)

    @router.post("/impression", include_in_schema=False)
    def impression_submit(actor: Actor, answer: Annotated[int, Form(ge=1, le=7)]) -> Response:
        services.record_global_impression(db, GlobalImpression(answer), today(), owner_handle=actor)
        return RedirectResponse("/#outcomes", status_code=303)

    def trial_page(request: Request, actor: str, error: str | None = None, **form: int) -> HTMLResponse:
        view = services.trial_view(db, today(), owner_handle=actor)
        current = block_on(view.blocks, today()) if view is not None and view.active else None
        values = {"pairs": DEFAULT_PAIRS, "block_days": DEFAULT_BLOCK_DAYS, **form}
        return page(
            request,
            "trial.html",
            status=409 if error else 200,
            view=view,
            current_block=current,
            error=error,
            form=values,
        )

    @router.get("/trial", response_class=HTMLResponse, include_in_schema=False)
    def trial(request: Request, actor: Actor) -> HTMLResponse:
        return trial_page(request, actor)

    @router.post("/trial/start", include_in_schema=False)
    def trial_start(
        request: Request,
        actor: Actor,
        pairs: Annotated[int, Form()] = DEFAULT_PAIRS,
        block_days: Annotated[int, Form()] = DEFAULT_BLOCK_DAYS,
    ) -> Response:
        try:
            services.start_trial(db, evidence, today(), pairs, block_days, owner_handle=actor)
        except ServiceError as refused:  # shown on the page, with what was typed kept
            return trial_page(request, actor, str(refused), pairs=pairs, block_days=block_days)
        return RedirectResponse("/trial", status_code=303)

    @router.post("/trial/stop", include_in_schema=False)
    def trial_stop(actor: Actor) -> Response:
        services.stop_trial(db, today(), owner_handle=actor)
        return RedirectResponse("/trial", status_code=303)

    def profile_form_values(actor: str) -> dict[str, Any]:
        data = services.report_data(db, owner_handle=actor, with_logs=False)
        profile = data.profile
        if profile is None:
            return {"name": "", "age": "", "height": "", "weight": "", "table": "generic", "experienced": False}
        buddy = profile.buddy or {}
        return {
            "name": profile.name,
            "age": profile.age,
            "height": height_as_typed(profile.height_cm, profile.units),
            "weight": weight_as_typed(profile.weight_kg, profile.units),
            "table": profile.table_model,
            "experienced": profile.experienced,
            "buddy_kind": buddy.get("kind", ""),
            "buddy_address": buddy.get("url") or buddy.get("email") or "",
            "buddy_name": buddy.get("name", ""),
        }

    @router.get("/onboarding", response_class=HTMLResponse, include_in_schema=False)
    def onboarding(request: Request, actor: Actor) -> HTMLResponse:
        return page(request, "onboarding.html", values=profile_form_values(actor), errors={})

    @router.post("/buddy/test", response_class=HTMLResponse, include_in_schema=False)
    async def buddy_test(request: Request, actor: Actor) -> HTMLResponse:
        """A test alert to the buddy now, and what happened, in words, on the profile page."""
        try:
            attempts = await services.send_test_alert(
                db, config.smtp(), dt.datetime.now().astimezone(), owner_handle=actor
            )
        except ServiceError as exc:
            outcome, status = str(exc).capitalize() + ".", 409
        else:
            delivered = attempts[-1]["ok"]
            outcome = (
                "The test alert was delivered to your buddy."
                if delivered
                else f"The test alert could not be delivered after {len(attempts)} tries: check the address."
            )
            status = 200 if delivered else 502
        values = profile_form_values(actor)
        return page(request, "onboarding.html", status=status, values=values, errors={}, buddy_status=outcome)

    @router.post("/my-data/delete", response_class=HTMLResponse, include_in_schema=False)
    def delete_my_data(request: Request, actor: Actor, confirm: Annotated[str, Form()] = "") -> Response:
        """Every row of the person's data, after they type DELETE (personal mode; clinic mode has its account page)."""
        if ctx.clinic_mode:
            return RedirectResponse("/account", status_code=303)
        if confirm.strip().upper() != "DELETE":
            values = profile_form_values(actor)
            errors = {"delete": "Type DELETE in capitals to confirm: nothing was deleted."}
            return page(request, "onboarding.html", status=422, values=values, errors=errors)
        services.delete_all_data(db, owner_handle=actor)
        return RedirectResponse("/?deleted=1", status_code=303)

    @router.post("/onboarding", response_class=HTMLResponse, include_in_schema=False)
    def onboarding_submit(
        actor: Actor,
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
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, actor)
            repo.save_profile(uow, owner, answers, name=name, units=unit_system_of(height, weight))
        services.save_buddy(db, contact, name, owner_handle=actor)
        return RedirectResponse("/screening", status_code=303)

    @router.get("/screening", response_class=HTMLResponse, include_in_schema=False)
    def screening_page(request: Request, actor: Actor) -> Response:
        if services.report_data(db, owner_handle=actor, with_logs=False).profile is None:
            return RedirectResponse("/onboarding", status_code=303)
        last = services.latest_screening(db, owner_handle=actor)  # the form starts from the last answers
        reading = last.answers.blood_pressure if last else None
        return page(
            request,
            "screening.html",
            errors={},
            checked=set(last.answers.conditions) if last else set(),
            bp=f"{reading.systolic}/{reading.diastolic}" if reading else "",
            bp_date=reading.measured_on.isoformat() if reading and reading.measured_on else "",
        )

    @router.post("/screening", response_class=HTMLResponse, include_in_schema=False)
    async def screening_submit(request: Request, actor: Actor) -> Response:
        form = await request.form()
        profile = services.report_data(db, owner_handle=actor, with_logs=False).profile
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

    @router.get("/screening/result", response_class=HTMLResponse, include_in_schema=False)
    def screening_result(request: Request, actor: Actor) -> Response:
        saved = services.latest_screening(db, owner_handle=actor)
        if saved is None:
            return RedirectResponse("/screening", status_code=303)
        return page(request, "result.html", result=saved.result, answers=saved.answers, errors={})

    @router.post("/clearance", response_class=HTMLResponse, include_in_schema=False)
    def clearance_submit(
        actor: Actor,
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

    def plan_form(
        current: services.CurrentPlan | None, saved: repo.SavedScreening | None, **typed: str
    ) -> dict[str, Any]:
        """The plan form's values: what was just typed, else the current plan's settings, else the defaults."""
        prefs = current.plan.preferences if current else None
        protocol = evidence.protocol
        values: dict[str, Any] = {
            "start_date": today().isoformat(),
            "weeks": (prefs.weeks if prefs else None) or protocol.default_weeks,
            "days_per_week": (prefs.days_per_week if prefs else None) or protocol.default_days_per_week,
            "sessions_per_day": prefs.sessions_per_day if prefs else 1,
            "mode": prefs.mode.value if prefs else "static",
            "max_sessions_per_day": saved.result.caps.max_sessions_per_day if saved else 1,
            "at": "08:00",
        }
        for key, value in typed.items():
            values[key] = int(value) if value.isdigit() else value
        return values

    @router.get("/plan", response_class=HTMLResponse, include_in_schema=False)
    def plan_page(request: Request, actor: Actor) -> HTMLResponse:
        current = services.current_plan(db, evidence, today(), owner_handle=actor)
        saved = services.latest_screening(db, owner_handle=actor)
        week = current.plan.week_on(today()) if current else None
        return page(
            request,
            "plan.html",
            current=current,
            screening=saved,
            week=week,
            errors={},
            form=plan_form(current, saved),
            **blockers(actor),
        )

    @router.post("/plan", response_class=HTMLResponse, include_in_schema=False)
    def plan_submit(
        actor: Actor,
        request: Request,
        start_date: Annotated[str, Form()] = "",
        weeks: Annotated[str, Form()] = "8",
        days_per_week: Annotated[str, Form()] = "4",
        sessions_per_day: Annotated[str, Form()] = "1",
        mode: Annotated[str, Form()] = "static",
    ) -> Response:
        saved = services.latest_screening(db, owner_handle=actor)
        try:
            prefs = Preferences(
                start_date=dt.date.fromisoformat(start_date) if start_date else today(),
                weeks=int(weeks),
                days_per_week=int(days_per_week),
                sessions_per_day=int(sessions_per_day),
                mode=Mode(mode),
            )
            services.make_plan(db, evidence, prefs, today(), owner_handle=actor)
        except (ValueError, ServiceError) as exc:
            message = first_problem(exc)[1] if isinstance(exc, ValidationError) else str(exc)
            current = services.current_plan(db, evidence, today(), owner_handle=actor)
            typed = {
                "start_date": start_date,
                "weeks": weeks,
                "days_per_week": days_per_week,
                "sessions_per_day": sessions_per_day,
                "mode": mode,
            }
            return page(
                request,
                "plan.html",
                status=422,
                current=current,
                screening=saved,
                week=current.plan.week_on(today()) if current else None,
                errors={"plan": message},
                form=plan_form(current, saved, **typed),
                **blockers(actor),
            )
        return RedirectResponse("/plan", status_code=303)

    @router.post("/plan/review", response_class=HTMLResponse, include_in_schema=False)
    def plan_review(request: Request, actor: Actor) -> HTMLResponse:
        try:
            _, revisions = services.review_plan(db, evidence, today(), owner_handle=actor)
        except ServiceError as exc:
            return page(request, "partials/review.html", status=409, revisions=[], error=str(exc))
        return page(request, "partials/review.html", revisions=revisions, error=None)

    @router.get("/plan.ics", include_in_schema=False)
    def plan_ics(actor: Actor, at: dt.time = dt.time(8, 0)) -> Response:
        """The plan as a calendar, the first daily session at `at` (HH:MM), with a reminder before each."""
        current = services.current_plan(db, evidence, today(), owner_handle=actor)
        if current is None:
            return PlainTextResponse("no plan yet", status_code=404)
        blocks = services.running_trial_blocks(db, today(), owner_handle=actor)
        return Response(
            plan_calendar(current.plan, at, trial_blocks=blocks),
            media_type="text/calendar",
            headers={"Content-Disposition": 'attachment; filename="hangtime-plan.ics"'},
        )

    @router.get("/session", response_class=HTMLResponse, include_in_schema=False)
    def session_page(request: Request, actor: Actor) -> HTMLResponse:
        error = None
        setup = None
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, actor)
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

    @router.post("/session/interrupted", response_class=HTMLResponse, include_in_schema=False)
    def interrupted_survey(
        actor: Actor,
        request: Request,
        session_id: Annotated[int, Form()],
        pain_after: Annotated[int, Form(ge=0, le=10)],
        tolerance: Annotated[Tolerance, Form()],
        symptoms: Annotated[list[str] | None, Form()] = None,
    ) -> Response:
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, actor)
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

    def history_page(
        request: Request, actor: str, status: int = 200, error: str | None = None, typed: dict[str, Any] | None = None
    ) -> HTMLResponse:
        # The charts are drawn in the browser from /api/history/days (history.js): the page carries no pictures.
        summary = services.history_summary(db, recent=50, with_days=False, owner_handle=actor)
        context: dict[str, Any] = {
            "logs": list(zip(summary.recent_ids, summary.recent, strict=True)),
            "count": summary.count,
            "pain": summary.pain,
            "mic": PAIN_MIC_POINTS,
            "changes": services.session_log_changes(db, owner_handle=actor),
            "guided": services.guided_session_list(db, owner_handle=actor),
            "symptoms": list(evidence.symptoms.values()),
            "log_error": error,
            "typed": typed or {"date": today().isoformat(), "completed": True, "symptoms": []},
        }
        return page(request, "history.html", status=status, **context)

    @router.get("/history", response_class=HTMLResponse, include_in_schema=False)
    def history(request: Request, actor: Actor) -> HTMLResponse:
        return history_page(request, actor)

    @router.post("/log", response_class=HTMLResponse, include_in_schema=False)
    async def log_by_hand(request: Request, actor: Actor) -> Response:
        """A session logged by hand (one done without the guided page); refused beyond the caps, with the reason
        and what was typed kept."""
        form = await request.form()
        typed: dict[str, Any] = {
            key: str(form.get(key, "")).strip() for key in ("date", "pain_before", "pain_after", "tolerance")
        }
        typed |= {"completed": bool(form.get("completed")), "symptoms": [str(v) for v in form.getlist("symptoms")]}
        typed |= {key: str(form.get(key, "")).strip() for key in ("angle_deg", "minutes")}
        try:
            minutes = float(typed["minutes"]) if typed["minutes"] else None
            log = SessionLog.model_validate(
                {
                    "date": typed["date"] or today().isoformat(),
                    "completed": typed["completed"],
                    "pain_before": int(typed["pain_before"]) if typed["pain_before"] else None,
                    "pain_after": int(typed["pain_after"]) if typed["pain_after"] else None,
                    "tolerance": typed["tolerance"] or None,
                    "symptoms": tuple(typed["symptoms"]),
                    "angle_deg": float(typed["angle_deg"]) if typed["angle_deg"] else None,
                    "inverted_s": round(minutes * 60) if minutes is not None else None,
                }
            )
            services.log_sessions(db, evidence, [log], today(), owner_handle=actor)
        except ValidationError as exc:
            where, message = first_problem(exc)
            return history_page(request, actor, 422, f"{LOG_FIELD_LABELS.get(where, where)}: {message}", typed)
        except ValueError as exc:  # a number that is not one, or a refusal (ServiceError) in words
            message = str(exc) if isinstance(exc, ServiceError) else "type numbers as digits, e.g. 30 or 2.5"
            return history_page(request, actor, 422, message, typed)
        return RedirectResponse("/history#latest", status_code=303)

    @router.get("/log/{log_id}", response_class=HTMLResponse, include_in_schema=False)
    def log_change_page(request: Request, actor: Actor, log_id: int) -> Response:
        try:
            log = services.session_log(db, log_id, owner_handle=actor)
        except services.LogNotFound:
            return page(request, "not_found.html", status=404)
        return page(request, "log_change.html", log=log, log_id=log_id, symptoms=list(evidence.symptoms.values()))

    @router.post("/log/{log_id}/edit", response_class=HTMLResponse, include_in_schema=False)
    async def log_edit(request: Request, actor: Actor, log_id: int) -> Response:
        form = await request.form()
        try:
            log = services.session_log(db, log_id, owner_handle=actor)
            edit = services.LogEdit.model_validate(
                {
                    "completed": bool(form.get("completed")),
                    "pain_before": int(str(form["pain_before"])) if form.get("pain_before") else None,
                    "pain_after": int(str(form["pain_after"])) if form.get("pain_after") else None,
                    "tolerance": str(form.get("tolerance") or "") or None,
                    "symptoms": tuple(str(v) for v in form.getlist("symptoms")),
                }
            )
            services.edit_session_log(db, evidence, log_id, edit, str(form.get("reason", "")), owner_handle=actor)
        except services.LogNotFound:
            return page(request, "not_found.html", status=404)
        except (ValidationError, ServiceError) as exc:
            message = first_problem(exc)[1] if isinstance(exc, ValidationError) else str(exc)
            context = {"log": log, "log_id": log_id, "symptoms": list(evidence.symptoms.values())}
            return page(request, "log_change.html", status=422, error=message, **context)
        return RedirectResponse("/history#changes", status_code=303)

    @router.post("/log/{log_id}/delete", response_class=HTMLResponse, include_in_schema=False)
    def log_delete(request: Request, actor: Actor, log_id: int, reason: Annotated[str, Form()] = "") -> Response:
        try:
            log = services.session_log(db, log_id, owner_handle=actor)
            services.delete_session_log(db, log_id, reason, owner_handle=actor)
        except services.LogNotFound:
            return page(request, "not_found.html", status=404)
        except ServiceError as exc:
            context = {"log": log, "log_id": log_id, "symptoms": list(evidence.symptoms.values())}
            return page(request, "log_change.html", status=422, delete_error=str(exc), **context)
        return RedirectResponse("/history#changes", status_code=303)

    @router.get("/report", response_class=HTMLResponse, include_in_schema=False)
    def report(request: Request, actor: Actor) -> HTMLResponse:
        return page(
            request,
            "report.html",
            **report_context(services.report_data(db, owner_handle=actor, today=today()), evidence, today()),
        )

    @router.get("/report.pdf", include_in_schema=False)
    def report_pdf_download(actor: Actor) -> Response:
        pdf = report_pdf(services.report_data(db, owner_handle=actor, today=today()), evidence, today())
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": 'attachment; filename="hangtime-report.pdf"'},
        )

    @router.get("/outcomes.csv", include_in_schema=False)
    def outcomes_csv(actor: Actor) -> Response:
        return payloads.outcomes_csv(db, actor)

    @router.get("/report.csv", include_in_schema=False)
    def report_csv(actor: Actor) -> Response:
        return payloads.sessions_csv(db, actor)

    return router
