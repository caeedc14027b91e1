"""Stopping a background task for certain.

Python 3.11's `asyncio.wait_for` can swallow a cancellation that arrives just as the awaited reply does, so one
`task.cancel()` may be lost and a loop that uses it runs on: `await task` would then wait for ever (a hung test run
on the fault matrix was this). Cancel again until the task is done, for a bounded time."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


async def cancel_and_wait(task: asyncio.Task[Any] | asyncio.Future[Any], within_s: float = 2.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not task.done() and loop.time() < deadline:
        task.cancel()
        await asyncio.wait({task}, timeout=0.1)
    if task.done() and not task.cancelled():
        with contextlib.suppress(Exception):
            task.result()  # retrieved, so asyncio does not log it as never retrieved
