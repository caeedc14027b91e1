"""Buddy alerts against a local HTTP server and a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from hangtime.core.session.engine import (
    REQUIRED_CHECKLIST,
    AngleReading,
    ChecklistConfirmed,
    SessionConfig,
    SessionEngine,
)
from hangtime.notify.buddy import BuddyAlert, BuddyContact, SmtpSettings, send_with_retries
from hangtime.runtime.runner import RealClock, SessionRunner

ALERT = BuddyAlert("Alex", "alert", "2026-11-23T18:00:00+00:00", "2026-11-23T18:01:00+00:00", "holding", 7)


class Recorder(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if Recorder.fail_first > 0:
            Recorder.fail_first -= 1
            self.send_response(503)
            self.end_headers()
            return
        Recorder.received.append({"path": self.path, "headers": dict(self.headers), "body": body.decode()})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    Recorder.received = []
    Recorder.fail_first = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def no_sleep(_seconds: float) -> None:
    return None


def test_webhook_retries_with_backoff_and_reports_every_attempt(http_server: str) -> None:
    Recorder.fail_first = 2
    attempts: list[dict[str, Any]] = []
    waits: list[float] = []

    async def record_sleep(seconds: float) -> None:
        waits.append(seconds)

    contact = BuddyContact(kind="webhook", url=f"{http_server}/hook")
    ok = asyncio.run(send_with_retries(contact, ALERT, SmtpSettings(), attempts.append, sleep=record_sleep))
    assert ok
    assert [a["ok"] for a in attempts] == [False, False, True]
    assert waits == [1.0, 2.0]
    payload = json.loads(Recorder.received[0]["body"])
    assert payload["person"] == "Alex" and payload["last_checkin"] == "2026-11-23T18:01:00+00:00"
    assert "not answering" in payload["message"] or "has not answered" in payload["message"]


def test_ntfy_topic(http_server: str) -> None:
    contact = BuddyContact(kind="ntfy", url=f"{http_server}/hangtime-alex")
    assert asyncio.run(send_with_retries(contact, ALERT, SmtpSettings(), lambda _a: None))
    request = Recorder.received[0]
    assert request["path"] == "/hangtime-alex"
    assert request["headers"]["Priority"] == "urgent"
    assert "On the table since: 2026-11-23T18:00:00+00:00" in request["body"]


def test_email(smtp_server: tuple[Any, int]) -> None:
    mailbox, port = smtp_server
    contact = BuddyContact(kind="email", email="buddy@example.org")
    smtp = SmtpSettings(host="127.0.0.1", port=port, sender="hangtime@example.org")
    assert asyncio.run(send_with_retries(contact, ALERT, smtp, lambda _a: None))
    [message] = mailbox.messages
    assert message.rcpt_tos == ["buddy@example.org"]
    assert b"Alex is not answering" in message.content


def test_unreachable_gives_up_after_the_attempts() -> None:
    attempts: list[dict[str, Any]] = []
    contact = BuddyContact(kind="webhook", url="http://127.0.0.1:9/")
    ok = asyncio.run(
        send_with_retries(contact, ALERT, SmtpSettings(), attempts.append, attempts=3, sleep=no_sleep, timeout_s=1)
    )
    assert not ok and len(attempts) == 3 and all(not a["ok"] for a in attempts)


def test_contact_validation() -> None:
    with pytest.raises(ValueError, match="needs an http"):
        BuddyContact(kind="webhook", url="ftp://x")
    with pytest.raises(ValueError):
        BuddyContact(kind="email", email="not-an-address")


def test_runner_alerts_the_buddy_when_checkins_go_unanswered(http_server: str) -> None:
    """The real-clock runner (compressed 200x) turns a silent person into an HTTP alert."""
    from hangtime.runtime.buddy import BuddySink

    notes: list[tuple[str, dict[str, Any]]] = []

    class FakeJournal:
        session_id = 1

        def note(self, t: float, name: str, payload: dict[str, Any]) -> None:
            notes.append((name, payload))

    async def main() -> None:
        clock = RealClock(speed=200)
        engine = SessionEngine(SessionConfig(angle_deg=30, hold_s=300, cap_hold_s=300), clock)
        sink = BuddySink(BuddyContact(kind="webhook", url=http_server), "Alex", FakeJournal(), SmtpSettings(), engine)  # type: ignore[arg-type]
        runner = SessionRunner(engine, clock, [sink])
        runner.step(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
        runner.step(AngleReading(angle_deg=30))
        running = asyncio.create_task(runner.run())
        while not sink.tasks and clock.now() < 200:
            await asyncio.sleep(0.01)
        await sink.drain()
        running.cancel()

    asyncio.run(main())
    assert Recorder.received, "the buddy got the alert"
    assert notes[0][0] == "buddy_attempt" and notes[0][1]["ok"]
