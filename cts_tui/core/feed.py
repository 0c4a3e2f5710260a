"""Watching a store for what other processes change in it.

Each poll asks SQLite one question that reads no table (``PRAGMA data_version``, which moves
only when another connection commits); only then does it read the change feed after the last
sequence number seen. The next poll is scheduled when the last one ends, so a slow disk never
stacks polls. What changed is handed over grouped by connection (several edits of one
connection within a poll are applied once); ``None`` means "read everything again" (the feed
was pruned past us, or more changed than one read takes).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from cts_tui.errors import CtsError
from cts_tui.store import ConnectionStore
from cts_tui.store.records import ChangeKind

log = logging.getLogger(__name__)

READ_LIMIT = 2000
"""Changes read per poll; beyond it a full reload is cheaper than replaying them."""

Changed = dict[str, set[ChangeKind]]
Apply = Callable[[Changed | None], Awaitable[None]]


class ChangeFeed:
    def __init__(self, store: ConnectionStore, apply: Apply, interval_s: Callable[[], float]) -> None:
        self._store = store
        self._apply = apply
        self._interval_s = interval_s
        self._seen = 0
        self._version: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Remember where the feed stands before the caller loads the store, so that nothing
        committed in between is missed (it may be applied twice, which is harmless)."""
        self._seen = await self._store.last_change()
        self._version = await self._store.data_version()
        self._task = asyncio.create_task(self._run(), name="cts-change-feed")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s())
            try:
                await self.poll()
            except (CtsError, sqlite3.Error) as exc:  # a locked or vanished store: say so, keep watching
                log.warning("reading other processes' changes failed: %s", getattr(exc, "message", exc))

    async def poll(self) -> None:
        version = await self._store.data_version()
        if version == self._version:
            return
        self._version = version
        changes = await self._store.changes_since(self._seen, READ_LIMIT)
        if not changes:
            return
        pruned_past_us = changes[0].seq > self._seen + 1  # sequence numbers have no other gaps
        self._seen = changes[-1].seq
        if pruned_past_us or len(changes) == READ_LIMIT:
            await self._apply(None)
            return
        changed: Changed = {}
        for change in changes:
            changed.setdefault(change.connection_id, set()).add(change.kind)
        await self._apply(changed)
