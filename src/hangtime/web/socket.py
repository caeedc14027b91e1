"""The live session over a WebSocket: the page sends the person's presses and readings, the engine answers."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from hangtime.app import services
from hangtime.app.services import ServiceError
from hangtime.store import repo
from hangtime.store.leases import Listener, inbox, notify, outbox
from hangtime.web.context import Actor, WebContext
from hangtime.web.live import RELAY_HEARTBEAT_S
from hangtime.web.security import same_origin


async def page_messages(socket: WebSocket) -> AsyncIterator[dict[str, Any]]:
    """The page's messages, each a JSON object; anything else is answered with what was wrong with it and skipped.
    Ends by raising WebSocketDisconnect when the page goes."""
    while True:
        try:
            message = json.loads(await socket.receive_text())
        except json.JSONDecodeError:
            await socket.send_json({"type": "error", "detail": "messages must be JSON"})
            continue
        if not isinstance(message, dict):
            await socket.send_json({"type": "error", "detail": "messages must be JSON objects"})
            continue
        yield message


def session_socket_router(ctx: WebContext) -> APIRouter:
    config, evidence, db, live = ctx.config, ctx.evidence, ctx.db, ctx.live
    today = ctx.today
    router = APIRouter()

    @router.websocket("/ws/session")
    async def session_socket(socket: WebSocket, actor: Actor) -> None:
        # A page of another site may not drive a session (cross-site WebSocket hijacking); in clinic mode the
        # browser must say where it comes from.
        if not same_origin(socket, require_origin=ctx.clinic_mode):
            await socket.close(code=1008, reason="another site's page may not open a session")
            return
        await socket.accept()
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, actor)
        current = live.current(owner)
        if current is None and (elsewhere := live.running_elsewhere(owner)) is not None:
            current = live.take_over(elsewhere)  # its worker died: this one runs it now
            if current is None:  # another worker runs it: relay this page to it
                await relay(socket, owner, elsewhere)
                return
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        if current is not None:
            current.listeners.append(queue)
            await socket.send_json(current.snapshot())
        else:  # a page that thinks a session runs (the server restarted) reloads and learns it was interrupted
            await socket.send_json({"type": "idle"})

        async def pump() -> None:
            while True:
                await socket.send_json(await queue.get())

        sender = asyncio.create_task(pump())
        try:
            async for message in page_messages(socket):
                if message.get("type") == "start":
                    if current is not None and not current.finished:
                        await socket.send_json({"type": "error", "detail": "a session is already running"})
                        continue
                    try:
                        setup = services.prepare_session(
                            db, evidence, today(), config.checkin_interval_s, owner_handle=actor
                        )
                        items = tuple(str(i) for i in message.get("items", []))
                        pain = message.get("pain_before")
                        pain_before = int(pain) if pain not in (None, "") else None
                        if pain_before is not None and not 0 <= pain_before <= 10:
                            raise ValueError("pain_before must be 0-10")
                    except (ServiceError, ValueError, TypeError) as exc:
                        await socket.send_json({"type": "error", "detail": str(exc)})
                        continue
                    current = await live.start(setup, items, pain_before)
                    if current.finished:
                        await socket.send_json({"type": "error", "detail": "checklist not complete"})
                        current = None
                        continue
                    current.listeners.append(queue)
                    await socket.send_json(current.snapshot())
                    continue
                if current is None:
                    await socket.send_json({"type": "error", "detail": "no session is running"})
                    continue
                error = live.post(current, message)
                if error:
                    await socket.send_json({"type": "error", "detail": error})
        except WebSocketDisconnect:
            pass
        finally:
            sender.cancel()
            if current is not None:
                live.detach(current, queue)

    async def relay(socket: WebSocket, owner: int, session_id: int) -> None:
        """The page's messages to the worker running its session, and that worker's messages back (LISTEN/NOTIFY),
        with a heartbeat; when this worker has taken the session over meanwhile, the page is asked to reconnect."""
        assert live.database_url is not None
        url = live.database_url
        relay_id = uuid.uuid4().hex
        listener = await Listener(url, outbox(session_id)).open()
        await socket.send_json({"type": "relayed", "worker": os.getpid()})
        notify(url, inbox(session_id), {"type": "attach", "relay": relay_id})

        arrived: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def read() -> None:  # never cancelled mid-wait: cancelling the generator's wait would end it
            async for message in listener.messages():
                arrived.put_nowait(message)

        reader = asyncio.create_task(read())

        async def pump() -> None:
            while True:
                try:
                    message = await asyncio.wait_for(arrived.get(), RELAY_HEARTBEAT_S)
                except TimeoutError:
                    if live.current(owner) is not None:  # taken over here: attach directly instead
                        await socket.close(code=1012, reason="reconnect")
                        return
                    notify(url, inbox(session_id), {"type": "attach", "relay": relay_id})
                    continue
                await socket.send_json(message)

        sender = asyncio.create_task(pump())
        try:
            async for message in page_messages(socket):
                if message.get("type") == "start":
                    await socket.send_json({"type": "error", "detail": "a session is already running"})
                else:
                    notify(url, inbox(session_id), message)
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            sender.cancel()
            reader.cancel()
            notify(url, inbox(session_id), {"type": "detach", "relay": relay_id})
            await listener.close()

    return router
