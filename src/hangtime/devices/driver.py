"""Host side of the table protocol: one connection class over an asyncio stream pair (TCP or serial)."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections.abc import Awaitable, Callable

from hangtime.devices.protocol import Frame, FrameError, decode, encode
from hangtime.devices.tasks import cancel_and_wait

StreamPair = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Opener = Callable[[], Awaitable[StreamPair]]


class TableError(Exception):
    """The table refused a command (ERR) or did not answer in time."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TableConnection:
    """Requests with sequence numbers; replies matched by sequence; garbage and bad checksums are dropped."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout_s: float = 0.5) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout_s = timeout_s
        self.seq = 0
        self.pending: dict[int, asyncio.Future[Frame]] = {}
        self.dropped = 0
        self.closed = False
        self.on_send: Callable[[str, dict[str, object]], None] | None = None
        self.task = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    break
                try:
                    frame = decode(line)
                except FrameError:
                    self.dropped += 1
                    continue
                future = self.pending.pop(frame.seq, None)
                if future is not None and not future.done():
                    future.set_result(frame)
        except (ConnectionError, OSError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self.closed = True
            for future in self.pending.values():
                if not future.done():
                    future.set_exception(TableError("connection lost"))
            self.pending.clear()

    async def request(self, verb: str, *args: str, **fields: object) -> Frame:
        if self.closed:
            raise TableError("connection lost")
        self.seq = self.seq % 99999 + 1
        future: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self.pending[self.seq] = future
        if self.on_send is not None:
            self.on_send(verb, dict(fields))
        try:
            self.writer.write(encode(self.seq, verb, *args, **fields))
            await self.writer.drain()
            reply = await asyncio.wait_for(future, self.timeout_s)
        except (ConnectionError, OSError) as exc:
            raise TableError(f"connection lost ({exc})") from None
        except TimeoutError:
            raise TableError(f"{verb}: no answer within {self.timeout_s:.2f} s") from None
        finally:
            self.pending.pop(self.seq, None)
        if reply.verb == "ERR":
            raise TableError(f"{verb} refused: error {reply.fields.get('code')}", int(reply.fields.get("code", "0")))
        return reply

    async def close(self) -> None:
        await cancel_and_wait(self.task)
        if self.writer.is_closing():
            return  # another caller closed it (and may have been cancelled while waiting): nothing to wait for
        self.writer.close()
        # Shielded: a caller cancelled while waiting must not cancel the close for everyone else.
        with contextlib.suppress(ConnectionError, OSError, TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.writer.wait_closed()), 1.0)


def opener_for(url: str) -> Opener:
    """`tcp://host:port` or `serial:///dev/ttyUSB0?baud=115200` -> a function that opens the stream pair."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "tcp" and parsed.hostname and parsed.port:
        host, port = parsed.hostname, parsed.port

        async def open_tcp() -> StreamPair:
            return await asyncio.open_connection(host, port)

        return open_tcp
    if parsed.scheme == "serial" and parsed.path:
        baud = int(urllib.parse.parse_qs(parsed.query).get("baud", ["115200"])[0])
        device = parsed.path

        async def open_serial() -> StreamPair:
            import serial_asyncio_fast

            pair: StreamPair = await serial_asyncio_fast.open_serial_connection(url=device, baudrate=baud)
            return pair

        return open_serial
    raise ValueError(f"table '{url}': use sim, tcp://HOST:PORT or serial:///dev/ttyX[?baud=N]")
