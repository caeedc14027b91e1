"""A motorized inversion table that speaks the Hangtime protocol over TCP, with motion dynamics, a device-side
watchdog and fault injection. Everything in Hangtime that drives a table can be tested against it."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field

from hangtime.devices.protocol import PROTOCOL_VERSION, ErrorCode, Frame, FrameError, decode, encode
from hangtime.devices.tasks import cancel_and_wait

FAULTS = ("stall", "noise", "stuck_sensor", "disconnect", "garbage", "power_loss", "slow")


@dataclass
class SimLimits:
    model: str = "hangtime-sim"
    home_deg: float = 0.0
    max_angle_deg: float = 90.0
    max_rate_deg_s: float = 10.0
    accel_deg_s2: float = 40.0
    max_load_kg: float = 136.0
    # With the power gone, a real table is returned by the person's own arm and body weight (counterbalanced
    # designs): the simulator moves it home at this rate and answers nothing.
    body_return_rate_deg_s: float = 6.0
    watchdog_return_rate_deg_s: float = 8.0


@dataclass
class TableSimulator:
    limits: SimLimits = field(default_factory=SimLimits)
    load_kg: float = 80.0
    locked: bool = True
    angle: float = 0.0
    velocity: float = 0.0
    target: float = 0.0
    rate: float = 0.0
    estop: bool = False
    fault: str | None = None
    watchdog_s: float | None = None
    last_frame_at: float = field(default_factory=time.monotonic)
    faults: set[str] = field(default_factory=set)
    stuck_at: float | None = None
    moves: list[tuple[str, float, float]] = field(default_factory=list)
    received: list[tuple[float, str]] = field(default_factory=list)
    slow_delay_s: float = 0.3
    rng: random.Random = field(default_factory=lambda: random.Random(1))

    # -- physics -------------------------------------------------------------------------------------------

    def step(self, dt: float, now: float) -> None:
        limits = self.limits
        if "power_loss" in self.faults:
            self.velocity = 0.0
            direction = 1 if limits.home_deg > self.angle else -1
            self.angle += direction * min(abs(limits.home_deg - self.angle), limits.body_return_rate_deg_s * dt)
            return
        if self.watchdog_s is not None and now - self.last_frame_at > self.watchdog_s and self.fault != "watchdog":
            self.fault = "watchdog"
            self.target = limits.home_deg
            self.rate = limits.watchdog_return_rate_deg_s
        if "stall" in self.faults:
            self.velocity = 0.0
            if self.target == limits.home_deg and self.angle != limits.home_deg:
                # A drive that cannot move releases its clutch on RETURN: the table comes home by body weight.
                direction = 1 if limits.home_deg > self.angle else -1
                self.angle += direction * min(abs(limits.home_deg - self.angle), limits.body_return_rate_deg_s * dt)
            return
        error = self.target - self.angle
        wanted = max(-self.rate, min(self.rate, error / max(dt, 1e-3)))
        change = max(-limits.accel_deg_s2 * dt, min(limits.accel_deg_s2 * dt, wanted - self.velocity))
        self.velocity += change
        self.angle += self.velocity * dt
        if abs(self.target - self.angle) < 0.05 and abs(self.velocity) < 0.5:
            self.angle, self.velocity = self.target, 0.0

    def sensed_angle(self) -> float:
        if "stuck_sensor" in self.faults:
            if self.stuck_at is None:
                self.stuck_at = self.angle
            return self.stuck_at
        self.stuck_at = None
        if "noise" in self.faults:
            return self.angle + self.rng.uniform(-4.0, 4.0)
        return self.angle

    @property
    def upright(self) -> bool:
        return abs(self.angle - self.limits.home_deg) <= 1.0

    # -- protocol ------------------------------------------------------------------------------------------

    def info(self) -> dict[str, object]:
        limits = self.limits
        return {
            "proto": PROTOCOL_VERSION,
            "model": limits.model,
            "home": limits.home_deg,
            "max_angle": limits.max_angle_deg,
            "max_rate": limits.max_rate_deg_s,
            "max_load": limits.max_load_kg,
        }

    def handle_line(self, line: bytes, now: float) -> bytes:
        try:
            frame = decode(line)
        except FrameError as exc:
            return encode(0, "ERR", code=int(exc.code), msg=type(exc).__name__)
        self.last_frame_at = now
        self.received.append((now, frame.verb))
        try:
            return self.handle(frame)
        except FrameError as exc:
            return encode(frame.seq, "ERR", code=int(exc.code), command=frame.verb)

    def handle(self, frame: Frame) -> bytes:
        limits = self.limits
        verb = frame.verb
        if verb == "HELLO":
            if int(frame.number("proto")) != PROTOCOL_VERSION:
                raise FrameError(ErrorCode.UNSUPPORTED_VERSION, "protocol version")
            watchdog_ms = frame.number("watchdog_ms")
            if not 50 <= watchdog_ms <= 60000:
                raise FrameError(ErrorCode.OUT_OF_RANGE, "watchdog_ms")
            self.watchdog_s = watchdog_ms / 1000
            if self.fault == "watchdog":
                self.fault = None
            return encode(frame.seq, "OK", "HELLO", watchdog_ms=int(watchdog_ms), **self.info())
        if verb == "ID":
            return encode(frame.seq, "OK", "ID", **self.info())
        if verb == "STATUS":
            moving = abs(self.velocity) > 0.05
            return encode(
                frame.seq,
                "OK",
                "STATUS",
                angle=round(self.sensed_angle(), 2),
                moving=moving,
                target=round(self.target, 2),
                lock=self.locked,
                load=self.load_kg,
                estop=self.estop,
                fault=self.fault or "none",
            )
        if verb == "HB":
            return encode(frame.seq, "OK", "HB")
        if verb == "MOVE":
            angle, rate = frame.number("angle"), frame.number("rate")
            self.moves.append(("MOVE", angle, rate))
            if not limits.home_deg <= angle <= limits.max_angle_deg or not 0 < rate <= limits.max_rate_deg_s:
                raise FrameError(ErrorCode.OUT_OF_RANGE, "angle or rate")
            if self.estop:
                raise FrameError(ErrorCode.ESTOP_LATCHED, "e-stop latched")
            if not self.locked:
                raise FrameError(ErrorCode.NOT_LOCKED, "ankle lock open")
            if self.load_kg > limits.max_load_kg:
                raise FrameError(ErrorCode.OVERLOAD, "overload")
            if self.fault is not None:
                raise FrameError(ErrorCode.DRIVE_FAULT, self.fault)
            self.target, self.rate = angle, rate
            return encode(frame.seq, "OK", "MOVE")
        if verb == "HOLD":
            self.target = self.angle
            return encode(frame.seq, "OK", "HOLD")
        if verb == "RETURN":
            # Returning home is always allowed, even with the e-stop latched or a fault: it is the way out.
            rate = frame.number("rate") if "rate" in frame.fields else limits.max_rate_deg_s / 2
            self.moves.append(("RETURN", limits.home_deg, rate))
            if not 0 < rate <= limits.max_rate_deg_s:
                raise FrameError(ErrorCode.OUT_OF_RANGE, "rate")
            self.target, self.rate = limits.home_deg, rate
            return encode(frame.seq, "OK", "RETURN")
        if verb == "ESTOP":
            self.estop = True
            self.velocity = 0.0
            self.target = self.angle
            return encode(frame.seq, "OK", "ESTOP")
        if verb == "RESET":
            self.estop = False
            self.fault = None
            return encode(frame.seq, "OK", "RESET")
        raise FrameError(ErrorCode.UNKNOWN_COMMAND, verb)


class SimulatorServer:
    """The simulator behind a TCP port, with its physics running at 50 Hz."""

    def __init__(self, simulator: TableSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self.host = host
        self.port = port
        self.server: asyncio.Server | None = None
        self.physics: asyncio.Task[None] | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self.server.sockets[0].getsockname()[1]
        self.physics = asyncio.get_running_loop().create_task(self._physics())
        return self.port

    async def close(self) -> None:
        if self.physics is not None:
            await cancel_and_wait(self.physics)
        # Abort, not close: a close waits to flush what a peer that stopped reading never takes, and the server's
        # wait_closed() waits for every connection, so one stuck peer used to hang the shutdown for ever.
        for writer in list(self.writers):
            writer.transport.abort()
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), 2.0)

    def drop_clients(self) -> None:
        for writer in list(self.writers):
            writer.close()

    async def _physics(self) -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.02)
            now = time.monotonic()
            self.simulator.step(now - last, now)
            last = now
            if "disconnect" in self.simulator.faults and self.writers:
                self.drop_clients()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sim = self.simulator
        if "disconnect" in sim.faults or "power_loss" in sim.faults:
            writer.close()
            return
        self.writers.add(writer)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                if "power_loss" in sim.faults:
                    continue  # a dead device answers nothing
                reply = sim.handle_line(line, time.monotonic())
                if "slow" in sim.faults:
                    await asyncio.sleep(sim.slow_delay_s)
                if "garbage" in sim.faults:
                    writer.write(b"\x00#@!~garbage*ZZ\n" + bytes(sim.rng.randrange(32, 127) for _ in range(12)) + b"\n")
                writer.write(reply)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()
