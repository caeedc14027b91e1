"""The real-clock runner: feeds the engine events and timer ticks, journals everything, dispatches commands."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from hangtime.core.session.commands import (
    Command,
)
from hangtime.core.session.engine import (
    Event,
    Phase,
    SessionEngine,
    Tick,
)


class RealClock:
    """Seconds since creation, optionally compressed by `speed` (tests and demonstrations)."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.speed

    def real_seconds(self, engine_seconds: float) -> float:
        return engine_seconds / self.speed


class ResumedClock(RealClock):
    """The clock of a session taken over from a worker that died: pinned to the journal's times while its events
    are replayed, then running on from the session's own start, so every deadline keeps its time."""

    def __init__(self, speed: float, elapsed_real_s: float) -> None:
        super().__init__(speed)
        self._start = time.monotonic() - elapsed_real_s
        self._pinned: float | None = None

    def pin(self, t: float | None) -> None:
        self._pinned = t

    def now(self) -> float:
        return self._pinned if self._pinned is not None else super().now()


class CommandSink(Protocol):
    def handle(self, command: Command) -> None: ...


class EventJournal(Protocol):
    def event(self, t: float, event: Event) -> None: ...

    def command(self, command: Command) -> None: ...


class SessionRunner:
    """Owns the event queue. `post` is safe to call from key handlers, web sockets or other threads."""

    def __init__(
        self,
        engine: SessionEngine,
        clock: RealClock,
        sinks: Iterable[CommandSink],
        journal: EventJournal | None = None,
        max_wait_s: float = 0.25,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.sinks = list(sinks)
        self.journal = journal
        self.max_wait_s = max_wait_s
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.on_step: Callable[[], None] | None = None

    def post(self, event: Event) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            loop.call_soon_threadsafe(self.queue.put_nowait, event)
        else:
            self.queue.put_nowait(event)

    def step(self, event: Event) -> list[Command]:
        """Run the engine, hand every command to the sinks, then journal the event and its commands."""
        at, commands = self._dispatch(event)
        self._journal(at, event, commands)
        return commands

    def _dispatch(self, event: Event) -> tuple[float, list[Command]]:
        at = self.clock.now() - self.engine.started_at
        commands = self.engine.handle(event)
        try:
            for command in commands:
                for sink in self.sinks:
                    sink.handle(command)
        except BaseException:
            self._journal(at, event, commands)  # a failing sink must not cost the journal its entries
            raise
        return at, commands

    def _journal(self, at: float, event: Event, commands: list[Command]) -> None:
        if self.journal is not None:
            if not isinstance(event, Tick):
                self.journal.event(at, event)
            for command in commands:
                self.journal.command(command)
        if self.on_step is not None:
            self.on_step()

    async def run(self, until: frozenset[Phase] = frozenset({Phase.SURVEY, Phase.DONE})) -> None:
        """Run until the engine reaches one of `until`, waking at every engine deadline."""
        self._loop = asyncio.get_running_loop()
        while self.engine.phase not in until:
            wait = self.max_wait_s
            deadline = self.engine.next_deadline()
            if deadline is not None:
                wait = min(wait, max(0.0, self.clock.real_seconds(deadline - self.clock.now())))
            try:
                event: Event = await asyncio.wait_for(self.queue.get(), timeout=wait)
            except TimeoutError:
                event = Tick()
            # The sinks act first; one yield lets a table driver put a stop on the wire before the journal's
            # commits (10-30 ms under load) run. The entries follow in the next turn: a crash loses none of them.
            at, commands = self._dispatch(event)
            if commands:
                await asyncio.sleep(0)
            self._journal(at, event, commands)
