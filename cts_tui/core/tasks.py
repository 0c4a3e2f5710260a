"""Stopping background tasks so that shutdown cannot hang.

Python 3.11's ``asyncio.wait_for`` loses a cancellation that lands just as the awaited event
fires (fixed in 3.12): a loop built on it then carries on, and a plain ``task.cancel(); await
task`` waits for it forever on an idle event loop. Cancelling again until the task has ended
makes every stop finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Iterable
from typing import Any

from cts_tui.errors import scrub

log = logging.getLogger(__name__)

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


class Spawner:
    """The coordinator's fire-and-forget tasks (a probe, a rejected key's move to error, a
    hedge), kept so that closing ends them all and a failure is logged rather than lost."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("coordinator task failed: %s", scrub(repr(task.exception())))

    async def close(self) -> None:
        await cancel_and_wait(self._tasks)
