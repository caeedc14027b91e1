"""What operations rely on: the health check, and shedding load instead of collapsing under it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from starlette.types import Receive, Scope, Send

from hangtime.config import Settings
from hangtime.store import Database
from hangtime.web.app import create_app
from hangtime.web.overload import LoadShedding


def test_healthz_says_whether_the_database_answers_with_a_current_schema(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data"))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
    assert Database(f"sqlite:///{tmp_path / 'data' / 'hangtime.db'}").schema_is_current()
    stale = Database(f"sqlite:///{tmp_path / 'empty.db'}", run_migrations=False)
    assert not stale.schema_is_current()


def test_one_request_over_the_limit_gets_503_at_once_and_the_limit_still_works() -> None:
    release = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    shedding = LoadShedding(slow, limit=2)

    async def scenario() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=shedding)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            admitted = [asyncio.create_task(client.get("/api/history")) for _ in range(2)]
            await asyncio.sleep(0.05)
            refused = await client.get("/api/history")  # the third, at the limit of two: refused without waiting
            release.set()
            return [refused, *await asyncio.gather(*admitted)]

    refused, *admitted = asyncio.run(scenario())
    assert refused.status_code == 503 and refused.headers["retry-after"] == "1"
    assert refused.json()["title"] == "Busy"
    assert [r.status_code for r in admitted] == [200, 200]
    assert shedding.in_flight == 0


def test_only_a_few_requests_are_worked_on_at_once_and_none_waits_longer_than_the_limit() -> None:
    inside = 0
    most_inside = 0
    release = asyncio.Event()

    async def streamed(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal inside, most_inside
        inside += 1
        most_inside = max(most_inside, inside)
        if scope["path"] == "/slow":
            await release.wait()
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if scope["path"] == "/export":  # still sending after the response started: its working slot is free
            await release.wait()
        await send({"type": "http.response.body", "body": b"done"})

    shedding = LoadShedding(streamed, limit=10, working=2, max_wait_s=0.2)

    async def scenario() -> tuple[list[int], list[int], float]:
        transport = httpx.ASGITransport(app=shedding)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=5) as client:
            export = asyncio.create_task(client.get("/export"))
            await asyncio.sleep(0.05)
            # The export holds no working slot while it streams: a quick request still gets one at once.
            quick = await client.get("/quick")
            slow = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
            await asyncio.sleep(0.05)
            started = asyncio.get_running_loop().time()
            waited = await client.get("/quick")  # both slots are busy: it waits its 0.2 s, then gets 503
            took = asyncio.get_running_loop().time() - started
            release.set()
            done = await asyncio.gather(export, *slow)
            return [quick.status_code, waited.status_code], [r.status_code for r in done], took

    async def static_while_busy() -> int:
        nonlocal release
        release = asyncio.Event()  # one for this event loop
        transport = httpx.ASGITransport(app=shedding)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", timeout=5) as client:
            slow = [asyncio.create_task(client.get("/slow")) for _ in range(2)]
            await asyncio.sleep(0.05)
            script = await client.get("/static/session.js")  # both slots busy: a page's script is still served
            release.set()
            await asyncio.gather(*slow)
            return script.status_code

    first, rest, took = asyncio.run(scenario())
    assert first == [200, 503] and rest == [200, 200, 200]
    assert 0.2 <= took < 1.0  # at the limit of its wait, not before and not long after
    assert most_inside == 2 and shedding.in_flight == 0
    assert asyncio.run(static_while_busy()) == 200  # both slots busy, and a page's script is still served
