"""The one lifecycle of a guided session, for the terminal and the web page alike.

Begin (engine, clock, journal, buddy alert, runner), start with the checklist, run in real time (with a motorized
table: open it, drive it, and always end with it returned home), finish with the survey (log for the weekly review,
close the journal). A surface adds only its own sinks (a terminal view and a voice, or the page's broadcaster) and
its own way of asking the checklist and the survey.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hangtime.app.services import ServiceError, SessionSetup, finish_session, load_buddy
from hangtime.app.services.sessions import resume_setup
from hangtime.core.evidence import Evidence
from hangtime.core.pauses import Pause
from hangtime.core.planning import SessionLog
from hangtime.core.session.engine import (
    ChecklistConfirmed,
    Phase,
    SessionEngine,
    SurveySubmitted,
    Tick,
    event_from_dict,
)
from hangtime.devices.supervisor import DeviceInfo
from hangtime.notify.buddy import SmtpSettings
from hangtime.runtime.buddy import BuddySink
from hangtime.runtime.runner import CommandSink, RealClock, ResumedClock, SessionRunner
from hangtime.runtime.table import TableBridge, open_table
from hangtime.store import Database
from hangtime.store.journal import Journal, journal_rows, session_info


@dataclass
class SessionLifecycle:
    db: Database
    evidence: Evidence
    setup: SessionSetup
    engine: SessionEngine
    clock: RealClock
    journal: Journal
    buddy: BuddySink
    runner: SessionRunner
    demo: bool

    @classmethod
    def begin(
        cls,
        db: Database,
        evidence: Evidence,
        setup: SessionSetup,
        sinks: list[CommandSink],
        *,
        speed: float,
        smtp: SmtpSettings,
        demo: bool,
        via: str,
        status: str = "running",
    ) -> SessionLifecycle:
        """Everything a session needs, journal opened (as `status`); nothing has happened yet."""
        clock = RealClock(speed)
        engine = SessionEngine(setup.config, clock, evidence.symptom_advice)
        journal = Journal.start(
            db,
            setup.owner,
            setup.plan_id,
            setup.config,
            {"week": setup.week.week, "via": via, "speed": speed, "demo": demo},
            status,
        )
        contact, person = load_buddy(db, setup.owner)
        buddy = BuddySink(contact, person, journal, smtp, engine)
        runner = SessionRunner(engine, clock, [*sinks, buddy], journal)
        return cls(db, evidence, setup, engine, clock, journal, buddy, runner, demo)

    @classmethod
    def resume(
        cls,
        db: Database,
        evidence: Evidence,
        session_id: int,
        sinks: list[CommandSink],
        *,
        smtp: SmtpSettings,
        demo: bool,
    ) -> SessionLifecycle:
        """Take over a running session whose worker died: the engine is rebuilt by replaying the journal's events
        at their recorded times (what it did then was done then: its commands are not sent again), then runs on in
        real time from the session's own start, so a check-in that came due meanwhile escalates at once."""
        info = session_info(db, session_id)
        if info is None or info["status"] != "running":
            raise ServiceError(f"session {session_id} is not running")
        setup = resume_setup(db, evidence, session_id)
        speed = float(info["config"].get("speed", 1.0))
        started = dt.datetime.fromisoformat(info["started_at"])
        elapsed = max(0.0, (dt.datetime.now(dt.UTC) - started).total_seconds())
        clock = ResumedClock(speed, elapsed)
        clock.pin(0.0)
        engine = SessionEngine(setup.config, clock, evidence.symptom_advice)
        for row in journal_rows(db, session_id, kind="event"):
            clock.pin(float(row["t"]))
            engine.handle(Tick())
            payload = {k: v for k, v in row.items() if k not in ("t", "kind", "name")}
            engine.handle(event_from_dict({"event": row["name"], **payload}))
        clock.pin(None)
        journal = Journal(db, session_id)
        journal.note(clock.now(), "taken_over", {"worker": os.getpid()})
        contact, person = load_buddy(db, setup.owner)
        buddy = BuddySink(contact, person, journal, smtp, engine)
        buddy.wall_start = started.astimezone()
        runner = SessionRunner(engine, clock, [*sinks, buddy], journal)
        return cls(db, evidence, setup, engine, clock, journal, buddy, runner, demo)

    def start(self, items: tuple[str, ...], pain_before: int | None) -> bool:
        """The checklist; False (and the journal closed as aborted) when the engine refuses it."""
        self.runner.step(ChecklistConfirmed(items=items, pain_before=pain_before))
        if self.engine.phase is Phase.CHECKLIST:
            self.journal.finish("aborted", "checklist", 0.0)
            return False
        return True

    async def run(self, table_url: str | None, on_table: Callable[[DeviceInfo], Any] | None = None) -> None:
        """Run in real time until the survey. With a table: drive it, and always end with it returned home."""
        try:
            if table_url is None:
                await self.runner.run()
                return
            config = self.engine.config
            supervisor, simulator = await open_table(table_url, config.cap_angle_deg, config.max_tilt_rate_deg_s)
            bridge = TableBridge(supervisor, self.runner)
            self.runner.sinks.append(bridge)
            try:
                assert supervisor.device is not None
                if on_table is not None:
                    on_table(supervisor.device)
                bridge.start()
                if self.engine.phase is Phase.TILTING:
                    # The checklist step asked for the tilt before the table was connected: ask again now.
                    await supervisor.move_to(config.angle_deg, config.max_tilt_rate_deg_s)
                await self.runner.run()
            finally:
                await bridge.close()
                await supervisor.stop()  # always ends with a return upright
                if simulator is not None:
                    await simulator.close()
        finally:
            await self.buddy.drain()

    def finish(self, survey: SurveySubmitted) -> tuple[SessionLog, Pause | None]:
        """The survey: logged for the weekly review (a red flag pauses the plan at once), journal closed."""
        self.runner.step(survey)
        return finish_session(self.db, self.evidence, self.journal, self.engine, self.setup, demo=self.demo)
