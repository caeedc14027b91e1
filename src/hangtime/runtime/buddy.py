"""The buddy-alert command sink: sends alerts in the background and journals every attempt."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Protocol

from hangtime.core.session.commands import (
    AlertBuddy,
    BuddyAllClear,
    Command,
)
from hangtime.core.session.engine import (
    SessionEngine,
)
from hangtime.notify.buddy import BuddyAlert, BuddyContact, SmtpSettings, send_with_retries


class AttemptJournal(Protocol):
    session_id: int

    def note(self, t: float, name: str, payload: dict[str, Any]) -> None: ...


class BuddySink:
    """Sends the buddy alert (and the all-clear) in the background; every attempt goes into the journal."""

    def __init__(
        self,
        contact: BuddyContact | None,
        person: str,
        journal: AttemptJournal,
        smtp: SmtpSettings,
        engine: SessionEngine,
    ):
        self.contact = contact
        self.person = person
        self.journal = journal
        self.smtp = smtp
        self.engine = engine
        self.wall_start = dt.datetime.now().astimezone()
        self.tasks: set[asyncio.Task[bool]] = set()

    def _wall(self, seconds: float | None) -> str | None:
        if seconds is None:
            return None
        return (self.wall_start + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")

    def handle(self, command: Command) -> None:
        if not isinstance(command, AlertBuddy | BuddyAllClear):
            return
        if self.contact is None:
            self.journal.note(
                command.at, "buddy_attempt", {"ok": False, "error": "no buddy set up (hangtime buddy set)"}
            )
            return
        alert = BuddyAlert(
            person=self.person or "Your Hangtime buddy",
            kind="alert" if isinstance(command, AlertBuddy) else "all_clear",
            on_table_since=self._wall(command.on_table_since_s if isinstance(command, AlertBuddy) else 0.0) or "",
            last_checkin=self._wall(command.last_checkin_s if isinstance(command, AlertBuddy) else None),
            phase=command.phase if isinstance(command, AlertBuddy) else self.engine.phase.value,
            session_id=self.journal.session_id,
        )

        def report(attempt: dict[str, Any]) -> None:
            self.journal.note(command.at, "buddy_attempt", {**attempt, "alert": alert.kind})

        task = asyncio.get_running_loop().create_task(send_with_retries(self.contact, alert, self.smtp, report))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def drain(self, timeout_s: float = 5.0) -> None:
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=timeout_s)
