"""Connects a session to a motorized table: engine commands drive the supervisor; table angles feed the engine."""

from __future__ import annotations

import asyncio

from hangtime.core.session.commands import (
    Command,
    MoveTo,
    ReturnUpright,
)
from hangtime.core.session.engine import (
    AngleReading,
    TableFault,
)
from hangtime.devices.driver import TableError, opener_for
from hangtime.devices.simulator import SimulatorServer, TableSimulator
from hangtime.devices.supervisor import SafetySupervisor, SupervisorConfig
from hangtime.devices.tasks import cancel_and_wait
from hangtime.runtime.runner import SessionRunner


class TableBridge:
    """A command sink (move_to, return_upright) and an angle feed. A latched table fault stops the session."""

    def __init__(self, supervisor: SafetySupervisor, runner: SessionRunner, poll_s: float = 0.2) -> None:
        self.supervisor = supervisor
        self.runner = runner
        self.poll_s = poll_s
        self.tasks: set[asyncio.Task[None]] = set()
        self.feed: asyncio.Task[None] | None = None
        self.errors: list[str] = []

    def start(self) -> None:
        self.feed = asyncio.get_running_loop().create_task(self._feed())

    def _spawn(self, coroutine: object) -> None:
        async def guarded() -> None:
            try:
                await coroutine  # type: ignore[misc]
            except TableError as exc:
                self.errors.append(str(exc))

        task = asyncio.get_running_loop().create_task(guarded())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def handle(self, command: Command) -> None:
        match command:
            case MoveTo(angle_deg=angle, rate_deg_s=rate):
                self._spawn(self.supervisor.move_to(angle, rate))
            case ReturnUpright(rate_deg_s=rate):
                self._spawn(self.supervisor.return_upright(rate))

    async def _feed(self) -> None:
        stopped_for_fault = False
        while True:
            await asyncio.sleep(self.poll_s)
            if self.supervisor.link_up.is_set():
                self.runner.post(AngleReading(angle_deg=max(0.0, self.supervisor.status.angle_deg)))
            if self.supervisor.fault is not None and not stopped_for_fault:
                stopped_for_fault = True
                self.runner.post(TableFault(reason=self.supervisor.fault))

    async def close(self) -> None:
        if self.feed is not None:
            await cancel_and_wait(self.feed)
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=2)


async def open_table(
    url: str, cap_angle_deg: float, cap_rate_deg_s: float | None
) -> tuple[SafetySupervisor, SimulatorServer | None]:
    """`sim` starts an in-process simulator; `tcp://` and `serial://` reach a real table (or `hangtime table-sim`)."""
    server = None
    if url == "sim":
        server = SimulatorServer(TableSimulator())
        port = await server.start()
        url = f"tcp://127.0.0.1:{port}"
    supervisor = SafetySupervisor(
        opener_for(url), SupervisorConfig(cap_angle_deg=cap_angle_deg, cap_rate_deg_s=cap_rate_deg_s)
    )
    try:
        await supervisor.start()
    except (OSError, TableError) as exc:
        if server is not None:
            await server.close()
        raise TableError(f"cannot reach the table at {url}: {exc}") from None
    return supervisor, server
