"""The coordinator's fire-and-forget tasks, ended by ``cancel_and_wait`` (``cts_tui/stopping.py``)
so that shutdown cannot hang."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from cts_tui.errors import scrub
from cts_tui.stopping import cancel_and_wait

log = logging.getLogger(__name__)

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
