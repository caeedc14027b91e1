"""Several workers on PostgreSQL: `hangtime serve --workers 2` as a real process; a live session's worker is killed
with SIGKILL mid-session; another worker takes the session over from its journal within 5 s, the page re-attaches
to it, and the unanswered check-in still escalates to the buddy alert, delivered to the buddy's webhook."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from hangtime.app import services
from hangtime.core.evidence import Evidence
from hangtime.core.planning import Preferences
from hangtime.core.screening import Answers
from hangtime.core.session.engine import REQUIRED_CHECKLIST, SessionConfig
from hangtime.notify.buddy import BuddyContact
from hangtime.store import Database
from hangtime.store.journal import journal_rows

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

TODAY = dt.date(2026, 11, 23)
SPEED = 10  # engine seconds per real second: a 60 s escalation takes 6 s
HANGTIME = Path(sys.executable).parent / "hangtime"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Webhook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[float, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Webhook.received.append((time.monotonic(), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    Webhook.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/buddy"
    server.shutdown()


def seed(postgres_url: str, evidence: Evidence, webhook: str) -> None:
    db = Database(postgres_url)
    cleared = Answers.model_validate({"age": 45, "height_cm": 178, "weight_kg": 82})
    services.make_plan(db, evidence, Preferences(start_date=TODAY), TODAY, cleared, owner_handle="local")
    services.save_buddy(db, BuddyContact(kind="webhook", url=webhook, name="Alex"), "Sam", owner_handle="local")
    db.dispose()


@contextlib.contextmanager
def server(postgres_url: str, data: Path, workers: int) -> Iterator[str]:
    """`hangtime serve` as a real process on PostgreSQL, until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "HANGTIME_DATABASE_URL": postgres_url,
        "HANGTIME_DATA_DIR": str(data),
        "HANGTIME_TODAY": TODAY.isoformat(),
        "HANGTIME_SESSION_SPEED": str(SPEED),
    }
    process = subprocess.Popen(
        [str(HANGTIME), "serve", "--workers", str(workers), "--port", str(port), "--demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    address = f"127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{address}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("the server did not start")
    try:
        yield address
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def two_workers(postgres_url: str, evidence: Evidence, webhook: str, tmp_path: Path) -> Iterator[str]:
    seed(postgres_url, evidence, webhook)
    with server(postgres_url, tmp_path / "data", workers=2) as address:
        yield address


@pytest.fixture
def two_servers(postgres_url: str, evidence: Evidence, webhook: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two server processes on one database: which one a page reaches is then the test's choice (with one process
    of two workers, the kernel chooses, and under load it may send every connection to the same one)."""
    seed(postgres_url, evidence, webhook)
    with (
        server(postgres_url, tmp_path / "a", workers=1) as first,
        server(postgres_url, tmp_path / "b", workers=1) as second,
    ):
        yield first, second


def next_state(socket_: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = json.loads(socket_.recv(timeout=deadline - time.monotonic()))
        if message.get("type") in ("state", "idle"):
            return dict(message)
    raise AssertionError("no state from the server")


def start_session(address: str) -> tuple[ClientConnection, dict[str, Any]]:
    page = connect(f"ws://{address}/ws/session")
    assert next_state(page)["type"] == "idle"
    page.send(json.dumps({"type": "start", "items": [*REQUIRED_CHECKLIST, "spotter"], "pain_before": 3}))
    started = next_state(page)
    assert started["phase"] == "tilting"
    return page, started


def journal(postgres_url: str, session_id: int) -> list[dict[str, Any]]:
    db = Database(postgres_url)
    try:
        return journal_rows(db, session_id)
    finally:
        db.dispose()


def test_a_killed_workers_session_is_taken_over_and_still_alerts_the_buddy_on_time(
    two_workers: str, postgres_url: str
) -> None:
    page, started = start_session(two_workers)
    session_id, first_worker = started["session_id"], started["worker"]
    os.kill(first_worker, signal.SIGKILL)
    killed_at = time.monotonic()
    page.close()

    # No page reconnects: the other worker notices the free lease and takes the session over by itself.
    taken: list[dict[str, Any]] = []
    while not taken and time.monotonic() - killed_at < 5:
        taken = [row for row in journal(postgres_url, session_id) if row["name"] == "taken_over"]
        time.sleep(0.1)
    took = time.monotonic() - killed_at
    assert taken, "no worker took the session over within 5 s"
    assert taken[0]["worker"] != first_worker
    print(f"taken over by worker {taken[0]['worker']} {took:.2f} s after the kill")

    # The page comes back and is attached to the session on its new worker.
    again = connect(f"ws://{two_workers}/ws/session")
    state = next_state(again)
    assert state["type"] == "state" and state["session_id"] == session_id and state["worker"] != first_worker

    # Nobody answers: the lost connection is a missed check-in (as when a page drops on one worker), and the
    # buddy alert follows exactly buddy_after_s engine seconds later, delivered to the buddy's webhook.
    deadline = time.monotonic() + 20
    while not Webhook.received and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            again.recv(timeout=0.5)
    again.close()
    assert Webhook.received, "the buddy was not alerted"
    alert = Webhook.received[0][1]
    assert alert["event"] == "hangtime.buddy.alert" and alert["person"] == "Sam"
    rows = journal(postgres_url, session_id)
    missed = next(row for row in rows if row["name"] == "connection_lost")
    alerted = next(row for row in rows if row["name"] == "alert_buddy")
    assert alerted["t"] - missed["t"] == pytest.approx(SessionConfig(angle_deg=20, hold_s=60).buddy_after_s, abs=0.5)


def test_a_page_on_another_worker_is_relayed_to_the_session(two_servers: tuple[str, str], postgres_url: str) -> None:
    running, other = two_servers
    page, started = start_session(running)
    session_id, owner = started["session_id"], started["worker"]
    relayed = connect(f"ws://{other}/ws/session")
    first = json.loads(relayed.recv(timeout=5))
    assert first["type"] == "relayed" and first["worker"] != owner
    state = next_state(relayed)
    assert state["session_id"] == session_id and state["worker"] == owner  # the running worker's own state
    relayed.send(json.dumps({"type": "confirm"}))  # "I'm there", pressed on the relayed page
    names: list[str] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        names = [row["name"] for row in journal(postgres_url, session_id)]
        if "position_confirmed" in names:
            break
        time.sleep(0.1)
    assert "position_confirmed" in names, "the relayed press did not reach the session"
    state = next_state(relayed)
    assert state["phase"] in ("tilting", "holding")
    relayed.close()
    page.close()
