"""The web app: server-rendered pages (Jinja2 + htmx), a JSON API with problem details, and the live session socket.

An adapter only: every rule, plan and session decision comes from the domain core through `hangtime.app.services`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from hangtime.app import clinic
from hangtime.app.services import ServiceError
from hangtime.config import Settings, demonstration_banner, load_settings
from hangtime.core.errors import validation_message
from hangtime.core.evidence import load_evidence
from hangtime.core.planning import PlanError
from hangtime.core.screening import AnswersError
from hangtime.devices.tasks import cancel_and_wait
from hangtime.exports.report import make_environment
from hangtime.store import Database
from hangtime.store.journal import mark_interrupted
from hangtime.web.api import api_router
from hangtime.web.clinic import clinic_router
from hangtime.web.context import PatientsOnly, SignInRequired, WebContext, problem
from hangtime.web.live import LiveSessions
from hangtime.web.overload import LoadShedding
from hangtime.web.pages import pages_router
from hangtime.web.security import SecurityMiddleware
from hangtime.web.socket import session_socket_router

HERE = Path(__file__).resolve().parent


ALERT_EMAIL_EVERY_S = 15.0


async def email_alerts_forever(db: Database, config: Settings) -> None:
    """The alerts table is the outbox: new alerts are emailed within seconds, failed ones retried."""
    while True:
        await clinic.email_new_alerts(db, config.smtp(), config.public_url, dt.datetime.now(dt.UTC))
        await asyncio.sleep(ALERT_EMAIL_EVERY_S)


def create_app(settings: Settings | None = None) -> FastAPI:
    config = settings or load_settings()
    evidence = load_evidence()
    db = Database(config.resolved_database_url())
    config.check_table_for_demonstration(config.table)
    live = LiveSessions(
        db,
        evidence,
        config.session_speed,
        config.smtp(),
        config.table,
        demo=config.demo,
        database_url=config.resolved_database_url(),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        watcher = None
        if live.database_url is None:
            # A web session still 'running' belongs to a server that is gone: the person is told, and surveyed.
            mark_interrupted(db, via="web")
        else:  # PostgreSQL: a running session whose worker is gone is taken over from its journal instead
            watcher = asyncio.create_task(live.watch())
        outbox = None
        if config.mode == "clinic" and config.alert_emails:
            outbox = asyncio.create_task(email_alerts_forever(db, config))
        yield
        for task in (outbox, watcher):
            if task is not None:
                await cancel_and_wait(task)
        await live.close()
        db.dispose()

    app = FastAPI(
        title="Hangtime",
        version="0.1.0",
        description="Safe, measurable inversion therapy. Not a diagnosis.",
        lifespan=lifespan,
    )
    app.add_middleware(SecurityMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=config.trusted_hosts)
    app.add_middleware(  # outermost: refuses before any work
        LoadShedding,
        limit=config.max_in_flight,
        working=config.max_working,
        max_wait_s=config.max_queue_wait_ms / 1000,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(env=make_environment())
    templates.env.globals["demo_banner"] = demonstration_banner(config.session_speed) if config.demo else None

    ctx = WebContext(config, evidence, db, live, templates)
    app.state.ctx = ctx

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

    @app.exception_handler(SignInRequired)
    async def sign_in_first(request: Request, exc: SignInRequired) -> Response:
        if request.url.path.startswith("/api/"):
            return problem(401, "Sign in", "Sign in first.")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(PatientsOnly)
    async def patients_only(request: Request, exc: PatientsOnly) -> Response:
        if request.url.path.startswith("/api/"):
            return problem(403, "Forbidden", "This shows a patient's own data: use /api/patients/{id}/... instead.")
        return RedirectResponse("/clinic", status_code=303)

    @app.exception_handler(clinic.NotAllowed)
    async def not_allowed(request: Request, exc: clinic.NotAllowed) -> Response:
        return problem(403, "Forbidden", str(exc))

    @app.exception_handler(clinic.LoginFailed)
    async def login_failed(request: Request, exc: clinic.LoginFailed) -> Response:
        return problem(401, "Not signed in", str(exc))

    @app.exception_handler(clinic.TooManyAttempts)
    async def too_many(request: Request, exc: clinic.TooManyAttempts) -> Response:
        response = problem(429, "Too many attempts", str(exc))
        response.headers["Retry-After"] = "900"
        return response

    @app.exception_handler(clinic.AccountError)
    async def account_refused(request: Request, exc: clinic.AccountError) -> Response:
        return problem(422, "Invalid request", str(exc))

    if ctx.clinic_mode:
        app.include_router(clinic_router(ctx))

    @app.get("/sw.js", include_in_schema=False)
    def service_worker() -> Response:
        """The service worker, served from the root so its scope is the whole app."""
        return FileResponse(
            HERE / "static" / "sw.js", media_type="text/javascript", headers={"Cache-Control": "no-cache"}
        )

    @app.exception_handler(StarletteHTTPException)
    async def not_found(request: Request, exc: StarletteHTTPException) -> Response:
        """An unknown page gets a page with the navigation; the API keeps its problem details."""
        if exc.status_code == 404 and not request.url.path.startswith("/api/"):
            return ctx.page(request, "not_found.html", status=404)
        return problem(exc.status_code, "Not found" if exc.status_code == 404 else "Error", str(exc.detail))

    @app.get("/healthz", tags=["operations"])
    def healthz() -> Response:
        """200 when the database answers and its schema is current, else 503 (for load balancers and probes)."""
        try:
            current = db.schema_is_current()
        except Exception:  # an unreachable database is what this endpoint reports, not a crash
            current = False
        if not current:
            return problem(503, "Unhealthy", "the database is unreachable or its schema is not current")
        return Response('{"status":"ok"}', media_type="application/json")

    app.include_router(api_router(ctx))
    app.include_router(pages_router(ctx))
    app.include_router(session_socket_router(ctx))
    app.state.live = live
    app.state.db = db
    app.state.evidence = evidence
    return app


def app_from_environment() -> FastAPI:
    """The app as each of several worker processes builds it (`hangtime serve --workers N`): settings from the
    environment, which the command filled in."""
    return create_app(load_settings())
