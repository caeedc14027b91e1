"""The real-clock runner: feeds the engine events and timer ticks, journals everything, dispatches commands."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from hangtime.session.engine import Command, Event, Phase, SessionEngine, Tick


class RealClock:
    """Seconds since creation, optionally compressed by `speed` (tests and demonstrations)."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.speed

    def real_seconds(self, engine_seconds: float) -> float:
        return engine_seconds / self.speed


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
        """Journal the event, run the engine, hand every command to the sinks and journal it."""
        if self.journal is not None and not isinstance(event, Tick):
            self.journal.event(self.clock.now() - self.engine.started_at, event)
        commands = self.engine.handle(event)
        for command in commands:
            for sink in self.sinks:
                sink.handle(command)
            if self.journal is not None:
                self.journal.command(command)
        if self.on_step is not None:
            self.on_step()
        return commands

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
            self.step(event)
