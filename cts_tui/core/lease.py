"""One process per store runs the scheduled duties (health checks, purges, recovery of tests
nobody will finish), so that two TUIs and a ``serve`` on one store do not triple the exchange
traffic and the rate-limit use.

The lease is a row with an expiry, renewed every third of its lifetime. A holder that dies
stops renewing; another process takes over once the row expires, or at once when the holder
ran on the same host and its pid is gone. Every process knows who holds it, to say so.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable

from cts_tui.errors import CtsError
from cts_tui.store import ConnectionStore
from cts_tui.store.records import Lease, ProcessIdentity

log = logging.getLogger(__name__)

SCHEDULER = "scheduler"


class SchedulerLease:
    """``on_change(held)`` runs whenever this process gains or loses the lease."""

    def __init__(
        self,
        store: ConnectionStore,
        me: ProcessIdentity,
        ttl_s: Callable[[], float],
        on_change: Callable[[bool], None],
    ) -> None:
        self._store = store
        self.me = me
        self._ttl_s = ttl_s
        self._on_change = on_change
        self.current: Lease | None = None
        """Who held the lease when last asked (None before the first answer)."""
        self._task: asyncio.Task[None] | None = None

    @property
    def held(self) -> bool:
        return self.current is not None and self.current.holder.token == self.me.token

    async def start(self) -> None:
        await self.renew()
        self._task = asyncio.create_task(self._run(), name="cts-scheduler-lease")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self.held:
            try:
                await self._store.release_lease(SCHEDULER, self.me)
            except CtsError as exc:
                log.warning("releasing the scheduler lease failed: %s", exc.message)
            self.current = None
            self._on_change(False)

    async def renew(self) -> None:
        was = self.held
        try:
            self.current = await self._store.claim_lease(SCHEDULER, self.me, self._ttl_s())
        except (CtsError, sqlite3.Error) as exc:  # cannot tell: stop scheduling rather than risk doubling it
            log.warning("the scheduler lease could not be renewed: %s", getattr(exc, "message", exc))
            self.current = None
        if self.held != was:
            self._on_change(self.held)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._ttl_s() / 3)
            await self.renew()
