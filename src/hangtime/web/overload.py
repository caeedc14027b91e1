"""Overload degrades, never collapses. At most `working` HTTP requests are worked on at once; up to `limit` in all
are admitted, the rest waiting their turn, but never longer than `max_wait_s`. Beyond `limit`, or after that wait,
a request is answered 503 with Retry-After at once, instead of joining a queue whose every request would time out.

Why a few working slots and a short, bounded wait: profiled at twice the sustainable rate with 48 requests worked
on at once, they shared the interpreter's lock and each took 48 times its own CPU time, so most finished after
more than a second (a quarter of the sustainable rate completed within 1 s). A working slot is given back when
the response starts, so a streamed export does not hold one while it sends."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Never shed: the live session's socket (a person on the table), the health check, and the static files a page
# needs (cheap to serve; a page whose script was shed is broken, e.g. the session page without its sensor reader).
NEVER_SHED = ("/ws/", "/healthz", "/static/", "/sw.js")
BUSY = json.dumps(
    {"type": "about:blank", "title": "Busy", "status": 503, "detail": "The server is busy: try again."}
).encode()


class LoadShedding:
    def __init__(self, app: ASGIApp, limit: int, working: int = 3, max_wait_s: float = 0.5) -> None:
        self.app = app
        self.limit = limit
        self.max_wait_s = max_wait_s
        self.working = max(1, min(working, limit))
        self.slots = asyncio.Semaphore(self.working)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NEVER_SHED):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            await _busy(send)
            return
        if self.loop is not asyncio.get_running_loop():  # a new event loop (a test client's): new slots for it
            self.loop, self.slots = asyncio.get_running_loop(), asyncio.Semaphore(self.working)
        self.in_flight += 1
        try:
            try:
                async with asyncio.timeout(self.max_wait_s):
                    await self.slots.acquire()
            except TimeoutError:
                await _busy(send)
                return
            held = True

            async def send_and_free_the_slot(message: Message) -> None:
                nonlocal held
                if held and message["type"] == "http.response.start":
                    held = False
                    self.slots.release()
                await send(message)

            try:
                await self.app(scope, receive, send_and_free_the_slot)
            finally:
                if held:
                    self.slots.release()
        finally:
            self.in_flight -= 1


async def _busy(send: Send) -> None:
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"retry-after", b"1"),
        (b"content-length", str(len(BUSY)).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": BUSY})
