"""Stopping background tasks so that shutdown cannot hang.

Python 3.11's ``asyncio.wait_for`` loses a cancellation that lands just as the awaited future
completes (CPython gh-86296, fixed in 3.12): a loop built on it then carries on, and a plain
``task.cancel(); await task`` waits for it forever on an idle event loop. redis-py sends every
command through it, so a loop that talks to Redis is exposed as well as one that waits on an
event with a timeout. Cancelling again until the task has ended makes every stop finish.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

RECANCEL_AFTER_S = 0.5


async def cancel_and_wait(tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel ``tasks`` and return once every one has ended, whatever they raised."""
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=RECANCEL_AFTER_S)
    for task in tasks:  # retrieve outcomes: nothing is reported as "never retrieved"
        if not task.cancelled():
            task.exception()


async def wait_set(event: asyncio.Event, timeout_s: float | None) -> bool:
    """Until ``event`` is set, at most ``timeout_s`` (None: no limit); whether it was. For loops stopped by
    cancellation: unlike ``asyncio.wait_for`` on Python 3.11, ``asyncio.timeout`` never turns a
    cancellation that lands as the event is set into a normal return."""
    try:
        async with asyncio.timeout(timeout_s):
            await event.wait()
    except TimeoutError:
        return False
    return True
