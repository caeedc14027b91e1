"""Session runner benchmarks (real clock): cue timing error and drift, and stop-to-return latency.

Run with `make bench`. Figures are in real milliseconds, measured in this one run.
"""

from __future__ import annotations

import asyncio
import random
import statistics
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
    AngleReading,
    CheckinAnswered,
    ChecklistConfirmed,
    Phase,
    PositionConfirmed,
    SessionConfig,
    SessionEngine,
    StopRequested,
)
from hangtime.runtime.runner import RealClock, SessionRunner
from hangtime.store import Database, repo
from hangtime.store.journal import Journal

SPEED = 60.0  # a 30-minute session in 30 real seconds


class TimingSink:
    """Records how late each timer-driven command is dispatched, and answers check-ins like a person."""

    def __init__(self, clock: RealClock, runner_ref: list[SessionRunner]) -> None:
        self.clock = clock
        self.runner_ref = runner_ref
        self.lateness_ms: list[tuple[float, float]] = []

    def handle(self, command: Command) -> None:
        late_engine_s = self.clock.now() - command.at
        if command.kind in ("say", "chime", "phase") and command.data.get("cue") != "checkin-answer":
            self.lateness_ms.append((command.at, late_engine_s / self.clock.speed * 1000))
        cue = command.data.get("cue") if command.kind == "say" else None
        if cue in ("checkin", "alarm"):
            asyncio.get_running_loop().call_later(0.05, self.runner_ref[0].post, CheckinAnswered())
        elif cue in ("tilt", "return", "upright"):
            asyncio.get_running_loop().call_later(0.05, self.runner_ref[0].post, PositionConfirmed())


async def busy_load(stop: asyncio.Event) -> None:
    """Virtual load: the event loop is also busy with other work (5 ms of CPU every 20 ms)."""
    while not stop.is_set():
        end = time.perf_counter() + 0.005
        while time.perf_counter() < end:
            pass
        await asyncio.sleep(0.02)


async def cue_timing(db: Database) -> dict[str, float]:
    config = SessionConfig(
        angle_deg=45,
        hold_s=300,
        sets=5,
        set_rest_s=60,
        cap_hold_s=1800,
        rest_near_horizontal_s=120,
        checkin_interval_s=30,
    )
    clock = RealClock(SPEED)
    engine = SessionEngine(config, clock)
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, repo.LOCAL_OWNER)
    journal = Journal.start(db, owner, None, config, {"bench": True})
    runner_ref: list[SessionRunner] = []
    sink = TimingSink(clock, runner_ref)
    runner = SessionRunner(engine, clock, [sink], journal)
    runner_ref.append(runner)
    stop = asyncio.Event()
    load = asyncio.create_task(busy_load(stop))
    runner.step(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
    runner.step(AngleReading(angle_deg=45))
    started = time.perf_counter()
    await runner.run()
    stop.set()
    await load
    elapsed = time.perf_counter() - started
    timed = [late for at, late in sink.lateness_ms if at > 0.5]
    first = [late for at, late in sink.lateness_ms if at < engine.t * 0.1]
    last = [late for at, late in sink.lateness_ms if at > engine.t * 0.9]
    return {
        "session_engine_s": engine.t,
        "real_s": elapsed,
        "cues": len(timed),
        "p50_ms": statistics.median(timed),
        "p99_ms": percentile(timed, 0.99),
        "drift_ms": statistics.mean(last) - statistics.mean(first),
    }


class ReturnWatcher:
    def __init__(self) -> None:
        self.returned_at: float | None = None
        self.event = asyncio.Event()

    def handle(self, command: Command) -> None:
        if command.kind == "return_upright" and self.returned_at is None:
            self.returned_at = time.perf_counter()
            self.event.set()


async def stop_latency(db: Database, runs: int = 300) -> dict[str, float]:
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, repo.LOCAL_OWNER)
    latencies: list[float] = []
    for _ in range(runs):
        config = SessionConfig(angle_deg=30, hold_s=120)
        clock = RealClock()
        engine = SessionEngine(config, clock)
        journal = Journal.start(db, owner, None, config, {"bench": True})
        watcher = ReturnWatcher()
        runner = SessionRunner(engine, clock, [watcher], journal)
        runner.step(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
        runner.step(AngleReading(angle_deg=30))
        assert engine.phase is Phase.HOLDING
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(random.uniform(0.001, 0.02))
        posted = time.perf_counter()
        runner.post(StopRequested())
        await watcher.event.wait()
        assert watcher.returned_at is not None
        latencies.append((watcher.returned_at - posted) * 1000)
        task.cancel()
    return {
        "runs": runs,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        db = Database(f"sqlite:///{Path(directory) / 'bench.db'}")
        timing = await cue_timing(db)
        latency = await stop_latency(db)
        db.dispose()
    print("Session runner benchmark (real clock, SQLite journal, one run)")
    print(
        f"  cue timing, {timing['session_engine_s'] / 60:.0f}-minute session at {SPEED:g}x under load "
        f"({timing['real_s']:.1f} s real, {timing['cues']:.0f} timed cues): "
        f"error p50 {timing['p50_ms']:.2f} ms, p99 {timing['p99_ms']:.2f} ms, "
        f"drift (last 10% minus first 10%) {timing['drift_ms']:+.2f} ms"
    )
    print(
        f"  stop -> return_upright command ({latency['runs']:.0f} stops, journal included): "
        f"p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms, max {latency['max_ms']:.2f} ms"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
