"""Clinic mode's routes: signing in and out, invitations, the clinician's dashboard, patients and alerts, and a
patient's view of who looked at their data. Registered only in clinic mode."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, ValidationError

from hangtime.app import clinic, services
from hangtime.core.errors import validation_message
from hangtime.core.evidence import Clearer
from hangtime.core.evidence.models import PartialCaps
from hangtime.core.planning import PlanError
from hangtime.core.screening import CLEARER_NAMES, ClearanceRecord
from hangtime.exports.report import OUTCOME_LABELS, report_context
from hangtime.web import payloads
from hangtime.web.context import SESSION_COOKIE, SignedIn, WebContext, problem


class LoginRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=clinic.MAX_PASSWORD_LENGTH)


class PatientClearanceRequest(BaseModel):
    """A clearance the signed-in clinician signs: their profession is who clears, today is its date."""

    conditions: list[str] = Field(min_length=1)
    caps: PartialCaps | None = None
    valid_until: dt.date | None = None


class PrescriptionRequest(BaseModel):
    max_angle_deg: float | None = Field(default=None, ge=0, le=90)
    max_hold_s: int | None = Field(default=None, ge=10, le=3600)
    max_sessions_per_day: int | None = Field(default=None, ge=1, le=10)
    reason: str = Field(min_length=1, max_length=500)


class NoteRequest(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class DeleteAccountRequest(BaseModel):
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


def own_patient(what: str, action: str = "read") -> Callable[..., clinic.Patient]:
    """A dependency: the signed-in clinician's own patient from the path, the access audited; resolved before the
    request body is read, so another clinician's request is refused whatever it carries."""

    def resolve(patient_id: int, actor: Clinician, request: Request) -> clinic.Patient:
        ctx = request.app.state.ctx
        return clinic.patient_for(ctx.db, actor, patient_id, what, address_of(request), ctx.now(), action)

    return resolve


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

    @router.get("/api/patients/{patient_id}/history", tags=["clinic"])
    def api_patient_history(
        found: Annotated[clinic.Patient, Depends(own_patient("history"))],
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ) -> dict[str, Any]:
        return payloads.history(db, found.owner_handle, limit, offset)

    @router.get("/api/patients/{patient_id}/sessions", tags=["clinic"])
    def api_patient_sessions(
        found: Annotated[clinic.Patient, Depends(own_patient("guided sessions"))],
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
    ) -> list[dict[str, object]]:
        """Guided sessions, newest first, with their events, symptoms, how they ended and buddy alerts."""
        return [s.as_dict() for s in clinic.guided_sessions(db, found, limit)]

    @router.get("/api/patients/{patient_id}/notes", tags=["clinic"])
    def api_patient_notes(
        found: Annotated[clinic.Patient, Depends(own_patient("notes"))],
    ) -> list[dict[str, str]]:
        return [n.as_dict() for n in clinic.patient_notes(db, found)]

    @router.post("/api/patients/{patient_id}/notes", status_code=201, tags=["clinic"])
    def api_patient_add_note(
        body: NoteRequest,
        actor: Clinician,
        found: Annotated[clinic.Patient, Depends(own_patient("wrote a note", "change"))],
    ) -> Response:
        clinic.add_note(db, actor, found, body.text, ctx.now())
        return Response(status_code=201)

    @router.get("/api/patients/{patient_id}/plan", tags=["clinic"], responses={404: {"description": "No plan"}})
    def api_patient_plan(found: Annotated[clinic.Patient, Depends(own_patient("plan"))]) -> Any:
        answer = payloads.plan(db, evidence, today(), found.owner_handle)
        return answer if answer is not None else problem(404, "Not found", "no plan yet")

    @router.get("/api/patients/{patient_id}/screening", tags=["clinic"], responses={404: {"description": "None"}})
    def api_patient_screening(found: Annotated[clinic.Patient, Depends(own_patient("screening"))]) -> Any:
        answer = payloads.screening(db, found.owner_handle)
        return answer if answer is not None else problem(404, "Not found", "no screening yet")

    @router.get("/api/patients/{patient_id}/report", response_class=HTMLResponse, tags=["clinic"])
    def api_patient_report(
        request: Request, found: Annotated[clinic.Patient, Depends(own_patient("report"))]
    ) -> HTMLResponse:
        context = report_context(
            services.report_data(db, owner_handle=found.owner_handle, today=today()), evidence, today()
        )
        return page(request, "report.html", **context)

    @router.get("/api/patients/{patient_id}/fhir", tags=["clinic"], response_class=StreamingResponse)
    def api_patient_fhir(found: Annotated[clinic.Patient, Depends(own_patient("FHIR export"))]) -> StreamingResponse:
        return payloads.fhir(db, evidence, found.owner_handle)

    def sign_clearance(actor: clinic.Actor, handle: str, body: PatientClearanceRequest) -> dict[str, Any]:
        if actor.profession is None:
            raise clinic.NotAllowed("Your account names no profession, so you cannot sign a clearance.")
        record = ClearanceRecord(
            by=actor.profession,
            date=today(),
            conditions=tuple(body.conditions),
            name=actor.email,
            caps=body.caps,
            valid_until=body.valid_until,
        )
        return services.record_clearance(db, evidence, record, today(), owner_handle=handle).as_dict()

    def adjust(handle: str, body: PrescriptionRequest) -> dict[str, Any]:
        limit = PartialCaps(
            max_angle_deg=body.max_angle_deg, max_hold_s=body.max_hold_s, max_sessions_per_day=body.max_sessions_per_day
        )
        plan, revision = services.adjust_prescription(db, evidence, limit, body.reason, today(), owner_handle=handle)
        return {"revision": revision.as_dict(), "caps": plan.caps.as_dict()}

    @router.post("/api/patients/{patient_id}/clearances", tags=["clinic"])
    def api_patient_clearance(
        body: PatientClearanceRequest,
        actor: Clinician,
        found: Annotated[clinic.Patient, Depends(own_patient("recorded a clearance", "change"))],
    ) -> dict[str, Any]:
        return sign_clearance(actor, found.owner_handle, body)

    @router.post("/api/patients/{patient_id}/prescription", tags=["clinic"])
    def api_patient_prescription(
        body: PrescriptionRequest,
        found: Annotated[clinic.Patient, Depends(own_patient("adjusted the prescription", "change"))],
    ) -> dict[str, Any]:
        return adjust(found.owner_handle, body)

    @router.get("/api/alerts", tags=["clinic"])
    def api_alerts(
        actor: Clinician, open_only: Annotated[bool, Query(alias="open")] = False
    ) -> list[dict[str, object]]:
        return [a.as_dict() for a in clinic.alerts(db, actor, open_only=open_only)]

    @router.post("/api/alerts/{alert_id}/acknowledge", status_code=204, tags=["clinic"])
    def api_acknowledge(alert_id: int, actor: Clinician, request: Request) -> Response:
        clinic.acknowledge_alert(db, actor, alert_id, ctx.now(), address_of(request))
        return Response(status_code=204)

    @router.get("/api/clinic/outcomes", tags=["clinic"])
    def api_clinic_outcomes(actor: Staff, request: Request) -> dict[str, object]:
        """Pain trend and adherence summed over an administrator's whole clinic, or a clinician's patients."""
        return clinic.clinic_outcomes(db, actor, today(), ctx.now(), address_of(request)).as_dict()

    @router.get("/api/access-log", tags=["accounts"])
    def api_access_log(actor: SignedIn) -> list[dict[str, str]]:
        return [r.as_dict() for r in clinic.who_looked(db, actor)]

    @router.post("/api/account/delete", status_code=204, tags=["accounts"])
    def api_delete_account(body: DeleteAccountRequest, actor: SignedIn, request: Request) -> Response:
        clinic.delete_own_account(db, actor, body.password, ctx.now(), address_of(request))
        response = Response(status_code=204)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # -- pages ------------------------------------------------------------------------------------------------------

    def dashboard_page(
        request: Request, actor: clinic.Actor, status: int = 200, number: int = 1, **extra: Any
    ) -> HTMLResponse:
        is_clinician = actor.role is clinic.Role.CLINICIAN
        listing = None
        if is_clinician:
            listing = clinic.dashboard_page(db, actor, today(), ctx.now(), address_of(request), page=number)
        open_alerts = clinic.alerts(db, actor, open_only=True) if is_clinician else []
        context = {"invite_link": None, "invited": None, "error": None, **extra}
        return page(
            request,
            "clinic/dashboard.html",
            status=status,
            actor=actor,
            listing=listing,
            rows=listing.rows if listing else [],
            summary=listing.summary if listing and listing.patients else None,
            alerts=open_alerts,
            outcome_labels={o.value: label for o, label in OUTCOME_LABELS.items()},
            professions=[(c.value, label) for c, label in clinic.PROFESSION_LABELS.items()],
            **context,
        )

    @router.get("/clinic", response_class=HTMLResponse, include_in_schema=False)
    def clinic_page(request: Request, actor: SignedIn, page: Annotated[int, Query(ge=1, le=1_000_000)] = 1) -> Response:
        if actor.role is clinic.Role.PATIENT:
            return RedirectResponse("/", status_code=303)
        return dashboard_page(request, actor, number=page)

    @router.get("/clinic/outcomes", response_class=HTMLResponse, include_in_schema=False)
    def clinic_outcomes_page(request: Request, actor: Staff) -> Response:
        figures = clinic.clinic_outcomes(db, actor, today(), ctx.now(), address_of(request))
        return page(request, "clinic/outcomes.html", actor=actor, summary=figures)

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

    def patient_page(
        request: Request, actor: clinic.Actor, found: clinic.Patient, status: int = 200, **extra: Any
    ) -> HTMLResponse:
        summary = services.history_summary(db, recent=100, with_days=False, owner_handle=found.owner_handle)
        screening = services.latest_screening(db, owner_handle=found.owner_handle)
        needing = [r for r in screening.result.reasons if r.clearance_by] if screening else []
        context = {"notice": None, "error": None, **extra}
        return page(
            request,
            "clinic/patient.html",
            status=status,
            actor=actor,
            needing_clearance=needing,
            profession_label=CLEARER_NAMES[actor.profession] if actor.profession else None,
            patient=found,
            screening=services.latest_screening(db, owner_handle=found.owner_handle),
            plan=services.current_plan(db, evidence, today(), owner_handle=found.owner_handle),
            sessions=summary.recent,
            alerts=[a for a in clinic.alerts(db, actor) if a.patient_account_id == found.account_id],
            guided=clinic.guided_sessions(db, found, 20),
            notes=clinic.patient_notes(db, found),
            **context,
        )

    @router.get("/clinic/patients/{patient_id}", response_class=HTMLResponse, include_in_schema=False)
    def clinic_patient(
        actor: Clinician, request: Request, found: Annotated[clinic.Patient, Depends(own_patient("patient page"))]
    ) -> HTMLResponse:
        return patient_page(request, actor, found)

    @router.post("/clinic/patients/{patient_id}/clearance", response_class=HTMLResponse, include_in_schema=False)
    async def clinic_patient_clearance(
        actor: Clinician,
        request: Request,
        found: Annotated[clinic.Patient, Depends(own_patient("recorded a clearance", "change"))],
    ) -> HTMLResponse:
        form = await request.form()
        conditions = [str(c) for c in form.getlist("conditions")]
        try:
            sign_clearance(actor, found.owner_handle, PatientClearanceRequest(conditions=conditions))
        except ValidationError:
            return patient_page(request, actor, found, 422, error="Tick at least one condition to clear.")
        except (services.ServiceError, clinic.NotAllowed) as exc:
            return patient_page(request, actor, found, 409, error=str(exc))
        return patient_page(request, actor, found, notice="The clearance is recorded, signed by you.")

    @router.post("/clinic/patients/{patient_id}/notes", response_class=HTMLResponse, include_in_schema=False)
    def clinic_patient_note(
        actor: Clinician,
        request: Request,
        found: Annotated[clinic.Patient, Depends(own_patient("wrote a note", "change"))],
        text: Annotated[str, Form(max_length=4000)] = "",
    ) -> HTMLResponse:
        try:
            clinic.add_note(db, actor, found, text, ctx.now())
        except clinic.AccountError as exc:
            return patient_page(request, actor, found, 422, error=str(exc))
        return patient_page(request, actor, found, notice="The note is saved.")

    @router.post("/clinic/patients/{patient_id}/prescription", response_class=HTMLResponse, include_in_schema=False)
    def clinic_patient_prescription(
        actor: Clinician,
        request: Request,
        found: Annotated[clinic.Patient, Depends(own_patient("adjusted the prescription", "change"))],
        max_angle_deg: Annotated[str, Form()] = "",
        max_hold_s: Annotated[str, Form()] = "",
        max_sessions_per_day: Annotated[str, Form()] = "",
        reason: Annotated[str, Form(max_length=500)] = "",
    ) -> HTMLResponse:
        try:
            body = PrescriptionRequest(
                max_angle_deg=float(max_angle_deg) if max_angle_deg.strip() else None,
                max_hold_s=int(max_hold_s) if max_hold_s.strip() else None,
                max_sessions_per_day=int(max_sessions_per_day) if max_sessions_per_day.strip() else None,
                reason=reason,
            )
        except ValueError as exc:  # pydantic's ValidationError is a ValueError too
            message = validation_message(exc) if isinstance(exc, ValidationError) else "Type the limits as numbers."
            return patient_page(request, actor, found, 422, error=message)
        try:
            adjust(found.owner_handle, body)
        except (services.ServiceError, PlanError) as exc:
            return patient_page(request, actor, found, 409, error=str(exc))
        return patient_page(request, actor, found, notice="The new limits apply from this week on.")

    @router.get("/account", response_class=HTMLResponse, include_in_schema=False)
    def account_page(request: Request, actor: SignedIn) -> HTMLResponse:
        return page(request, "clinic/account.html", actor=actor, error=None)

    @router.post("/account/delete", response_class=HTMLResponse, include_in_schema=False)
    def account_delete(
        request: Request,
        actor: SignedIn,
        password: Annotated[str, Form(max_length=clinic.MAX_PASSWORD_LENGTH)] = "",
    ) -> Response:
        try:
            clinic.delete_own_account(db, actor, password, ctx.now(), address_of(request))
        except (clinic.AccountError, clinic.NotAllowed) as exc:
            return page(request, "clinic/account.html", status=422, actor=actor, error=str(exc))
        response = RedirectResponse("/login?deleted=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @router.get("/access", response_class=HTMLResponse, include_in_schema=False)
    def access_page(request: Request, actor: SignedIn) -> HTMLResponse:
        return page(request, "clinic/access.html", records=clinic.who_looked(db, actor))

    return router
