"""Clinic mode's routes: signing in and out, invitations, the clinician's dashboard, patients and alerts, and a
patient's view of who looked at their data. Registered only in clinic mode."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from hangtime.app import clinic, services
from hangtime.core.evidence import Clearer
from hangtime.core.outcomes import pain_change
from hangtime.exports.fhir import fhir_bundle
from hangtime.exports.report import OUTCOME_LABELS, report_context
from hangtime.web.context import SESSION_COOKIE, SignedIn, WebContext


class LoginRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=clinic.MAX_PASSWORD_LENGTH)


class InviteRequest(BaseModel):
    email: str = Field(max_length=254)
    profession: Clearer | None = None


def address_of(request: Request) -> str:
    return request.client.host if request.client else ""


def _safe_next(target: str) -> str:
    """Only a path on this site: never an open redirect to another."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _clinician(actor: SignedIn) -> clinic.Actor:
    if actor.role is not clinic.Role.CLINICIAN:
        raise clinic.NotAllowed("Only a clinician can do this.")
    return actor


def _staff(actor: SignedIn) -> clinic.Actor:
    if actor.role not in (clinic.Role.CLINICIAN, clinic.Role.ADMIN):
        raise clinic.NotAllowed("Only a clinician or an administrator can do this.")
    return actor


# Declared on the route, so a refusal comes before the request body is even read.
Clinician = Annotated[clinic.Actor, Depends(_clinician)]
Staff = Annotated[clinic.Actor, Depends(_staff)]


def clinic_router(ctx: WebContext) -> APIRouter:
    db, evidence, today, page = ctx.db, ctx.evidence, ctx.today, ctx.page
    router = APIRouter()

    def set_cookie(response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=ctx.config.secure_cookies,
            max_age=int(clinic.ABSOLUTE_TIMEOUT.total_seconds()),
            path="/",
        )

    def home_of(actor: clinic.Actor) -> str:
        return "/" if actor.role is clinic.Role.PATIENT else "/clinic"

    # -- signing in and out -------------------------------------------------------------------------------------

    @router.post("/api/login", status_code=204, tags=["accounts"], responses={401: {}, 429: {}})
    def api_login(body: LoginRequest, request: Request) -> Response:
        login = clinic.log_in(db, body.email, body.password, ctx.now(), ctx.limiter, address_of(request))
        response = Response(status_code=204)
        set_cookie(response, login.token)
        return response

    @router.post("/api/logout", status_code=204, tags=["accounts"])
    def api_logout(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            clinic.log_out(db, token)
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/api/me", tags=["accounts"])
    def api_me(actor: SignedIn) -> dict[str, Any]:
        return {"email": actor.email, "role": actor.role.value, "role_label": clinic.ROLE_LABELS[actor.role]}

    @router.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return page(request, "clinic/login.html", next=_safe_next(next), email="", error=None)

    @router.post("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_submit(
        request: Request,
        email: Annotated[str, Form(max_length=254)] = "",
        password: Annotated[str, Form(max_length=clinic.MAX_PASSWORD_LENGTH)] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        try:
            login = clinic.log_in(db, email, password, ctx.now(), ctx.limiter, address_of(request))
        except (clinic.LoginFailed, clinic.TooManyAttempts) as exc:
            status = 429 if isinstance(exc, clinic.TooManyAttempts) else 401
            context = {"next": _safe_next(next), "email": email, "error": str(exc)}
            return page(request, "clinic/login.html", status=status, **context)
        target = _safe_next(next)
        response = RedirectResponse(target if target != "/" else home_of(login.actor), status_code=303)
        set_cookie(response, login.token)
        return response

    @router.post("/logout", include_in_schema=False)
    def logout_submit(request: Request) -> Response:
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            clinic.log_out(db, token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- invitations ----------------------------------------------------------------------------------------------

    def invite_link(request: Request, token: str) -> str:
        return str(request.base_url).rstrip("/") + f"/invite/{token}"

    @router.post("/api/invites", status_code=201, tags=["accounts"])
    def api_invite(body: InviteRequest, actor: Staff, request: Request) -> dict[str, str]:
        token = clinic.invite(db, actor, body.email, ctx.now(), profession=body.profession)
        return {"email": clinic.normalised_email(body.email), "link": invite_link(request, token)}

    @router.get("/invite/{token}", response_class=HTMLResponse, include_in_schema=False)
    def invite_page(request: Request, token: str) -> HTMLResponse:
        try:
            email = clinic.invite_email(db, token, ctx.now())
        except clinic.AccountError as exc:
            return page(request, "clinic/invite.html", status=404, invalid=str(exc))
        return page(request, "clinic/invite.html", email=email, error=None, invalid=None)

    @router.post("/invite/{token}", response_class=HTMLResponse, include_in_schema=False)
    def invite_submit(
        request: Request, token: str, password: Annotated[str, Form(max_length=clinic.MAX_PASSWORD_LENGTH)] = ""
    ) -> Response:
        try:
            email = clinic.invite_email(db, token, ctx.now())
        except clinic.AccountError as exc:
            return page(request, "clinic/invite.html", status=404, invalid=str(exc))
        try:
            clinic.accept_invite(db, token, password, ctx.now())
        except clinic.AccountError as exc:
            return page(request, "clinic/invite.html", status=422, email=email, error=str(exc), invalid=None)
        return RedirectResponse("/login", status_code=303)

    # -- the clinician's patients -----------------------------------------------------------------------------------

    @router.get("/api/patients", tags=["clinic"])
    def api_patients(actor: Clinician, request: Request) -> list[dict[str, object]]:
        return [row.as_dict() for row in clinic.dashboard(db, actor, today(), ctx.now(), address_of(request))]

    def patient(actor: clinic.Actor, patient_id: int, what: str, request: Request) -> clinic.Patient:
        return clinic.patient_for(db, actor, patient_id, what, address_of(request), ctx.now())

    @router.get("/api/patients/{patient_id}/history", tags=["clinic"])
    def api_patient_history(
        patient_id: int,
        actor: Clinician,
        request: Request,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> dict[str, Any]:
        handle = patient(actor, patient_id, "history", request).owner_handle
        summary = services.history_summary(db, recent=limit, offset=offset, with_days=False, owner_handle=handle)
        return {
            "count": summary.count,
            "limit": limit,
            "offset": offset,
            "sessions": [log.model_dump(mode="json") for log in summary.recent],
            "pain_change": pain_change(summary.pain_scores).__dict__,
        }

    @router.get("/api/patients/{patient_id}/plan", tags=["clinic"])
    def api_patient_plan(patient_id: int, actor: Clinician, request: Request) -> dict[str, Any]:
        handle = patient(actor, patient_id, "plan", request).owner_handle
        current = services.current_plan(db, evidence, today(), owner_handle=handle)
        pauses = services.active_pauses(db, evidence, today(), owner_handle=handle)
        if current is None:
            return {"plan": None, "pauses": [services.pause_dict(p) for p in pauses]}
        return {
            "id": current.id,
            **current.plan.as_dict(),
            "paused": current.plan.paused or bool(pauses),
            "pauses": [services.pause_dict(p) for p in pauses],
            "revisions": current.revisions,
        }

    @router.get("/api/patients/{patient_id}/screening", tags=["clinic"])
    def api_patient_screening(patient_id: int, actor: Clinician, request: Request) -> dict[str, Any]:
        handle = patient(actor, patient_id, "screening", request).owner_handle
        saved = services.latest_screening(db, owner_handle=handle)
        if saved is None:
            return {"screening": None}
        return {"id": saved.id, "answers": saved.answers.model_dump(mode="json"), **saved.result.as_dict()}

    @router.get("/api/patients/{patient_id}/report", response_class=HTMLResponse, tags=["clinic"])
    def api_patient_report(patient_id: int, actor: Clinician, request: Request) -> HTMLResponse:
        handle = patient(actor, patient_id, "report", request).owner_handle
        context = report_context(services.report_data(db, owner_handle=handle), evidence, today())
        return page(request, "report.html", **context)

    @router.get("/api/patients/{patient_id}/fhir", tags=["clinic"])
    def api_patient_fhir(patient_id: int, actor: Clinician, request: Request) -> dict[str, Any]:
        handle = patient(actor, patient_id, "FHIR export", request).owner_handle
        data = services.report_data(db, owner_handle=handle)
        answers = data.screening.answers if data.screening else None
        result = data.screening.result if data.screening else None
        plan = data.plan.plan if data.plan else None
        return fhir_bundle(evidence, answers, result, plan, data.logs, dt.datetime.now(dt.UTC))

    @router.get("/api/alerts", tags=["clinic"])
    def api_alerts(
        actor: Clinician, open_only: Annotated[bool, Query(alias="open")] = False
    ) -> list[dict[str, object]]:
        return [a.as_dict() for a in clinic.alerts(db, actor, open_only=open_only)]

    @router.post("/api/alerts/{alert_id}/acknowledge", status_code=204, tags=["clinic"])
    def api_acknowledge(alert_id: int, actor: Clinician, request: Request) -> Response:
        clinic.acknowledge_alert(db, actor, alert_id, ctx.now(), address_of(request))
        return Response(status_code=204)

    @router.get("/api/access-log", tags=["accounts"])
    def api_access_log(actor: SignedIn) -> list[dict[str, str]]:
        return [r.as_dict() for r in clinic.who_looked(db, actor)]

    # -- pages ------------------------------------------------------------------------------------------------------

    def dashboard_page(request: Request, actor: clinic.Actor, status: int = 200, **extra: Any) -> HTMLResponse:
        is_clinician = actor.role is clinic.Role.CLINICIAN
        rows = clinic.dashboard(db, actor, today(), ctx.now(), address_of(request)) if is_clinician else []
        open_alerts = clinic.alerts(db, actor, open_only=True) if is_clinician else []
        context = {"invite_link": None, "invited": None, "error": None, **extra}
        return page(
            request,
            "clinic/dashboard.html",
            status=status,
            actor=actor,
            rows=rows,
            alerts=open_alerts,
            outcome_labels={o.value: label for o, label in OUTCOME_LABELS.items()},
            professions=[(c.value, label) for c, label in clinic.PROFESSION_LABELS.items()],
            **context,
        )

    @router.get("/clinic", response_class=HTMLResponse, include_in_schema=False)
    def clinic_page(request: Request, actor: SignedIn) -> Response:
        if actor.role is clinic.Role.PATIENT:
            return RedirectResponse("/", status_code=303)
        return dashboard_page(request, actor)

    @router.post("/clinic/invite", response_class=HTMLResponse, include_in_schema=False)
    def clinic_invite(
        request: Request,
        actor: Staff,
        email: Annotated[str, Form(max_length=254)] = "",
        profession: Annotated[str, Form()] = "",
    ) -> HTMLResponse:
        chosen = Clearer(profession) if profession in set(Clearer) else None
        try:
            token = clinic.invite(db, actor, email, ctx.now(), profession=chosen)
        except clinic.AccountError as exc:
            return dashboard_page(request, actor, status=422, error=str(exc))
        return dashboard_page(request, actor, invite_link=invite_link(request, token), invited=email)

    @router.post("/clinic/alerts/{alert_id}/acknowledge", include_in_schema=False)
    def clinic_acknowledge(alert_id: int, actor: Clinician, request: Request) -> Response:
        clinic.acknowledge_alert(db, actor, alert_id, ctx.now(), address_of(request))
        return RedirectResponse("/clinic#alerts", status_code=303)

    @router.get("/clinic/patients/{patient_id}", response_class=HTMLResponse, include_in_schema=False)
    def clinic_patient(patient_id: int, actor: Clinician, request: Request) -> HTMLResponse:
        found = patient(actor, patient_id, "patient page", request)
        summary = services.history_summary(db, recent=100, with_days=False, owner_handle=found.owner_handle)
        return page(
            request,
            "clinic/patient.html",
            patient=found,
            screening=services.latest_screening(db, owner_handle=found.owner_handle),
            plan=services.current_plan(db, evidence, today(), owner_handle=found.owner_handle),
            sessions=summary.recent,
            alerts=[a for a in clinic.alerts(db, actor) if a.patient_account_id == found.account_id],
        )

    @router.get("/access", response_class=HTMLResponse, include_in_schema=False)
    def access_page(request: Request, actor: SignedIn) -> HTMLResponse:
        return page(request, "clinic/access.html", records=clinic.who_looked(db, actor))

    return router
