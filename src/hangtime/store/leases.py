"""Which worker runs a live session, on PostgreSQL: a session-level advisory lock held on a connection of its own.

The lock lives exactly as long as the worker's connection: when the worker dies (even `kill -9`), the server drops
its connection and the lock is free at once, so another worker can take the session over from its journal. Pages
attached to another worker reach the running one through LISTEN/NOTIFY on two channels per session.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
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

    def __init__(self, connection: psycopg.Connection[Any], session_id: int) -> None:
        self.connection = connection
        self.session_id = session_id

    def notify(self, channel: str, message: dict[str, Any]) -> None:
        payload = json.dumps(message)
        if len(payload) <= MAX_PAYLOAD:
            self.connection.execute("SELECT pg_notify(%s, %s)", (channel, payload))

    def release(self) -> None:
        if not self.connection.closed:
            self.connection.close()


def try_lease(database_url: str, session_id: int) -> Lease | None:
    """The session's lease if no live worker holds it, else None."""
    connection = psycopg.connect(conninfo(database_url), autocommit=True)
    got = connection.execute(f"SELECT pg_try_advisory_lock({LEASE_CLASS}, %s)", (session_id,)).fetchone()
    if got is None or not got[0]:
        connection.close()
        return None
    return Lease(connection, session_id)


def notify(database_url: str, channel: str, message: dict[str, Any]) -> None:
    with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
        connection.execute("SELECT pg_notify(%s, %s)", (channel, json.dumps(message)))


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
