"""Moving a connection through its states (``models.next_state``), with the store as the truth.

Every move is persisted (the store refuses it when another process moved the connection first:
then its state stands), evented (``StateChanged``) and told to the connection table's
``lineup_changed`` (health checks follow the states). Lifecycle edits, tests, health checks and
the change feed all move states through here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cts_tui.core.events import StateChanged
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.services import Services
from cts_tui.models import Connection, ConnectionState, Transition, next_state

if TYPE_CHECKING:
    from cts_tui.store import Source


class StateMachine:
    def __init__(self, services: Services) -> None:
        self._store, self._table, self._publisher = services.store, services.table, services.publisher

    async def transition(self, entry: ManagedConnection, transition: Transition, source: Source, reason: str) -> None:
        """Persist ``transition`` unless another process moved the connection first: then its
        state stands (the store is the truth) and is what the views show."""
        old = entry.state
        new = next_state(old, transition)
        stored = await self._store.set_state(entry.id, new, source=source, expected=old)
        if stored.state is not new:
            reason = f"{stored.state.value}: changed by another process"
        self.settled(entry, stored, old, reason)

    def settled(self, entry: ManagedConnection, stored: Connection, old: ConnectionState, reason: str) -> None:
        """The stored connection after a write (ours, or another process's): kept, and told if
        its state moved."""
        entry.connection = stored
        self._table.lineup_changed.emit()
        if stored.state is not old:
            self._publisher.publish(StateChanged(entry.id, old, stored.state, reason))
        self._publisher.mark_dirty()
