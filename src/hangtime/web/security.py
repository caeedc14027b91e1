"""What every response and every state-changing request goes through (OWASP ASVS level 1, docs/security.md):
security headers, and a same-origin check that stops cross-site request forgery of forms and API calls."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hangtime.web.context import problem

# Scripts only from this site (no inline script, no eval). Inline styles stay allowed: the charts are SVG drawn by
# Matplotlib, whose elements carry style attributes.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(connection: HTTPConnection, *, require_origin: bool) -> bool:
    """True when the browser says the request comes from this site.

    Browsers send Origin on every cross-site POST and on every WebSocket; a request without it (and without
    Sec-Fetch-Site) is not a browser's cross-site request, so it is no forgery (curl, the CLI, tests)."""
    origin = connection.headers.get("origin")
    host = connection.headers.get("host", "")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    site = connection.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    return not require_origin


class SecurityMiddleware:
    """Security headers on every response, and a 403 for a state-changing request from another site. Plain ASGI
    (not BaseHTTPMiddleware, which wraps every response in a stream: measurably slower per request)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and not same_origin(HTTPConnection(scope), require_origin=False):
            refused = problem(403, "Forbidden", "This request came from another site, so it was refused.")
            await self._with_headers(refused)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _with_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response
