"""Overload degrades, never collapses: at most `limit` HTTP requests are worked on at once; one more is answered
503 with Retry-After at once, instead of joining a queue whose every request would time out."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

# Never shed: the live session's socket (a person on the table) and the health check.
NEVER_SHED = ("/ws/", "/healthz")


class LoadShedding:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NEVER_SHED):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            body = json.dumps(
                {"type": "about:blank", "title": "Busy", "status": 503, "detail": "The server is busy: try again."}
            ).encode()
            headers = [
                (b"content-type", b"application/problem+json"),
                (b"retry-after", b"1"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
