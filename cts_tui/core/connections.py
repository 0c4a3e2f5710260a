"""The connections the coordinator manages, and who must hear when they change.

One table, one owner of the ``ManagedConnection`` objects: the other parts look connections up
through it (a read-only ``Mapping`` by id, plus a few questions they all ask) and never keep
tables of their own. Two signals say what changed, so that the parts that cache a verdict
drop it without the table knowing them:

- ``routing_changed``: something that decides where requests may go (a connection's stored
  model or breaker, an error streak crossing the threshold, the set of connections);
- ``lineup_changed``: which connections exist or the state they are in (health checks due).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from cts_tui.core.live_config import LiveConfig
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.stats import ConnectionStats, LatencyStats
from cts_tui.errors import NotFoundError
from cts_tui.models import Connection, ConnectionState, ExchangeId


class Signal:
    """Listeners told that something changed; they look again themselves (no arguments)."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[], None]] = []

    def connect(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def emit(self) -> None:
        for listener in self._listeners:
            listener()


class ConnectionTable(Mapping[str, ManagedConnection]):
    def __init__(self, live: LiveConfig) -> None:
        self._live = live
        self._entries: dict[str, ManagedConnection] = {}
        self._latency: dict[ExchangeId, LatencyStats] = {}
        """Each exchange's latency samples, fed by its connections (percentiles for hedging,
        suspicion and the exchange views)."""
        self.routing_changed = Signal()
        self.lineup_changed = Signal()

    # Mapping, with the lookups every request makes kept to the dict's own.
    def __getitem__(self, connection_id: str) -> ManagedConnection:
        return self._entries[connection_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, connection_id: object) -> bool:
        return connection_id in self._entries

    def get(self, connection_id: str, default: ManagedConnection | None = None) -> ManagedConnection | None:  # type: ignore[override]
        return self._entries.get(connection_id, default)

    def entry(self, connection_id: str) -> ManagedConnection:
        """The connection, or ``NotFoundError`` in the words a user reads."""
        try:
            return self._entries[connection_id]
        except KeyError:
            raise NotFoundError(f"no connection with id {connection_id}") from None

    def manage(self, connection: Connection) -> ManagedConnection:
        latency = self._latency.get(connection.exchange)
        if latency is None:
            latency = self._latency[connection.exchange] = LatencyStats()
        entry = self._entries[connection.id] = ManagedConnection(
            connection, self._live.current, exchange_latency=latency, on_change=self.routing_changed.emit
        )
        self.routing_changed.emit()
        return entry

    def remove(self, entry: ManagedConnection) -> bool:
        """Only this entry: one made anew for the same id meanwhile (keys entered again while
        this one was being left out) stays. False when it was not here."""
        if self._entries.get(entry.id) is not entry:
            return False
        del self._entries[entry.id]
        self.routing_changed.emit()
        return True

    def reconfigure(self) -> None:
        for entry in self._entries.values():
            entry.reconfigure(self._live.current)
        self.routing_changed.emit()

    def exchange_latency(self, exchange: ExchangeId) -> LatencyStats | None:
        return self._latency.get(exchange)

    def of_exchange(self, exchange: ExchangeId) -> Iterator[ManagedConnection]:
        return (e for e in self._entries.values() if e.exchange is exchange)

    def active_peers(self, exchange: ExchangeId) -> list[ManagedConnection]:
        """The exchange's active connections: the ones whose breakers share its ejection cap."""
        return [e for e in self._entries.values() if e.exchange is exchange and e.state is ConnectionState.ACTIVE]

    def series(self) -> Iterator[tuple[str, str, ConnectionStats]]:
        """(exchange, id, statistics) of every connection: the metrics' per-request series."""
        return ((e.exchange.value, e.id, e.stats) for e in self._entries.values())
