"""Motorized table benchmarks against the simulator (real clock, loopback TCP, one run):
stop-to-motor-command latency with the session journaled, and time to upright from each angle."""

from __future__ import annotations

import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stats import percentile  # bench/stats.py: scripts run from this folder

from hangtime.core.session.commands import (
    Command,
)
from hangtime.core.session.engine import (
    REQUIRED_CHECKLIST,
    ChecklistConfirmed,
    Event,
    Phase,
    PositionConfirmed,
    SessionConfig,
    SessionEngine,
    StopRequested,
    Tick,
)
from hangtime.devices.driver import opener_for
from hangtime.devices.simulator import SimulatorServer, TableSimulator
from hangtime.devices.supervisor import SafetySupervisor, SupervisorConfig
from hangtime.runtime.runner import RealClock, SessionRunner
from hangtime.runtime.table import TableBridge
from hangtime.store import Database, repo
from hangtime.store.journal import Journal


class JournalFirstRunner(SessionRunner):
    """The ordering before issue 10, kept here only to measure against: the event is committed to the journal
    before the engine acts, so every stop waits for a disk write."""

    def step(self, event: Event) -> list[Command]:
        if self.journal is not None and not isinstance(event, Tick):
            self.journal.event(self.clock.now() - self.engine.started_at, event)
        commands = self.engine.handle(event)
        for command in commands:
            for sink in self.sinks:
                sink.handle(command)
            if self.journal is not None:
                self.journal.command(command)
        return commands

    async def run(self, until: frozenset[Phase] = frozenset({Phase.SURVEY, Phase.DONE})) -> None:
        self._loop = asyncio.get_running_loop()
        while self.engine.phase not in until:
            try:
                event: Event = await asyncio.wait_for(self.queue.get(), timeout=self.max_wait_s)
            except TimeoutError:
                event = Tick()
            self.step(event)


# The simulated table in its own process, as a real table is its own device: it stamps each RETURN frame with the
# system-wide monotonic clock the moment it reads it, whatever the host's event loop does next.
TABLE_PROCESS = """
import asyncio, sys, time
from hangtime.devices.simulator import SimulatorServer, TableSimulator

class StampingTable(TableSimulator):
    def handle_line(self, line, now):
        if b" RETURN" in line:
            print("RETURN", time.monotonic(), flush=True)
        return super().handle_line(line, now)

async def main():
    server = SimulatorServer(StampingTable())
    print("PORT", await server.start(), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""

OTHER_LOAD = "while True: sum(range(10000))"  # another process keeps one of the two cores busy


async def stop_latency(db: Database, runner_class: type[SessionRunner], runs: int = 200) -> dict[str, list[float]]:
    """Stop pressed -> RETURN frame written by the host, and -> read by the table, with a SQLite journal."""
    table = await asyncio.create_subprocess_exec(
        sys.executable, "-c", TABLE_PROCESS, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert table.stdout is not None and table.stdin is not None
    port = int((await table.stdout.readline()).split()[1])
    received: list[float] = []

    async def read_stamps() -> None:
        assert table.stdout is not None
        while line := await table.stdout.readline():
            received.append(float(line.split()[1]))

    reader = asyncio.create_task(read_stamps())
    supervisor = SafetySupervisor(opener_for(f"tcp://127.0.0.1:{port}"), SupervisorConfig(cap_angle_deg=60))
    await supervisor.start()
    assert supervisor.connection is not None
    sent: list[float] = []
    supervisor.connection.on_send = lambda verb, _fields: sent.append(time.monotonic()) if verb == "RETURN" else None
    written, read = [], []
    for _ in range(runs):
        clock = RealClock()
        config = SessionConfig(angle_deg=30, hold_s=120)
        engine = SessionEngine(config, clock)
        journal = Journal.start(db, 1, None, config, {"bench": True})
        runner = runner_class(engine, clock, [], journal)
        bridge = TableBridge(supervisor, runner)
        runner.sinks.append(bridge)
        runner.step(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
        runner.step(PositionConfirmed())
        assert engine.phase is Phase.HOLDING
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(random.uniform(0.005, 0.03))
        before_sent, before_read = len(sent), len(received)
        posted = time.monotonic()
        runner.post(StopRequested())
        while len(received) == before_read:
            await asyncio.sleep(0.001)
        written.append((sent[before_sent] - posted) * 1000)
        read.append((received[before_read] - posted) * 1000)
        task.cancel()
        await bridge.close()
    await supervisor.stop()
    reader.cancel()
    table.stdin.close()
    await table.wait()
    return {"written": written, "read": read}


async def time_to_upright(angles: tuple[float, ...]) -> dict[float, float]:
    sim = TableSimulator()
    server = SimulatorServer(sim)
    port = await server.start()
    supervisor = SafetySupervisor(opener_for(f"tcp://127.0.0.1:{port}"), SupervisorConfig(cap_angle_deg=90))
    await supervisor.start()
    results = {}
    for angle in angles:
        await supervisor.move_to(angle, 10)
        while abs(sim.angle - angle) > 0.1:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        await supervisor.return_upright()
        while not sim.upright:
            await asyncio.sleep(0.005)
        results[angle] = time.monotonic() - started
        while sim.angle > 0.01:
            await asyncio.sleep(0.01)
    await supervisor.stop()
    await server.close()
    return results


def figures(latencies: list[float]) -> str:
    return (
        f"p50 {statistics.median(latencies):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms, "
        f"max {max(latencies):.2f} ms"
    )


async def main() -> None:
    load = subprocess.Popen([sys.executable, "-c", OTHER_LOAD])
    try:
        with tempfile.TemporaryDirectory() as directory:
            db = Database(f"sqlite:///{Path(directory) / 'bench.db'}")
            with db.unit_of_work() as uow:
                repo.owner_id(uow, repo.LOCAL_OWNER)
            now = await stop_latency(db, SessionRunner)
            before = await stop_latency(db, JournalFirstRunner)
            db.dispose()
    finally:
        load.kill()
    upright = await time_to_upright((15, 30, 45, 60, 90))
    print("Motorized table benchmark (simulator: 10 deg/s drive, 40 deg/s^2; supervisor return rate 5 deg/s; one run)")
    print("  stop -> RETURN (200 stops each; engine + runner + SQLite journal + supervisor + TCP to a table process;")
    print("  another process keeps one of the two cores busy):")
    for name, measured in (("command first (now)", now), ("journal first (before)", before)):
        print(f"    {name}: written by the host {figures(measured['written'])}")
        print(f"    {' ' * len(name)}  read by the table  {figures(measured['read'])}")
    ratio = percentile(before["written"], 0.99) / percentile(now["written"], 0.99)
    print(f"    p99 to the wire, before / now: {ratio:.1f}x")
    print(
        "  time to upright (within 1 degree of home) after RETURN: "
        + ", ".join(f"{a:g} deg {s:.1f} s" for a, s in upright.items())
    )


if __name__ == "__main__":
    asyncio.run(main())
