"""Motorized tables: protocol frames, the simulator, and the safety supervisor under fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from hangtime.devices.driver import TableError, opener_for
from hangtime.devices.protocol import ErrorCode, FrameError, decode, encode
from hangtime.devices.simulator import SimLimits, SimulatorServer, TableSimulator
from hangtime.devices.supervisor import SafetySupervisor, SupervisorConfig

# Faster than a real table so the matrix runs in about a minute; the bound scales with these rates.
TEST_LIMITS = SimLimits(max_rate_deg_s=20, accel_deg_s2=80, body_return_rate_deg_s=10, watchdog_return_rate_deg_s=15)
CONFIG = SupervisorConfig(
    cap_angle_deg=60,
    default_rate_deg_s=20,
    heartbeat_s=0.05,
    watchdog_ms=300,
    request_timeout_s=0.2,
    stall_window_s=0.5,
)
ANGLE = 40.0
# Bound: detection (<= 1.0 s: stall window, link loss or the watchdog) + the slowest way home from 40 degrees
# (body weight at 10 deg/s = 4 s) + margin.
BOUND_S = 6.0
RESULTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "fault-matrix.json"


def test_frames_round_trip_and_refuse_damage() -> None:
    frame = decode(encode(7, "MOVE", angle=30.0, rate=5.0))
    assert (frame.seq, frame.verb, frame.number("angle"), frame.number("rate")) == (7, "MOVE", 30.0, 5.0)
    damaged = encode(7, "MOVE", angle=30.0, rate=5.0).replace(b"30.00", b"90.00")
    with pytest.raises(FrameError) as caught:
        decode(damaged)
    assert caught.value.code is ErrorCode.BAD_CHECKSUM
    for garbage in (b"hello\n", b"\x00\xff *ZZZZ\n", b"1 *" + b"x" * 300 + b"\n"):
        with pytest.raises(FrameError):
            decode(garbage)


def test_simulator_refuses_out_of_range_and_latches_estop() -> None:
    sim = TableSimulator(TEST_LIMITS)
    now = time.monotonic()
    assert b"OK HELLO" in sim.handle_line(encode(1, "HELLO", proto=1, watchdog_ms=500), now)
    assert b"ERR" in sim.handle_line(encode(2, "MOVE", angle=120.0, rate=5.0), now)
    assert b"ERR" in sim.handle_line(encode(3, "MOVE", angle=30.0, rate=50.0), now)
    assert b"OK MOVE" in sim.handle_line(encode(4, "MOVE", angle=30.0, rate=5.0), now)
    sim.handle_line(encode(5, "ESTOP"), now)
    refused = decode(sim.handle_line(encode(6, "MOVE", angle=30.0, rate=5.0), now))
    assert refused.verb == "ERR" and refused.fields["code"] == str(int(ErrorCode.ESTOP_LATCHED))
    assert b"OK RETURN" in sim.handle_line(encode(7, "RETURN", rate=5.0), now), "the way home is always allowed"
    sim.handle_line(encode(8, "RESET"), now)
    assert b"OK MOVE" in sim.handle_line(encode(9, "MOVE", angle=30.0, rate=5.0), now)


def test_device_watchdog_returns_home_on_its_own() -> None:
    sim = TableSimulator(TEST_LIMITS, angle=40.0, target=40.0)
    start = time.monotonic()
    sim.handle_line(encode(1, "HELLO", proto=1, watchdog_ms=300), start)
    t = start
    while t < start + 6:
        t += 0.02
        sim.step(0.02, t)
    assert sim.fault == "watchdog" and sim.upright


async def wait_until(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.01)
    return False


HOST_SCRIPT = """
import asyncio, sys
from hangtime.devices.driver import opener_for
from hangtime.devices.supervisor import SafetySupervisor, SupervisorConfig
async def main():
    config = SupervisorConfig(cap_angle_deg=60, default_rate_deg_s=20, heartbeat_s=0.05, watchdog_ms=300)
    supervisor = SafetySupervisor(opener_for(sys.argv[1]), config)
    await supervisor.start()
    phase = sys.argv[2]
    await supervisor.move_to(40)
    await asyncio.sleep(2.5)
    while True:
        if phase == "oscillating":
            await supervisor.move_to(10); await asyncio.sleep(1.0)
            await supervisor.move_to(40); await asyncio.sleep(1.0)
        else:
            await asyncio.sleep(0.1)
asyncio.run(main())
"""


async def run_scenario(fault: str, phase: str) -> float:
    """Bring the table to `phase`, inject `fault`, and return the seconds until it is back home."""
    sim = TableSimulator(TEST_LIMITS)
    server = SimulatorServer(sim)
    port = await server.start()
    url = f"tcp://127.0.0.1:{port}"
    supervisor: SafetySupervisor | None = None
    host = None
    oscillate: asyncio.Task[None] | None = None
    try:
        if fault == "host_kill":
            host = await asyncio.create_subprocess_exec(sys.executable, "-c", HOST_SCRIPT, url, phase)
            if phase == "tilting":
                assert await wait_until(lambda: 10 < sim.angle < 30, 10)
            else:
                assert await wait_until(lambda: sim.angle > 38, 10)
            if phase == "oscillating":
                await asyncio.sleep(1.2)
            if phase == "returning":
                sim.target, sim.rate = TEST_LIMITS.home_deg, 10.0  # the host had begun the return
                await asyncio.sleep(0.3)
            started = time.monotonic()
            host.kill()
        else:
            supervisor = SafetySupervisor(opener_for(url), CONFIG)
            await supervisor.start()
            await supervisor.move_to(ANGLE)
            if phase == "tilting":
                assert await wait_until(lambda: 10 < sim.angle < 30, 5)
            else:
                assert await wait_until(lambda: sim.angle > ANGLE - 1, 5)
            if phase == "oscillating":

                async def rock(s: SafetySupervisor) -> None:
                    while True:
                        await asyncio.sleep(0.4)
                        await s.move_to(10)
                        await asyncio.sleep(0.4)
                        await s.move_to(ANGLE)

                oscillate = asyncio.get_running_loop().create_task(rock(supervisor))
                await asyncio.sleep(0.6)
            if phase == "returning":
                await supervisor.return_upright()
                await asyncio.sleep(0.3)
            started = time.monotonic()
        sim.faults.add(fault)
        if fault == "power_loss":
            server.drop_clients()
        if supervisor is not None:
            # The session's own end: if no safety check fired within a second, the hold ends normally.
            await wait_until(lambda: supervisor.fault is not None or sim.upright, 1.0)  # type: ignore[union-attr]
            if oscillate is not None:
                oscillate.cancel()
            if supervisor.fault is None and not sim.upright:
                with contextlib.suppress(TableError):
                    await supervisor.return_upright()
        assert await wait_until(lambda: sim.upright, BOUND_S + 5), f"{fault} while {phase}: still at {sim.angle:.1f}"
        return time.monotonic() - started
    finally:
        if oscillate is not None:
            oscillate.cancel()
        if host is not None and host.returncode is None:
            host.kill()
            await host.wait()
        if supervisor is not None:
            sim.faults.clear()
            await supervisor.stop()
        await server.close()


FAULT_NAMES = ["stall", "noise", "stuck_sensor", "disconnect", "garbage", "power_loss", "slow", "host_kill"]
PHASES = ["tilting", "holding", "oscillating", "returning"]


@pytest.mark.slow
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("fault", FAULT_NAMES)
def test_fault_matrix_returns_the_person_upright(fault: str, phase: str) -> None:
    seconds = asyncio.run(run_scenario(fault, phase))
    RESULTS.parent.mkdir(exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[f"{fault}/{phase}"] = round(seconds, 2)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True))
    assert seconds <= BOUND_S, f"{fault} while {phase}: upright after {seconds:.2f} s (bound {BOUND_S} s)"


class SupervisorMachine(RuleBasedStateMachine):
    """Arbitrary commands through the supervisor: nothing above the cap or the rate limit reaches the motor."""

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.sim = TableSimulator(SimLimits(max_rate_deg_s=12))
        self.server = SimulatorServer(self.sim)
        port = self.loop.run_until_complete(self.server.start())
        config = SupervisorConfig(cap_angle_deg=45, cap_rate_deg_s=3, default_rate_deg_s=5, heartbeat_s=0.05)
        self.supervisor = SafetySupervisor(opener_for(f"tcp://127.0.0.1:{port}"), config)
        self.loop.run_until_complete(self.supervisor.start())

    def run(self, coroutine: object) -> None:
        with contextlib.suppress(TableError):
            self.loop.run_until_complete(coroutine)  # type: ignore[arg-type]

    @rule(angle=st.floats(-50, 200, allow_nan=False), rate=st.none() | st.floats(-5, 100, allow_nan=False))
    def move(self, angle: float, rate: float | None) -> None:
        self.run(self.supervisor.move_to(angle, rate))

    @rule()
    def estop(self) -> None:
        self.run(self.supervisor.estop())

    @rule()
    def reset(self) -> None:
        self.run(self.supervisor.reset())

    @rule(rate=st.none() | st.floats(0, 100, allow_nan=False))
    def go_home(self, rate: float | None) -> None:
        self.run(self.supervisor.return_upright(rate))

    @rule(seconds=st.floats(0, 0.2))
    def wait(self, seconds: float) -> None:
        self.loop.run_until_complete(asyncio.sleep(seconds))

    @invariant()
    def nothing_unsafe_reaches_the_motor(self) -> None:
        for verb, angle, rate in self.sim.moves:
            assert rate <= 3 + 1e-9, f"{verb} at {rate} deg/s"
            if verb == "MOVE":
                assert 0 <= angle <= 45 + 1e-9, f"MOVE to {angle}"
        assert self.sim.angle <= 45 + 0.5

    def teardown(self) -> None:
        self.loop.run_until_complete(self.supervisor.stop())
        self.loop.run_until_complete(self.server.close())
        self.loop.close()


SupervisorMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=15, deadline=None)
TestSupervisorMachine = SupervisorMachine.TestCase


def test_serial_transport_over_a_pseudo_terminal() -> None:
    """The same protocol class over pyserial-asyncio-fast: the simulator answers on the other end of a pty pair."""
    import os
    import pty
    import tty

    async def scenario() -> tuple[float, float]:
        master, slave = pty.openpty()
        tty.setraw(slave)
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(master, "rb", buffering=0))
        transport, protocol = await loop.connect_write_pipe(
            asyncio.streams.FlowControlMixin, os.fdopen(os.dup(master), "wb", buffering=0)
        )
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        sim = TableSimulator(TEST_LIMITS)

        async def device() -> None:
            last = time.monotonic()
            while True:
                line = await reader.readline()
                now = time.monotonic()
                sim.step(now - last, now)
                last = now
                writer.write(sim.handle_line(line, now))

        serving = loop.create_task(device())
        supervisor = SafetySupervisor(opener_for(f"serial://{os.ttyname(slave)}?baud=115200"), CONFIG)
        try:
            await supervisor.start()
            assert supervisor.device is not None and supervisor.device.model == "hangtime-sim"
            clamped = await supervisor.move_to(75, 50)
            assert await wait_until(lambda: abs(sim.angle - clamped) < 0.5, 10)
            return clamped, sim.rate
        finally:
            await supervisor.stop()
            serving.cancel()
            transport.close()
            os.close(slave)

    angle, rate = asyncio.run(scenario())
    assert angle == 60 and rate == 20, "clamped to the cap and the table's rate over serial too"


def test_a_move_waiting_behind_a_status_poll_never_follows_a_return() -> None:
    async def scenario() -> str:
        sim = TableSimulator(TEST_LIMITS)
        server = SimulatorServer(sim)
        port = await server.start()
        supervisor = SafetySupervisor(opener_for(f"tcp://127.0.0.1:{port}"), CONFIG)
        await supervisor.start()
        try:
            async with supervisor._lock:  # a status poll in flight holds the lock
                move = asyncio.create_task(supervisor.move_to(ANGLE))
                await asyncio.sleep(0.01)
                await supervisor.return_upright()  # the stop jumps the queue
            with pytest.raises(TableError, match="superseded"):
                await move
            verbs = [verb for _, verb in sim.received if verb in ("MOVE", "RETURN")]
            return verbs[-1]
        finally:
            await supervisor.stop()
            await server.close()

    assert asyncio.run(scenario()) == "RETURN"


def test_a_lost_cancellation_cannot_hang_a_shutdown() -> None:
    """Python 3.11's wait_for can swallow a cancellation that coincides with a reply: stopping must still work."""
    from hangtime.devices.tasks import cancel_and_wait

    async def scenario() -> tuple[bool, int]:
        swallowed = 0

        async def loop_that_loses_one_cancel() -> None:
            nonlocal swallowed
            while True:
                try:
                    await asyncio.sleep(10)
                except asyncio.CancelledError:
                    if swallowed:
                        raise
                    swallowed += 1  # what wait_for does in the race: the cancellation is gone, the loop goes on

        task = asyncio.get_running_loop().create_task(loop_that_loses_one_cancel())
        await asyncio.sleep(0)
        await asyncio.wait_for(cancel_and_wait(task), 5)
        return task.cancelled(), swallowed

    cancelled, swallowed = asyncio.run(scenario())
    assert cancelled and swallowed == 1
