"""The connection coordinator: the one place the front ends ask about connections.

A thin façade over the parts that do the work, each owning its own state and talking to the
others through their public methods (composed in ``core/runtime.py``):

- ``ConnectionTable`` (``core/connections.py``): the managed connections;
- ``Lifecycle`` (``core/lifecycle.py``) and ``StateMachine`` (``core/state_machine.py``): CRUD and
  the state machine (``models.next_state``; every transition persisted, audited and evented);
- ``ConnectionTests`` (``core/connection_tests.py``): tests, batches and key reads;
- ``HealthWatch`` (``core/health_watch.py``): outcomes, breakers, probes and health checks;
- ``Picker`` (``core/routing.py``), ``Requests`` (``core/requests.py``) and ``Watchdog``
  (``core/watchdog.py``): routing, retries, suspicion and hedged reads on the hot path;
- ``Publisher``, ``Views`` and ``SnapshotPusher`` (``core/publishing.py``): events and snapshots;
- ``SharedStore`` (``core/shared_store.py``): other processes' changes and the scheduler's lease;
- ``ConfigWatch`` (``core/config_watch.py``): reloading the configuration.

The persisted state is the lifecycle the user controls (disabled, testing, active, paused,
error). A breaker opening is not a state change: it is a transient health verdict, shown in the
views and in ``healthy``, and the connection leaves rotation until a probe succeeds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cts_tui.config import Config
from cts_tui.core.alerts import AlertEngine
from cts_tui.core.batch import BatchJob, TaskKind
from cts_tui.core.config_watch import ConfigWatch, warn_beyond_documented
from cts_tui.core.connection_tests import ConnectionTests
from cts_tui.core.connections import ConnectionTable
from cts_tui.core.events import Event
from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.key_hygiene import KeyHygiene
from cts_tui.core.key_policy import KeyAssessment
from cts_tui.core.lifecycle import Lifecycle
from cts_tui.core.live_config import LiveConfig
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.metrics import CoordinatorMetrics
from cts_tui.core.publishing import Publisher, SnapshotPusher, Views
from cts_tui.core.requests import Requests
from cts_tui.core.routing import Picker
from cts_tui.core.shared_store import SharedStore
from cts_tui.core.snapshots import ConnectionView, ExchangeView, SchedulerView, Snapshot, Totals
from cts_tui.core.state_machine import StateMachine
from cts_tui.core.streams import CoordinatorStreams
from cts_tui.core.tasks import Spawner
from cts_tui.core.watchdog import Watchdog
from cts_tui.errors import ExchangeError
from cts_tui.models import ApiType, BatchResult, Connection, ConnectionDraft, ConnectionPatch, ExchangeId, TestResult
from cts_tui.ratelimit.priority import Priority
from cts_tui.stopping import cancel_and_wait
from cts_tui.store.records import ProcessIdentity

if TYPE_CHECKING:
    from cts_tui.exchanges.hub import ExchangeHub
    from cts_tui.ratelimit.limiter import RateLimiter
    from cts_tui.store import ConnectionStore, Source

__all__ = ["ConnectionCoordinator", "CoordinatorParts"]


@dataclass(frozen=True, slots=True)
class CoordinatorParts:
    """Everything a coordinator is made of, built by ``core.runtime.build_coordinator``."""

    live: LiveConfig
    store: ConnectionStore
    limiter: RateLimiter
    hub: ExchangeHub
    me: ProcessIdentity
    spawner: Spawner
    table: ConnectionTable
    publisher: Publisher
    metrics: CoordinatorMetrics
    alerts: AlertEngine
    streams: CoordinatorStreams
    keys: KeyHygiene
    machine: StateMachine
    health: HealthWatch
    tests: ConnectionTests
    lifecycle: Lifecycle
    shared: SharedStore
    picker: Picker
    watchdog: Watchdog
    requests: Requests
    views: Views
    pusher: SnapshotPusher
    config_watch: ConfigWatch


class ConnectionCoordinator:
    """The façade the REST API, the TUI backend and ``ExchangeManager`` use; its methods hand
    each question to the part that owns the answer."""

    def __init__(self, parts: CoordinatorParts) -> None:
        self.parts = parts
        self.store = parts.store
        self.limiter = parts.limiter
        self.hub = parts.hub
        self.me = parts.me
        self.metrics = parts.metrics
        self.alerts = parts.alerts
        self.streams = parts.streams
        """The live market streams (``core/streams.py``); they run while ``streams.enabled``."""
        self.keys = parts.keys
        """Each key's facts and risks (``core/key_hygiene.py``, ``core/key_policy.py``)."""
        self._loops: list[asyncio.Task[None]] = []
        self._started = False

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the connections and what was last measured of them, follow the other
        processes' changes, start batches, streams, snapshots and the watchdog, then take the
        scheduler's lease if it is free."""
        parts = self.parts
        await parts.shared.load()
        await self.keys.load()
        parts.tests.batches.start()
        await self.streams.start(self.config.streams)
        self._loops.append(asyncio.create_task(parts.pusher.run(), name="cts-snapshots"))
        parts.watchdog.start()
        warn_beyond_documented(self.config)
        self._started = True
        await parts.shared.start_lease()
        parts.publisher.mark_dirty()

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        parts = self.parts
        await parts.config_watch.close()
        await cancel_and_wait(self._loops)
        self._loops.clear()
        await parts.watchdog.close()
        await parts.shared.close()
        await parts.tests.batches.close()
        await self.streams.close()
        await parts.spawner.close()
        await self.alerts.close()

    async def __aenter__(self) -> ConnectionCoordinator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- events and snapshots -----------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """``callback(event)`` runs on the coordinator's loop for every event; it must not block."""
        return self.parts.publisher.subscribe(callback)

    def snapshot(self) -> Snapshot:
        return self.parts.views.snapshot()

    def scheduler(self) -> SchedulerView:
        return self.parts.shared.scheduler()

    # --- queries ------------------------------------------------------------------------------

    def get_all_connections(self) -> list[ConnectionView]:
        return self.parts.views.all()

    def get_connection(self, connection_id: str) -> ConnectionView:
        return self.parts.views.view(self.parts.table.entry(connection_id))

    get_connection_health = get_connection

    def get_connections_by_exchange(self, exchange: ExchangeId | str) -> list[ConnectionView]:
        return self.parts.views.by_exchange(exchange)

    def get_connections_by_api_type(self, api_type: ApiType | str) -> list[ConnectionView]:
        return self.parts.views.by_api_type(api_type)

    def exchange_health(self, exchange: ExchangeId | str) -> ExchangeView:
        return self.parts.views.exchange_health(exchange)

    def api_type_health(self, api_type: ApiType | str) -> Totals:
        return self.parts.views.api_type_health(api_type)

    def key_audit(self) -> list[KeyAssessment]:
        """Every connection's key risks, judged now (by name)."""
        self.keys.changed()
        return sorted(self.keys.assessments().values(), key=lambda a: (a.name, a.connection_id))

    async def read_keys(self, ids: Iterable[str] | None = None) -> dict[str, str | None]:
        return await self.parts.tests.read_keys(ids)

    def connection_model(self, connection_id: str) -> Connection:
        """The stored model (secrets inside ``SecretStr``): for the clients and the edit form."""
        return self.parts.table.entry(connection_id).connection

    @property
    def config(self) -> Config:
        return self.parts.live.current

    @property
    def strategy(self) -> str:
        return self.parts.picker.strategy

    def set_strategy(self, name: str) -> None:
        self.parts.picker.set_strategy(name)
        self.parts.publisher.mark_dirty()

    # --- mutations ----------------------------------------------------------------------------

    async def add_connection(self, draft: ConnectionDraft, source: Source) -> ConnectionView:
        return self.parts.views.view(await self.parts.lifecycle.add(draft, source))

    async def update_connection(self, connection_id: str, patch: ConnectionPatch, source: Source) -> ConnectionView:
        return self.parts.views.view(await self.parts.lifecycle.update(connection_id, patch, source))

    async def delete_connection(self, connection_id: str, source: Source) -> None:
        await self.parts.lifecycle.delete(connection_id, source)

    async def enable(self, connection_id: str, source: Source) -> ConnectionView:
        return self.parts.views.view(await self.parts.lifecycle.enable(connection_id, source))

    async def disable(self, connection_id: str, source: Source) -> ConnectionView:
        return self.parts.views.view(await self.parts.lifecycle.disable(connection_id, source))

    async def pause(self, connection_id: str, source: Source) -> ConnectionView:
        return self.parts.views.view(await self.parts.lifecycle.pause(connection_id, source))

    async def resume(self, connection_id: str, source: Source) -> ConnectionView:
        return self.parts.views.view(await self.parts.lifecycle.resume(connection_id, source))

    # --- tests and batches --------------------------------------------------------------------

    async def test_connection(self, connection_id: str, source: Source = "system") -> TestResult:
        return await self.parts.tests.test_connection(connection_id, source)

    async def test_draft(self, draft: ConnectionDraft) -> TestResult:
        return await self.parts.tests.test_draft(draft)

    def start_batch(
        self, ids: Iterable[str], kind: TaskKind = "test", priority: Priority = Priority.LOW
    ) -> BatchJob:
        return self.parts.tests.start_batch(ids, kind, priority)

    async def test_connections(self, ids: Iterable[str]) -> BatchResult:
        """Test many connections (the specification's batch test); ``.wire()`` is its shape."""
        return await self.start_batch(ids).result()

    async def get_batch(self, batch_id: str) -> BatchResult | None:
        return await self.store.get_batch(batch_id)

    async def purge_expired(self) -> int:
        return await self.store.purge_expired()

    async def run_health_checks(self, ids: Iterable[str] | None = None) -> dict[str, bool]:
        return await self.parts.health.run_health_checks(ids)

    # --- requests -----------------------------------------------------------------------------

    def choose(
        self,
        method: str,
        exchange_id: str | None = None,
        excluded: frozenset[str] | set[str] = frozenset(),
        excluded_exchanges: frozenset[ExchangeId] | set[ExchangeId] = frozenset(),
        priority: int = Priority.NORMAL,
    ) -> ManagedConnection | None:
        return self.parts.picker.choose(method, exchange_id, excluded, excluded_exchanges, priority)

    def execute_request(
        self,
        method: str,
        *args: Any,
        exchange_id: str | None = None,
        priority: Priority = Priority.NORMAL,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, Any]:
        """Run a ccxt unified method on a chosen connection (``core/requests.py``); awaited
        like any coroutine. Handed over as ``Requests.execute_request``'s own coroutine, not
        awaited inside another: every request takes this path (docs/CONTRACTS.md)."""
        return self.parts.requests.execute_request(method, *args, exchange_id=exchange_id, priority=priority, **kwargs)

    def record_outcome(self, entry: ManagedConnection, elapsed_s: float, error: ExchangeError | None = None) -> None:
        self.parts.requests.record_outcome(entry, elapsed_s, error)

    def lease(self, exchange_id: str | None = None, method: str = "fetch_ticker") -> ManagedConnection:
        return self.parts.requests.lease(exchange_id, method)

    def release(self, entry: ManagedConnection) -> None:
        self.parts.requests.release(entry)

    # --- configuration ------------------------------------------------------------------------

    async def reload_config(self, new: Config | Path | str, source: str = "call") -> Config:
        """Apply a new configuration while running (``core/config_watch.py``)."""
        return await self.parts.config_watch.reload(new, source)

    def watch_config(self, path: Path | str) -> None:
        """Reload ``path`` when it changes and on SIGHUP."""
        self.parts.config_watch.watch(path)
