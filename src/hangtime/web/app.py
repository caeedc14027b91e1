"""The web app: server-rendered pages (Jinja2 + htmx), a JSON API with problem details, and the live session socket.

An adapter only: every rule, plan and session decision comes from the domain core through `hangtime.app.services`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from hangtime.app.services import ServiceError
from hangtime.config import Settings, demonstration_banner, load_settings
from hangtime.core.errors import validation_message
from hangtime.core.evidence import load_evidence
from hangtime.core.planning import PlanError
from hangtime.core.screening import AnswersError
from hangtime.exports.report import make_environment
from hangtime.store import Database
from hangtime.store.journal import mark_interrupted
from hangtime.web.api import api_router
from hangtime.web.context import WebContext, problem
from hangtime.web.live import LiveSessions
from hangtime.web.pages import pages_router
from hangtime.web.socket import session_socket_router

HERE = Path(__file__).resolve().parent


def create_app(settings: Settings | None = None) -> FastAPI:
    config = settings or load_settings()
    evidence = load_evidence()
    db = Database(config.resolved_database_url())
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

    ctx = WebContext(config, evidence, db, live, templates)

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

    app.include_router(api_router(ctx))
    app.include_router(pages_router(ctx))
    app.include_router(session_socket_router(ctx))
    app.state.live = live
    app.state.db = db
    app.state.evidence = evidence
    return app
