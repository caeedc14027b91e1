"""What every route of the web app shares: settings, the rules, the store, the live sessions, the templates, and
whom the requests act for."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

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

    def today(self) -> dt.date:
        return self.config.today or dt.date.today()

    def page(self, request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("evidence", self.evidence)
        context.setdefault("today", self.today())
        return self.templates.TemplateResponse(request, name, context, status_code=status)


def acting_for(connection: HTTPConnection) -> str:
    """Whom a request acts for, resolved per request (HTTP or WebSocket) and passed to every use case explicitly:
    without accounts, the one person a loopback install serves."""
    return repo.LOCAL_OWNER


# A route that reads or writes a person's data declares `actor: Actor`; none reaches a person any other way.
Actor = Annotated[str, Depends(acting_for)]


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    """RFC 9457 problem details."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")
