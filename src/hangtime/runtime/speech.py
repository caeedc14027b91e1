"""Spoken cues through espeak-ng, killed at once on a stop; text and the terminal bell where it is missing."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Callable

from hangtime.core.session.commands import (
    Alarm,
    Chime,
    Command,
    Say,
    StopSpeech,
)
from hangtime.devices.tasks import cancel_and_wait


class Speaker:
    """A command sink: speaks `say` commands in order; `stop_speech` empties the queue and kills the voice."""

    def __init__(
        self, enabled: bool = True, show: Callable[[str], None] | None = None, bell: Callable[[], None] | None = None
    ):
        self.program = shutil.which("espeak-ng") if enabled else None
        self.enabled = enabled
        self.show = show or (lambda _text: None)
        self.bell = bell or (lambda: None)
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.process: asyncio.subprocess.Process | None = None
        self.task: asyncio.Task[None] | None = None

    @property
    def speaking_aloud(self) -> bool:
        return self.program is not None

    def start(self) -> None:
        if self.program is not None and self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._worker())

    async def close(self) -> None:
        self.stop()
        if self.task is not None:
            await cancel_and_wait(self.task)

    def stop(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    def handle(self, command: Command) -> None:
        match command:
            case StopSpeech():
                self.stop()
            case Say(text=text):
                self.show(text)
                if self.program is not None:
                    self.queue.put_nowait(text)
            case Chime() | Alarm() if self.enabled:
                self.bell()
                if isinstance(command, Alarm) and self.program is not None:
                    self.queue.put_nowait("Alarm. Please answer.")

    async def _worker(self) -> None:
        assert self.program is not None
        while True:
            text = await self.queue.get()
            try:
                self.process = await asyncio.create_subprocess_exec(
                    self.program,
                    "-s",
                    "150",
                    text,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                await self.process.wait()
            except OSError:
                self.program = None  # the voice failed: fall back to text and bell
                return
