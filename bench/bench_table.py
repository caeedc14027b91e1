"""Motorized table benchmarks against the simulator (real clock, loopback TCP, one run):
stop-to-motor-command latency, and time to upright from each angle."""

from __future__ import annotations

import asyncio
import random
import statistics
import time

from stats import percentile  # bench/stats.py: scripts run from this folder

from hangtime.devices.bridge import TableBridge
from hangtime.devices.driver import opener_for
from hangtime.devices.simulator import SimulatorServer, TableSimulator
from hangtime.devices.supervisor import SafetySupervisor, SupervisorConfig
from hangtime.session.engine import (
    REQUIRED_CHECKLIST,
    CheckinAnswered,
    ChecklistConfirmed,
    Phase,
    SessionConfig,
    SessionEngine,
    StopRequested,
)
from hangtime.session.runner import RealClock, SessionRunner


async def stop_latency(runs: int = 200) -> list[float]:
    sim = TableSimulator()
    server = SimulatorServer(sim)
    port = await server.start()
    supervisor = SafetySupervisor(opener_for(f"tcp://127.0.0.1:{port}"), SupervisorConfig(cap_angle_deg=60))
    await supervisor.start()
    latencies = []
    for _ in range(runs):
        clock = RealClock()
        engine = SessionEngine(SessionConfig(angle_deg=30, hold_s=120), clock)
        runner = SessionRunner(engine, clock, [])
        bridge = TableBridge(supervisor, runner)
        runner.sinks.append(bridge)
        runner.step(ChecklistConfirmed(items=REQUIRED_CHECKLIST))
        runner.step(CheckinAnswered())
        assert engine.phase is Phase.HOLDING
        task = asyncio.create_task(runner.run())
        await asyncio.sleep(random.uniform(0.005, 0.03))
        before = len(sim.received)
        posted = time.monotonic()
        runner.post(StopRequested())
        while not any(verb == "RETURN" for _, verb in sim.received[before:]):
            await asyncio.sleep(0.0005)
        arrived = next(t for t, verb in sim.received[before:] if verb == "RETURN")
        latencies.append((arrived - posted) * 1000)
        task.cancel()
        await bridge.close()
    await supervisor.stop()
    await server.close()
    return latencies


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


async def main() -> None:
    latencies = await stop_latency()
    upright = await time_to_upright((15, 30, 45, 60, 90))
    print("Motorized table benchmark (simulator: 10 deg/s drive, 40 deg/s^2; supervisor return rate 5 deg/s; one run)")
    print(
        f"  stop -> RETURN received by the table ({len(latencies)} stops, engine + runner + supervisor + TCP): "
        f"p50 {statistics.median(latencies):.2f} ms, p99 {percentile(latencies, 0.99):.2f} ms, "
        f"max {max(latencies):.2f} ms"
    )
    print(
        "  time to upright (within 1 degree of home) after RETURN: "
        + ", ".join(f"{a:g} deg {s:.1f} s" for a, s in upright.items())
    )


if __name__ == "__main__":
    asyncio.run(main())
