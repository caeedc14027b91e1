"""What every route of the web app shares: settings, the rules, the store, the live sessions, the templates, and
whom the requests act for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request, WebSocketException, status
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from hangtime.app import clinic
from hangtime.config import Settings
from hangtime.core.evidence import Evidence
from hangtime.store import Database, repo
from hangtime.web.live import LiveSessions


@dataclass
class WebContext:
    config: Settings
    evidence: Evidence
    db: Database
    live: LiveSessions
    templates: Jinja2Templates
    limiter: clinic.AddressLimiter = field(default_factory=clinic.AddressLimiter)

    @property
    def clinic_mode(self) -> bool:
        return self.config.mode == "clinic"

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.config.today or dt.date.today()

    def page(self, request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("evidence", self.evidence)
        context.setdefault("today", self.today())
        context.setdefault("clinic_mode", self.clinic_mode)
        context.setdefault("signed_in", getattr(request.state, "actor", None))
        return self.templates.TemplateResponse(request, name, context, status_code=status)


SESSION_COOKIE = "hangtime_session"


class SignInRequired(Exception):
    """Clinic mode, and no valid session cookie: the API answers 401, a page sends the person to sign in."""


class PatientsOnly(Exception):
    """Clinic mode: a clinician or an administrator opened a page that shows a patient's own data."""


def _context(connection: HTTPConnection) -> WebContext:
    ctx = connection.app.state.ctx
    assert isinstance(ctx, WebContext)
    return ctx


def signed_in_actor(connection: HTTPConnection) -> clinic.Actor:
    """The signed-in account (clinic mode), resolved once per request."""
    cached = getattr(connection.state, "actor", None)
    if isinstance(cached, clinic.Actor):
        return cached
    ctx = _context(connection)
    token = connection.cookies.get(SESSION_COOKIE)
    actor = clinic.signed_in(ctx.db, token, ctx.now()) if token else None
    if actor is None:
        if connection.scope["type"] == "websocket":
            raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="sign in first")
        raise SignInRequired()
    connection.state.actor = actor
    return actor


def acting_for(connection: HTTPConnection) -> str:
    """Whom a request acts for, resolved per request (HTTP or WebSocket) and passed to every use case explicitly:
    without accounts, the one person a loopback install serves; in clinic mode, the signed-in patient."""
    if not _context(connection).clinic_mode:
        return repo.LOCAL_OWNER
    actor = signed_in_actor(connection)
    if actor.role is not clinic.Role.PATIENT:
        if connection.scope["type"] == "websocket":
            raise WebSocketException(code=status.WS_1008_POLICY_VIOLATION, reason="for patients only")
        raise PatientsOnly()
    return actor.owner_handle


SignedIn = Annotated[clinic.Actor, Depends(signed_in_actor)]


# A route that reads or writes a person's data declares `actor: Actor`; none reaches a person any other way.
Actor = Annotated[str, Depends(acting_for)]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """RFC 9457 problem details."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")
