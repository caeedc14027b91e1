"""Which worker runs a live session, on PostgreSQL: a session-level advisory lock held on a connection of its own.

The lock lives exactly as long as the worker's connection: when the worker dies (even `kill -9`), the server drops
its connection and the lock is free at once, so another worker can take the session over from its journal. Pages
attached to another worker reach the running one through LISTEN/NOTIFY on two channels per session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from sqlalchemy.engine import make_url

# The two-key advisory lock space: a class id from the schema's name (so installs sharing a server, or the tests'
# schemas, never hold each other's sessions), then the session's id. The audit log uses a one-key lock.
LEASE_CLASS = "hashtext(current_schema() || ':hangtime-session')"
# NOTIFY payloads are limited to 8,000 bytes; a session's messages are far smaller.
MAX_PAYLOAD = 7900


def conninfo(database_url: str) -> str:
    """SQLAlchemy's URL as psycopg's key=value connection string, its query options (e.g. a search_path) kept
    exactly: a URI would turn their spaces into '+'."""
    url = make_url(database_url)
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "dbname": url.database,
        "user": url.username,
        "password": url.password,
        **{key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()},
    }
    return make_conninfo(**{key: value for key, value in params.items() if value is not None})


def inbox(session_id: int) -> str:
    return f"hangtime_session_in_{session_id}"


def outbox(session_id: int) -> str:
    return f"hangtime_session_out_{session_id}"


class Lease:
    """Held while this worker runs the session; `release` (or the process's death) frees it."""

    def __init__(self, holder: LeaseHolder, session_id: int) -> None:
        self.holder = holder
        self.session_id = session_id

    def notify(self, channel: str, message: dict[str, Any]) -> None:
        payload = json.dumps(message)
        if len(payload) <= MAX_PAYLOAD:
            self.holder.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    def release(self) -> None:
        self.holder.release(self.session_id)


class LeaseHolder:
    """One connection per worker holds the locks of all the sessions it runs (a session-level advisory lock lives
    as long as its connection): the connections used grow with the workers, not with the live sessions."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.connection: psycopg.Connection[Any] | None = None

    def execute(self, query: str, params: tuple[Any, ...]) -> Any:
        if self.connection is None or self.connection.closed:
            self.connection = psycopg.connect(conninfo(self.database_url), autocommit=True)
        return self.connection.execute(query, params).fetchone()

    def try_lease(self, session_id: int) -> Lease | None:
        """The session's lease if no live worker holds it, else None."""
        got = self.execute(f"SELECT pg_try_advisory_lock({LEASE_CLASS}, %s)", (session_id,))
        return Lease(self, session_id) if got is not None and got[0] else None

    def release(self, session_id: int) -> None:
        if self.connection is not None and not self.connection.closed:
            self.execute(f"SELECT pg_advisory_unlock({LEASE_CLASS}, %s)", (session_id,))

    def close(self) -> None:
        if self.connection is not None and not self.connection.closed:
            self.connection.close()


def notify(database_url: str, channel: str, message: dict[str, Any]) -> None:
    with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (channel, json.dumps(message)))


class Inboxes:
    """One connection per worker listens to the inboxes of all the sessions it runs, and hands each message to
    that session's handler. Channels are added and removed between waits of at most `poll_s`."""

    def __init__(self, database_url: str, poll_s: float = 0.25) -> None:
        self.database_url = database_url
        self.poll_s = poll_s
        self.handlers: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.listening: set[str] = set()

    def subscribe(self, channel: str, handler: Callable[[dict[str, Any]], None]) -> None:
        self.handlers[channel] = handler

    def unsubscribe(self, channel: str) -> None:
        self.handlers.pop(channel, None)

    async def serve(self) -> None:
        connection = await psycopg.AsyncConnection.connect(conninfo(self.database_url), autocommit=True)
        try:
            while True:
                for channel in set(self.handlers) - self.listening:
                    await connection.execute(f'LISTEN "{channel}"')
                    self.listening.add(channel)
                for channel in self.listening - set(self.handlers):
                    await connection.execute(f'UNLISTEN "{channel}"')
                    self.listening.discard(channel)
                if not self.listening:
                    await asyncio.sleep(self.poll_s)
                    continue
                async for note in connection.notifies(timeout=self.poll_s):
                    handler = self.handlers.get(note.channel)
                    try:
                        message = json.loads(note.payload)
                    except json.JSONDecodeError:
                        continue
                    if handler is not None and isinstance(message, dict):
                        handler(message)
        finally:
            await connection.close()


class Listener:
    """A channel listened to from `open()` on (so nothing sent after it is missed) until `close()`."""

    def __init__(self, database_url: str, channel: str) -> None:
        self.database_url = database_url
        self.channel = channel
        self.connection: psycopg.AsyncConnection[Any] | None = None

    async def open(self) -> Listener:
        self.connection = await psycopg.AsyncConnection.connect(conninfo(self.database_url), autocommit=True)
        await self.connection.execute(f'LISTEN "{self.channel}"')
        return self

    async def messages(self) -> AsyncIterator[dict[str, Any]]:
        assert self.connection is not None, "open() first"
        async for note in self.connection.notifies():
            try:
                message = json.loads(note.payload)
            except json.JSONDecodeError:
                continue
            if isinstance(message, dict):
                yield message

    async def close(self) -> None:
        if self.connection is not None and not self.connection.closed:
            await self.connection.close()
