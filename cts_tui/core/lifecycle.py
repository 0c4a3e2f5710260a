"""The lifecycle the user controls: adding, editing, deleting, enabling, disabling, pausing and
resuming connections.

Each change is persisted, audited with its ``source`` ("cli" | "tui" | "api" | "system") and
evented; illegal moves raise ``InvalidTransition`` (``models.next_state``). A change that makes
the keys worth testing (a new enabled connection, new keys, another host, API type or network)
sends the connection through a test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cts_tui.core.connection_tests import ConnectionTests
from cts_tui.core.events import ConnectionsChanged, StateChanged
from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.key_hygiene import KeyHygiene
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.metrics import CoordinatorMetrics
from cts_tui.core.services import Services
from cts_tui.core.state_machine import StateMachine
from cts_tui.exchanges.hosts import check_keys_follow
from cts_tui.models import Connection, ConnectionDraft, ConnectionPatch, ConnectionState, Transition

if TYPE_CHECKING:
    from cts_tui.store import Source

_S, _T = ConnectionState, Transition
_RETESTED_FIELDS = frozenset({"base_url", "api_type", "is_testnet"})
"""Besides new keys: an edit of these sends a working connection back through a test."""


class Lifecycle:
    def __init__(
        self,
        services: Services,
        machine: StateMachine,
        health: HealthWatch,
        tests: ConnectionTests,
        keys: KeyHygiene,
        metrics: CoordinatorMetrics,
    ) -> None:
        self._live, self._table, self._publisher = services.live, services.table, services.publisher
        self._hub, self._store = services.hub, services.store
        self._machine, self._health, self._tests, self._keys, self._metrics = machine, health, tests, keys, metrics

    async def add(self, draft: ConnectionDraft, source: Source) -> ManagedConnection:
        """Store a new connection; an enabled one is tested at once (testing -> active | error)."""
        return await self._adopt_written(await self._store.add(Connection.from_draft(draft), source=source), source)

    async def _adopt_written(self, stored: Connection, source: Source) -> ManagedConnection:
        """Manage a connection just written to the store; an enabled one is tested at once."""
        entry = self.adopt(stored)
        if stored.state in (_S.TESTING, _S.ACTIVE, _S.ERROR):
            await self._tests.test_connection(stored.id, source=source)
        return entry

    def adopt(self, stored: Connection) -> ManagedConnection:
        """A stored connection new to this process (added here or by another process)."""
        entry = self._table.manage(stored)
        self._publisher.publish(ConnectionsChanged(added=(stored.id,)))
        self._table.lineup_changed.emit()
        self._publisher.mark_dirty()
        return entry

    async def update(self, connection_id: str, patch: ConnectionPatch, source: Source) -> ManagedConnection:
        """Apply an edit. New keys, host, API type or testnet flag drop the cached client and
        send a working connection back through a test. A stored connection whose keys do not
        decrypt (not managed here) takes an edit that enters them again, and is managed from
        then on."""
        entry = self._table.get(connection_id)
        if entry is None:
            return await self._rekey_unreadable(connection_id, patch, source)
        retest = patch.rotates_keys or bool(_RETESTED_FIELDS & patch.model_fields_set)
        async with entry.lock:
            if self._table.get(connection_id) is not entry:  # left out while this waited
                return await self._rekey_unreadable(connection_id, patch, source)
            # another host: the secrets come again, unless the config allows that host
            check_keys_follow(entry.connection, patch, self._live.current.limits(entry.exchange).allowed_hosts)
            before = entry.state
            stored = await self._store.update(connection_id, patch, source=source)
            entry.connection = stored
            entry.reconfigure(self._live.current)
            if retest:
                await self._hub.drop(connection_id)
            if stored.state is not before:
                self._publisher.publish(StateChanged(connection_id, before, stored.state, "edited"))
            if stored.state is _S.DISABLED:
                self._health.reset_breaker(entry)
        self._publisher.publish(ConnectionsChanged(updated=(connection_id,)))
        self._table.lineup_changed.emit()
        self._keys.changed()  # its use, name or key: its risks and the "stored twice" of others
        if stored.state is _S.TESTING or (retest and stored.state in (_S.ACTIVE, _S.ERROR)):
            await self._tests.test_connection(connection_id, source=source)
        return entry

    async def _rekey_unreadable(self, connection_id: str, patch: ConnectionPatch, source: Source) -> ManagedConnection:
        stored = await self._store.update(connection_id, patch, source=source)  # NotFound / unreadable
        entry = self._table.get(connection_id)
        if entry is not None:  # the change feed adopted it meanwhile
            return entry
        return await self._adopt_written(stored, source)

    async def delete(self, connection_id: str, source: Source) -> None:
        entry = self._table.get(connection_id)
        if entry is None:  # unreadable rows are removed all the same
            await self._store.delete(connection_id, source=source)
            return
        async with entry.lock:
            await self._store.delete(connection_id, source=source)
            await self.forget(entry)

    async def forget(self, entry: ManagedConnection) -> None:
        """A connection deleted (here or by another process): out of every table, its client
        closed."""
        if not self._table.remove(entry):
            return
        self._health.reset_breaker(entry)
        await self._hub.drop(entry.id)
        self._metrics.forget(entry.exchange.value, entry.id)
        self._publisher.publish(ConnectionsChanged(removed=(entry.id,)))
        self._table.lineup_changed.emit()
        self._publisher.mark_dirty()

    async def enable(self, connection_id: str, source: Source) -> ManagedConnection:
        """disabled -> testing, then the test decides: active or error."""
        entry = await self._move(connection_id, _T.ENABLE, source, "enabled")
        await self._tests.test_connection(connection_id, source=source)
        return entry

    async def disable(self, connection_id: str, source: Source) -> ManagedConnection:
        return await self._move(connection_id, _T.DISABLE, source, "disabled")

    async def pause(self, connection_id: str, source: Source) -> ManagedConnection:
        return await self._move(connection_id, _T.PAUSE, source, "paused")

    async def resume(self, connection_id: str, source: Source) -> ManagedConnection:
        return await self._move(connection_id, _T.RESUME, source, "resumed")

    async def _move(self, connection_id: str, transition: Transition, source: Source, reason: str) -> ManagedConnection:
        entry = self._table.entry(connection_id)
        async with entry.lock:
            await self._machine.transition(entry, transition, source, reason)
            if transition is _T.DISABLE:
                self._health.reset_breaker(entry)
        return entry
