"""The safety supervisor between the session engine and the motor.

It clamps every target to the person's caps and the table's limits, limits the tilt rate, keeps the device
watchdog fed, checks that the reported angle is plausible, latches an e-stop or a fault until an explicit reset,
reconnects with backoff, and always commands a return upright when it stops. The device-side watchdog is the first
line of defence; these host checks are the second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from hangtime.devices.driver import Opener, TableConnection, TableError
from hangtime.devices.tasks import cancel_and_wait

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceInfo:
    model: str
    home_deg: float
    max_angle_deg: float
    max_rate_deg_s: float
    max_load_kg: float


@dataclass
class TableStatus:
    angle_deg: float = 0.0
    target_deg: float = 0.0
    moving: bool = False
    estop: bool = False
    fault: str = "none"
    at: float = 0.0


@dataclass
class SupervisorConfig:
    cap_angle_deg: float
    cap_rate_deg_s: float | None = None
    default_rate_deg_s: float = 5.0
    heartbeat_s: float = 0.1
    watchdog_ms: int = 500
    request_timeout_s: float = 0.4
    lost_after_failures: int = 3
    plausibility_deg: float = 5.0
    stall_window_s: float = 1.0
    stall_min_progress_deg: float = 0.5


@dataclass
class SupervisorLog:
    """Every command that reached the wire, and every latched fault: what the property tests inspect."""

    sent: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    faults: list[tuple[float, str]] = field(default_factory=list)


class SafetySupervisor:
    def __init__(self, opener: Opener, config: SupervisorConfig) -> None:
        self.opener = opener
        self.config = config
        self.connection: TableConnection | None = None
        self.device: DeviceInfo | None = None
        self.status = TableStatus()
        self.log = SupervisorLog()
        self.estop_latched = False
        self.fault: str | None = None
        self.commanded_target: float | None = None
        self.commanded_rate: float = config.default_rate_deg_s
        self._history: list[tuple[float, float]] = []
        self._failures = 0
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # Counts returns and e-stops: a MOVE asked for before the latest one is dropped, never sent after it.
        self._returns = 0
        self.link_up = asyncio.Event()

    # -- lifecycle -----------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self._connect()
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        """Always ends with a return upright (when the link allows); then closes."""
        try:
            with contextlib.suppress(TableError):
                await self.return_upright()
        finally:
            if self._task is not None:
                await cancel_and_wait(self._task)
            if self.connection is not None:
                await self.connection.close()

    async def __aenter__(self) -> SafetySupervisor:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    async def _connect(self) -> None:
        reader, writer = await self.opener()
        connection = TableConnection(reader, writer, self.config.request_timeout_s)
        connection.on_send = self._record
        self.connection = connection
        reply = await connection.request("HELLO", proto=1, watchdog_ms=self.config.watchdog_ms)
        self.device = DeviceInfo(
            model=reply.fields.get("model", "unknown"),
            home_deg=reply.number("home"),
            max_angle_deg=reply.number("max_angle"),
            max_rate_deg_s=reply.number("max_rate"),
            max_load_kg=reply.number("max_load"),
        )
        self._failures = 0
        self.link_up.set()

    def _record(self, verb: str, fields: dict[str, object]) -> None:
        self.log.sent.append((time.monotonic(), verb, fields))

    # -- limits --------------------------------------------------------------------------------------------

    def limit_angle(self, angle: float) -> float:
        assert self.device is not None
        top = min(self.config.cap_angle_deg, self.device.max_angle_deg)
        return max(self.device.home_deg, min(angle, top))

    def limit_rate(self, rate: float | None) -> float:
        assert self.device is not None
        wanted = rate if rate is not None and rate > 0 else self.config.default_rate_deg_s
        limits = [wanted, self.device.max_rate_deg_s]
        if self.config.cap_rate_deg_s is not None:
            limits.append(self.config.cap_rate_deg_s)
        return min(limits)

    # -- commands ------------------------------------------------------------------------------------------

    def _refuse_if_latched(self) -> None:
        if self.estop_latched or self.fault is not None:
            raise TableError(f"latched: {'e-stop' if self.estop_latched else self.fault}; reset first")

    async def _send(self, verb: str, *, moves_after: int | None = None, **fields: object) -> None:
        if self.connection is None or self.connection.closed:
            raise TableError("no connection to the table")
        async with self._lock:
            if moves_after is not None:  # checked again under the lock: a latch or return while this MOVE waited wins
                self._refuse_if_latched()
                if self._returns != moves_after:
                    raise TableError("MOVE superseded by a return")
            await self.connection.request(verb, **fields)

    async def _send_now(self, verb: str, **fields: object) -> None:
        """Stops jump the queue: no wait for a status poll in flight (replies are matched by sequence number)."""
        if self.connection is None or self.connection.closed:
            raise TableError("no connection to the table")
        self._returns += 1
        await self.connection.request(verb, **fields)

    async def move_to(self, angle: float, rate: float | None = None) -> float:
        """Move toward `angle` within every limit; refused while an e-stop or a fault is latched."""
        self._refuse_if_latched()
        target, speed = self.limit_angle(angle), self.limit_rate(rate)
        self.commanded_target, self.commanded_rate = target, speed
        self._history.clear()
        await self._send("MOVE", moves_after=self._returns, angle=target, rate=speed)
        return target

    async def hold(self) -> None:
        await self._send("HOLD")
        self.commanded_target = self.status.angle_deg

    async def return_upright(self, rate: float | None = None) -> None:
        assert self.device is not None
        speed = self.limit_rate(rate)
        self.commanded_target, self.commanded_rate = self.device.home_deg, speed
        self._history.clear()
        await self._send_now("RETURN", rate=speed)

    async def estop(self) -> None:
        self.estop_latched = True
        await self._send_now("ESTOP")

    async def reset(self) -> None:
        await self._send("RESET")
        self.estop_latched = False
        self.fault = None

    # -- monitoring ----------------------------------------------------------------------------------------

    async def _latch(self, reason: str) -> None:
        if self.fault is None:
            self.fault = reason
            self.log.faults.append((time.monotonic(), reason))
            logger.warning("table fault latched: returning upright", extra={"fault": reason})
        with contextlib.suppress(TableError):
            await self.return_upright()

    async def _watch(self) -> None:
        delay = 0.1
        while True:
            await asyncio.sleep(self.config.heartbeat_s)
            try:
                assert self.connection is not None
                async with self._lock:
                    reply = await self.connection.request("STATUS")
                self._failures = 0
                await self._check(reply.number("angle"), reply.number("target"), reply.fields)
            except TableError:
                self._failures += 1
                if self._failures >= self.config.lost_after_failures or (self.connection and self.connection.closed):
                    self.link_up.clear()
                    if self.fault is None:
                        self.fault = "link lost"
                        self.log.faults.append((time.monotonic(), "link lost"))
                    # The device watchdog is already returning the table; reconnect and confirm the return.
                    with contextlib.suppress(OSError, TableError, ConnectionError):
                        if self.connection is not None:
                            await self.connection.close()
                        await asyncio.sleep(delay)
                        delay = min(delay * 2, 2.0)
                        await self._connect()
                        delay = 0.1
                        await self.return_upright()

    async def _check(self, angle: float, target: float, fields: dict[str, str]) -> None:
        now = time.monotonic()
        config = self.config
        assert self.device is not None
        previous = self.status
        self.status = TableStatus(
            angle, target, fields.get("moving") == "1", fields.get("estop") == "1", fields.get("fault", "none"), now
        )
        if self.status.fault not in ("none", "watchdog") and self.fault is None:
            await self._latch(f"device fault: {self.status.fault}")
            return
        ceiling = min(config.cap_angle_deg, self.device.max_angle_deg) + config.plausibility_deg
        if angle > ceiling:
            await self._latch(f"angle {angle:.1f} above the limit")
            return
        if previous.at:
            dt = now - previous.at
            possible = self.device.max_rate_deg_s * dt + config.plausibility_deg
            if abs(angle - previous.angle_deg) > possible:
                await self._latch(f"implausible angle jump {previous.angle_deg:.1f} -> {angle:.1f}")
                return
        self._history.append((now, angle))
        self._history = [(t, a) for t, a in self._history if now - t <= config.stall_window_s]
        goal = self.commanded_target
        if goal is None or abs(goal - angle) <= 2.0 or now - self._history[0][0] < config.stall_window_s * 0.9:
            return
        progress = abs(angle - self._history[0][1])
        if progress < config.stall_min_progress_deg:
            await self._latch(f"angle not tracking the command ({angle:.1f}, target {goal:.1f})")
