"""Live sessions for the web page: the engine runs on the server; the page talks to it over a WebSocket.

One live session per owner. The page may reconnect and re-attach; while nobody is attached and the person is on
the table, the engine has been told the connection was lost (a missed check-in: alarm, then the buddy alert).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hangtime.app import services
from hangtime.app.live_session import SessionLifecycle
from hangtime.app.services import ServiceError, SessionSetup, pause_message
from hangtime.core.evidence import Evidence
from hangtime.core.planning import Tolerance
from hangtime.core.session import cues
from hangtime.core.session.commands import (
    AlertBuddy,
    Command,
    Say,
)
from hangtime.core.session.engine import (
    ON_TABLE,
    AngleReading,
    CheckinAnswered,
    ConnectionLost,
    Event,
    Phase,
    PositionConfirmed,
    SessionEngine,
    StopRequested,
    SurveySubmitted,
    SymptomReported,
)
from hangtime.devices.tasks import cancel_and_wait
from hangtime.notify.buddy import SmtpSettings
from hangtime.runtime.runner import SessionRunner
from hangtime.store import Database
from hangtime.store.journal import Journal
from hangtime.store.leases import Inboxes, Lease, LeaseHolder, inbox, outbox

Send = Callable[[dict[str, Any]], Any]

ALARM_TEXT = cues.ALARM_ON_SCREEN
# A page attached through another worker says so every RELAY_HEARTBEAT_S; unheard for this long, it is gone.
RELAY_HEARTBEAT_S = 2.0
RELAY_TIMEOUT_S = 6.0


@dataclass
class LiveSession:
    """A guided session as the page sees it: the shared lifecycle plus the pages attached to it."""

    lifecycle: SessionLifecycle
    task: asyncio.Task[None] | None = None
    listeners: list[asyncio.Queue[dict[str, Any]]] = field(default_factory=list)
    pain_before: int | None = None
    finished: bool = False
    demo: bool = False
    # What a reopened tab must show again: the last spoken cue and whether the buddy was alerted.
    last_cue: str = ""
    buddy_alerts: int = 0
    # On PostgreSQL: this worker's hold on the session, pages attached through other workers, and their inbox.
    lease: Lease | None = None
    remote_pages: dict[str, float] = field(default_factory=dict)  # relay id -> when last heard (monotonic)

    @property
    def engine(self) -> SessionEngine:
        return self.lifecycle.engine

    @property
    def runner(self) -> SessionRunner:
        return self.lifecycle.runner

    @property
    def journal(self) -> Journal:
        return self.lifecycle.journal

    @property
    def setup(self) -> SessionSetup:
        return self.lifecycle.setup

    def snapshot(self) -> dict[str, Any]:
        engine = self.engine
        remaining = engine.remaining_s()
        return {
            "type": "state",
            "session_id": self.journal.session_id,
            "phase": engine.phase.value,
            "remaining_s": None if remaining is None else round(remaining, 1),
            "held_s": round(engine.held_s, 1),
            "target_deg": engine.config.angle_deg,
            "cap_deg": engine.config.cap_angle_deg,
            "angle_deg": engine.last_angle,
            "checkin_pending": engine.checkin_asked_at is not None,
            "alarming": engine.alarming,
            "alarm_text": ALARM_TEXT if engine.alarming else None,
            "buddy_alerted": self.buddy_alerts > 0,
            "cue": self.last_cue,
            "demo": self.demo,
            "spotter_required": engine.config.spotter_required,
            "end_reason": engine.end_reason.value if engine.end_reason else None,
            "worker": os.getpid(),
        }

    def broadcast(self, message: dict[str, Any]) -> None:
        for queue in self.listeners:
            queue.put_nowait(message)
        if self.lease is not None and self.remote_pages:  # pages attached through other workers
            self.lease.notify(outbox(self.journal.session_id), message)

    @property
    def attached(self) -> bool:
        """A page is attached here, or through another worker heard from within RELAY_TIMEOUT_S."""
        now = time.monotonic()
        for relay, seen in list(self.remote_pages.items()):
            if now - seen > RELAY_TIMEOUT_S:
                del self.remote_pages[relay]
        return bool(self.listeners) or bool(self.remote_pages)


class Broadcaster:
    """A command sink that forwards every command to the attached pages."""

    def __init__(self) -> None:
        self.live: LiveSession | None = None

    def handle(self, command: Command) -> None:
        if self.live is None:
            return
        if isinstance(command, Say):
            self.live.last_cue = command.text
        elif isinstance(command, AlertBuddy):
            self.live.buddy_alerts += 1
        self.live.broadcast({"type": "command", **command.as_dict()})


class LiveSessions:
    def __init__(
        self,
        db: Database,
        evidence: Evidence,
        speed: float,
        smtp: SmtpSettings,
        table_url: str | None = None,
        *,
        demo: bool = False,
        database_url: str | None = None,
    ) -> None:
        self.table_url = table_url
        # PostgreSQL: sessions are leased to the worker that runs them, taken over when it dies, relayed otherwise.
        self.database_url = database_url if database_url and database_url.startswith("postgresql") else None
        # One connection holds this worker's session locks, one listens to their inboxes (not one per session).
        self.leases = LeaseHolder(self.database_url) if self.database_url else None
        self.inboxes = Inboxes(self.database_url) if self.database_url else None
        self.demo = demo
        self.db = db
        self.evidence = evidence
        self.speed = speed
        self.smtp = smtp
        self.sessions: dict[int, LiveSession] = {}

    def current(self, owner: int) -> LiveSession | None:
        live = self.sessions.get(owner)
        return live if live is not None and not live.finished else None

    async def start(self, setup: SessionSetup, items: tuple[str, ...], pain_before: int | None) -> LiveSession:
        broadcaster = Broadcaster()
        lifecycle = SessionLifecycle.begin(
            self.db,
            self.evidence,
            setup,
            [broadcaster],
            speed=self.speed,
            smtp=self.smtp,
            demo=self.demo,
            via="web",
            status="running" if self.leases is None else "starting",
        )
        lease = None
        if self.leases is not None:  # held before any other worker may see the session as running
            lease = self.leases.try_lease(lifecycle.journal.session_id)
            lifecycle.journal.running()
        live = self._register(lifecycle, broadcaster, pain_before, lease)
        if lifecycle.start(items, pain_before):
            if self.inboxes is not None:
                self._serve_inbox(live)
            live.task = asyncio.get_running_loop().create_task(lifecycle.run(self.table_url))
        else:
            live.finished = True  # the checklist was refused; nothing started
            if live.lease is not None:
                live.lease.release()
                live.lease = None
        return live

    def _register(
        self, lifecycle: SessionLifecycle, broadcaster: Broadcaster, pain_before: int | None, lease: Lease | None
    ) -> LiveSession:
        """The live session of a lifecycle, broadcasting each step, as this worker's session of its person."""
        live = LiveSession(lifecycle, pain_before=pain_before, demo=self.demo, lease=lease)
        broadcaster.live = live
        lifecycle.runner.on_step = lambda: live.broadcast(live.snapshot())
        self.sessions[lifecycle.setup.owner] = live
        return live

    # -- several workers on PostgreSQL ----------------------------------------------------------------------------

    def take_over(self, session_id: int) -> LiveSession | None:
        """Run a session whose worker died (its lease is free), rebuilt from its journal; None if a live worker
        holds it or it is no longer running."""
        if self.leases is None:
            return None
        lease = self.leases.try_lease(session_id)
        if lease is None:
            return None
        broadcaster = Broadcaster()
        try:
            lifecycle = SessionLifecycle.resume(
                self.db, self.evidence, session_id, [broadcaster], smtp=self.smtp, demo=self.demo
            )
        except ServiceError:
            lease.release()
            return None
        live = self._register(lifecycle, broadcaster, lifecycle.engine.pain_before, lease)
        self._serve_inbox(live)
        # A taken-over session runs without the motorized table: that table's own watchdog has returned it home.
        live.task = asyncio.get_running_loop().create_task(lifecycle.run(None))
        if not live.attached and live.engine.phase in ON_TABLE:
            live.runner.post(ConnectionLost())  # nobody is attached yet: the missed check-ins escalate as they would
        return live

    async def watch(self, every_s: float = 1.0) -> None:
        """Take over, within a second or so, any running web session whose worker has died; and listen to the
        inboxes of the sessions this worker runs."""
        assert self.inboxes is not None
        listening = asyncio.get_running_loop().create_task(self.inboxes.serve())
        try:
            await self._watch(every_s)
        finally:
            await cancel_and_wait(listening)

    async def _watch(self, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            for running in services.running_web_sessions(self.db):
                mine = self.sessions.get(running.owner)
                if mine is not None and mine.journal.session_id == running.id:
                    continue
                self.take_over(running.id)

    def running_elsewhere(self, owner: int) -> int | None:
        """The id of this person's session run by another worker (PostgreSQL), if any."""
        if self.database_url is None:
            return None
        running = services.running_web_sessions(self.db, owner=owner)
        return running[0].id if running else None

    def _serve_inbox(self, live: LiveSession) -> None:
        """Messages from pages attached through other workers, for this session (on the worker's one listener)."""
        assert self.inboxes is not None
        session_id = live.journal.session_id

        def handle(message: dict[str, Any]) -> None:
            kind = message.get("type")
            relay = str(message.get("relay", ""))
            if kind == "attach":  # also the relay's heartbeat
                new = relay not in live.remote_pages
                live.remote_pages[relay] = time.monotonic()
                if new:
                    live.broadcast(live.snapshot())
            elif kind == "detach":
                live.remote_pages.pop(relay, None)
                self._lost_if_alone(live)
            else:
                error = self.post(live, message)
                if error and live.lease is not None:
                    live.lease.notify(outbox(session_id), {"type": "error", "detail": error})

        self.inboxes.subscribe(inbox(session_id), handle)

    def post(self, live: LiveSession, message: dict[str, Any]) -> str | None:
        """Turn a page message into an engine event; returns an error text for a bad message."""
        kind = message.get("type")
        event: Event
        if kind == "ok":
            event = CheckinAnswered()
        elif kind == "confirm":
            event = PositionConfirmed()
        elif kind == "stop":
            event = StopRequested()
        elif kind == "symptom":
            symptom = str(message.get("symptom", "other"))
            if symptom not in self.evidence.symptoms:
                return f"unknown symptom '{symptom}'"
            event = SymptomReported(symptom=symptom)
        elif kind == "angle":
            try:
                angle = float(message["angle_deg"])
            except (KeyError, TypeError, ValueError):
                return "angle_deg must be a number"
            if not 0 <= angle <= 180:
                return "angle_deg must be between 0 and 180"
            event = AngleReading(angle_deg=min(angle, 90.0))
        elif kind == "survey":
            return self.survey(live, message)
        else:
            return f"unknown message type '{kind}'"
        live.runner.post(event)
        return None

    def survey(self, live: LiveSession, message: dict[str, Any]) -> str | None:
        engine = live.engine
        if engine.phase is not Phase.SURVEY:
            return "the survey comes after the session"
        try:
            pain_after = int(message["pain_after"])
            tolerance = Tolerance(str(message["tolerance"]))
        except (KeyError, TypeError, ValueError):
            return "pain_after (0-10) and tolerance (easy, just_right, hard, painful) are required"
        if not 0 <= pain_after <= 10:
            return "pain_after must be 0-10"
        symptoms = tuple(str(s) for s in message.get("symptoms", []) if str(s) in self.evidence.symptoms)
        _, pause = live.lifecycle.finish(
            SurveySubmitted(pain_after=pain_after, tolerance=tolerance.value, symptoms=symptoms)
        )
        live.finished = True
        live.broadcast(
            {
                "type": "finished",
                "end_reason": engine.end_reason.value if engine.end_reason else None,
                "urgent_advice": self.evidence.rules.urgent_advice.text if pause is not None and pause.urgent else None,
                "pause": pause_message(pause) if pause is not None else None,
            }
        )
        if live.lease is not None:  # the session is over: no worker needs to take it over
            live.lease.release()
            live.lease = None
        if self.inboxes is not None:
            self.inboxes.unsubscribe(inbox(live.journal.session_id))
        return None

    def detach(self, live: LiveSession, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with contextlib.suppress(ValueError):
            live.listeners.remove(queue)
        self._lost_if_alone(live)

    def _lost_if_alone(self, live: LiveSession) -> None:
        if not live.attached and not live.finished and live.engine.phase in ON_TABLE:
            live.runner.post(ConnectionLost())

    async def close(self) -> None:
        for live in self.sessions.values():
            if live.task is not None:
                await cancel_and_wait(live.task)
        if self.leases is not None:
            self.leases.close()
