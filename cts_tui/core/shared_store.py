"""Living with the other processes on one store: their changes, the scheduler's lease, and the
duties its holder runs.

Other processes' changes arrive through the change feed (``core/feed.py``): connections added,
edited or moved (the cached client dropped when keys, host, API type or testnet changed),
removed, test results, balances, key facts and their health checks (into the statistics shown,
not into this process's breakers). One process per store holds the scheduler's lease
(``core/lease.py``) and runs the scheduled health checks, the upkeep of the store and the
recovery of tests nobody will finish.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from cts_tui.core.connection_tests import ConnectionTests
from cts_tui.core.events import ConnectionsChanged, StoreProblem
from cts_tui.core.feed import ChangeFeed, Changed
from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.key_hygiene import KeyHygiene
from cts_tui.core.lease import SchedulerLease
from cts_tui.core.lifecycle import Lifecycle
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.services import Services
from cts_tui.core.snapshots import SchedulerView
from cts_tui.core.state_machine import StateMachine
from cts_tui.errors import CtsError, NotFoundError, StoreError
from cts_tui.models import Connection, ConnectionState, TestResult
from cts_tui.stopping import cancel_and_wait
from cts_tui.store.records import ChangeKind

log = logging.getLogger(__name__)
_S = ConnectionState

CHANGES_KEPT = 10_000
"""The change feed keeps this many rows (over a quarter of an hour at ten changes a second); a
process further behind reads the whole store again."""
BATCH_PURGE_EVERY_S = 1800.0
_CLIENT_FIELDS = ("api_key", "api_secret", "api_passphrase", "base_url", "api_type", "is_testnet")
"""A change to any of these makes the cached exchange client wrong."""


class SharedStore:
    """``scheduled=False`` (a short CLI run) never takes the scheduler's lease."""

    def __init__(
        self,
        services: Services,
        machine: StateMachine,
        health: HealthWatch,
        tests: ConnectionTests,
        lifecycle: Lifecycle,
        keys: KeyHygiene,
        *,
        scheduled: bool,
    ) -> None:
        live, store, me = services.live, services.store, services.me
        self._live, self._table, self._publisher = live, services.table, services.publisher
        self._hub, self._store, self._me, self._spawner = services.hub, store, me, services.spawner
        self._machine, self._health, self._tests, self._lifecycle, self._keys = machine, health, tests, lifecycle, keys
        self.feed = ChangeFeed(store, self._apply_changes, lambda: live.current.store.watch_interval_s)
        self.lease = (
            SchedulerLease(store, me, lambda: live.current.store.lease_ttl_s, self._lease_changed)
            if scheduled
            else None
        )
        self._duties: asyncio.Task[None] | None = None
        self._reloading: set[str] = set()
        self._told_rekeyed = False
        self._leasing = False

    async def load(self) -> None:
        """Follow the feed, then read the store: nothing committed meanwhile is lost."""
        await self.feed.start()
        for connection in await self._store.list():
            self._table.manage(connection)
        await self._load_observations()

    async def start_lease(self) -> None:
        self._leasing = True
        if self.lease is not None:
            await self.lease.start()

    async def close(self) -> None:
        self._leasing = False
        await self.feed.close()
        await self._stop_duties()
        if self.lease is not None:
            await self.lease.close()

    # --- the scheduler's lease ----------------------------------------------------------------

    def scheduler(self) -> SchedulerView:
        current = self.lease.current if self.lease is not None else None
        if current is None:
            return SchedulerView(here=False, holder=None)
        return SchedulerView(here=current.holder.token == self._me.token, holder=current.describe())

    def _lease_changed(self, held: bool) -> None:
        log.info("scheduled checks %s", "run here" if held else "run elsewhere")
        if held and self._leasing:
            self._health.start_schedule()
            self._duties = asyncio.create_task(self._run_duties(), name="cts-duties")
        elif not held:
            self._spawner.spawn(self._stop_duties())
        self._publisher.mark_dirty()

    async def _stop_duties(self) -> None:
        await self._health.stop_schedule()
        if self._duties is not None:
            await cancel_and_wait([self._duties])
            self._duties = None

    async def _run_duties(self) -> None:
        """What the lease holder does besides the health checks: finish what dead processes
        left (tests nobody will end), keep the change feed short, drop expired batch results."""
        purged_at = 0.0
        while True:
            try:
                await self._recover_tests()
                await self._store.prune_changes(CHANGES_KEPT)
                if time.monotonic() - purged_at > min(BATCH_PURGE_EVERY_S, self._live.current.batch.result_ttl_s / 2):
                    await self._store.purge_expired()
                    purged_at = time.monotonic()
            except CtsError as exc:
                log.warning("store upkeep failed: %s", exc.message)
            await asyncio.sleep(self._live.current.store.lease_ttl_s / 3)

    async def _recover_tests(self) -> None:
        """A test whose tester died or overran every timeout puts back the state it came from,
        recorded as an interrupted attempt; one that never had a tester (added by ``conn add``,
        or stored mid-test by a version without claims) is tested here."""
        now = time.time()
        for connection, claim in await self._store.test_claims():
            entry = self._table.get(connection.id)
            if entry is None or entry.lock.locked():
                continue  # unknown yet, or being tested here right now
            if claim is None:  # at worst tested twice, if its adder was about to test it
                self._spawner.spawn(self._test_if_still_here(connection.id))
                continue
            if not claim.abandoned(now):
                continue
            previous = ConnectionState(claim.previous_state)
            result = TestResult(
                connection_id=connection.id,
                success=False,
                error=f"interrupted: {claim.tester.host} pid {claim.tester.pid} stopped before the test ended",
                duration_ms=int((now - claim.started_at) * 1000),
            )
            async with entry.lock:
                target = None if previous is _S.TESTING else previous
                stored = await self._store.finish_test(result, target, "system", tester=claim.tester.token)
                entry.record_test(result)
                self._machine.settled(entry, stored, entry.state, f"test interrupted; back to {stored.state.value}")
            if previous is _S.TESTING:
                self._spawner.spawn(self._test_if_still_here(connection.id))

    async def _test_if_still_here(self, connection_id: str) -> None:
        """A test this process starts on its own. The connection may have been deleted, or its
        row may have stopped decrypting, since it was listed: then it is left out (read again
        under its lock, as the change feed reads it), not reported as a failed task; any other
        store failure leaves the test to the next round."""
        try:
            await self._tests.test_connection(connection_id, source="system")
        except NotFoundError:
            return
        except StoreError as exc:
            entry = self._table.get(connection_id)
            if entry is not None:
                await self._reload_locked(entry)
            if self._table.get(connection_id) is entry is not None:
                log.warning("test of %s not started: %s", connection_id, exc.message)

    # --- other processes' changes -------------------------------------------------------------

    async def _load_observations(self) -> None:
        """What was last measured of each connection, by whichever process measured it."""
        table = self._table
        for connection_id, result in (await self._store.latest_tests()).items():
            if (entry := table.get(connection_id)) is not None:
                entry.record_test(result)
        for connection_id, total in (await self._store.balances()).items():
            if (entry := table.get(connection_id)) is not None and total is not None:
                entry.balance = total
        for check in await self._store.checks():
            if (entry := table.get(check.connection_id)) is not None:
                self._health.observe_check(entry, check)

    async def _apply_changes(self, changed: Changed | None) -> None:
        """Bring this process up to what others committed (``None``: everything)."""
        table, store = self._table, self._store
        if changed is None:
            everything = set(ChangeKind) - {ChangeKind.REMOVED}
            ids = {c.id for c in await store.list()} | set(table)
            changed = {cid: set(everything) for cid in ids}
        for connection_id, kinds in changed.items():
            if kinds & {ChangeKind.CONNECTION, ChangeKind.REMOVED}:
                await self._reload(connection_id)
            entry = table.get(connection_id)
            if entry is None:
                self._keys.forget(connection_id)
                continue
            if ChangeKind.KEY in kinds:
                await self._keys.reload(connection_id)
            if ChangeKind.TEST in kinds and (latest := await store.latest_tests(connection_id)):
                entry.record_test(latest[connection_id])
            if ChangeKind.BALANCE in kinds:
                entry.balance = (await store.balances(connection_id)).get(connection_id, entry.balance)
            if ChangeKind.CHECK in kinds:
                for check in await store.checks(connection_id):
                    if check.origin != self._me.token:
                        self._health.observe_check(entry, check)
        if self.lease is not None and self.lease.held and any(
            (entry := table.get(cid)) is not None and entry.state is _S.TESTING for cid in changed
        ):  # enabled or added elsewhere by a process that will not test it (``conn enable``)
            self._spawner.spawn(self._recover_tests())
        self._publisher.mark_dirty()

    async def _reload(self, connection_id: str) -> None:
        entry = self._table.get(connection_id)
        if entry is None:
            stored = await self._stored(connection_id, None)
            if stored is not None and connection_id not in self._table:  # not added here meanwhile
                self._lifecycle.adopt(stored)
            return
        if entry.lock.locked():  # being changed here now: read it once that is done
            if connection_id not in self._reloading:
                self._reloading.add(connection_id)
                self._spawner.spawn(self._reload_when_free(entry))
            return
        await self._reload_locked(entry)

    async def _stored(self, connection_id: str, entry: ManagedConnection | None) -> Connection | None:
        """The stored row of a connection another process changed; None when it is gone (then
        forgotten here) or does not decrypt (``_undecryptable``)."""
        try:
            return await self._store.get(connection_id)
        except NotFoundError:
            if entry is not None:
                await self._lifecycle.forget(entry)
        except StoreError as exc:
            await self._undecryptable(entry, connection_id, exc)
        return None

    async def _undecryptable(self, entry: ManagedConnection | None, connection_id: str, exc: StoreError) -> None:
        """A row whose keys do not decrypt here. One damaged row is left out (``conn list``
        shows it as unreadable). When another process rotated the master key, every row reads
        so: the connections stay as they were and the user is told, once, to restart."""
        if await self._store.rekeyed_elsewhere():
            if not self._told_rekeyed:
                self._told_rekeyed = True
                message = f"the master key of store {self._store.path} was rotated by another process; restart to use it"
                log.warning("%s", message)
                self._publisher.publish(StoreProblem(message))
            return
        log.warning("connection %s left out: %s", connection_id, exc.message)
        if entry is not None:
            await self._lifecycle.forget(entry)

    async def _reload_when_free(self, entry: ManagedConnection) -> None:
        try:
            await self._reload_locked(entry)
        finally:
            self._reloading.discard(entry.id)

    async def _reload_locked(self, entry: ManagedConnection) -> None:
        """Read under the entry's lock, so that no write of ours lands between the read and
        its use (the older row would win)."""
        async with entry.lock:
            if entry.id not in self._table or (stored := await self._stored(entry.id, entry)) is None:
                return
            before = entry.connection
            if stored == before:
                return
            if any(getattr(stored, f) != getattr(before, f) for f in _CLIENT_FIELDS):
                await self._hub.drop(entry.id)
            self._machine.settled(entry, stored, before.state, "changed by another process")
            entry.reconfigure(self._live.current)
            if stored.state is _S.DISABLED:
                self._health.reset_breaker(entry)
            self._publisher.publish(ConnectionsChanged(updated=(entry.id,)))
