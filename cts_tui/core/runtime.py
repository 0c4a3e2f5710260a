"""Everything the front ends need, built in order and torn down in reverse.

The CLI (``conn test``), the TUI and ``serve`` all run the same stack: store -> rate limiter ->
exchange hub -> coordinator. Building it in one place keeps the order of shutdown right (no
client outlives its limiter, no coordinator task outlives the store it writes to), and it is the
only place that composes the coordinator's parts (``build_coordinator``): each part gets the
others it talks to, through their public methods, in an order with no cycles.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cts_tui.config import Config
from cts_tui.core.alerts import AlertEngine
from cts_tui.core.config_watch import ConfigWatch
from cts_tui.core.connection_tests import ConnectionTests
from cts_tui.core.connections import ConnectionTable
from cts_tui.core.coordinator import ConnectionCoordinator, CoordinatorParts
from cts_tui.core.health_watch import HealthWatch
from cts_tui.core.key_hygiene import KeyHygiene
from cts_tui.core.lifecycle import Lifecycle
from cts_tui.core.live_config import LiveConfig
from cts_tui.core.metrics import CoordinatorMetrics
from cts_tui.core.pool_metrics import PoolCollector
from cts_tui.core.publishing import Publisher, SnapshotPusher, Views
from cts_tui.core.requests import Requests
from cts_tui.core.routing import Picker
from cts_tui.core.services import Services
from cts_tui.core.shared_store import SharedStore
from cts_tui.core.state_machine import StateMachine
from cts_tui.core.streams import CoordinatorStreams
from cts_tui.core.tasks import Spawner
from cts_tui.core.watchdog import Watchdog
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.ratelimit.limiter import RateLimiter
from cts_tui.stopping import cancel_and_wait
from cts_tui.store.records import ProcessIdentity
from cts_tui.store import ConnectionStore, MasterKey
from cts_tui.store.env_connections import env_connection_ids, with_env_connections


@dataclass(frozen=True, slots=True)
class Runtime:
    store: ConnectionStore
    limiter: RateLimiter
    hub: ExchangeHub
    coordinator: ConnectionCoordinator
    env_tests: asyncio.Future[Any] | None = None
    """The first test of the connections the config and the environment give (they are due
    for one, like a connection just added); None when there are none, or the run is unscheduled."""

    @property
    def config(self) -> Config:
        """The configuration in force now (it changes on reload)."""
        return self.coordinator.config


def build_coordinator(
    config: Config,
    store: ConnectionStore,
    limiter: RateLimiter,
    hub: ExchangeHub,
    *,
    kind: str = "library",
    scheduled: bool = True,
) -> ConnectionCoordinator:
    """The coordinator over a started ``store``, ``limiter`` and ``hub`` (its owner closes
    them after it). ``kind`` names this process to the others on the store (tui, serve, cli,
    library); ``scheduled=False`` (a short CLI run) never takes the scheduled checks' lease."""
    live = LiveConfig(config)
    me = ProcessIdentity.current(kind)
    spawner = Spawner()
    table = ConnectionTable(live)
    publisher = Publisher()
    metrics = CoordinatorMetrics(table.series, lambda: limiter.backend_state, lambda: limiter.fleet)
    alerts = AlertEngine(config.alerts)
    streams = CoordinatorStreams(hub.clock_offset_ms, publisher.mark_dirty)
    keys = KeyHygiene(store, lambda: live.current.keys, table.values, publisher.mark_dirty)
    for collector in (streams.collector, PoolCollector(hub.pool_stats), keys):
        metrics.registry.register(collector)
    services = Services(live, table, publisher, hub, store, me, spawner)
    machine = StateMachine(services)
    health = HealthWatch(services, machine)
    tests = ConnectionTests(services, machine, health, keys)
    lifecycle = Lifecycle(services, machine, health, tests, keys, metrics)
    shared = SharedStore(services, machine, health, tests, lifecycle, keys, scheduled=scheduled)
    picker = Picker(live, table, limiter, hub)
    watchdog = Watchdog(services, picker, health, limiter, metrics)
    requests = Requests(services, picker, health, watchdog)
    views = Views(
        live, table, limiter, hub, keys, streams, alerts,
        strategy=lambda: picker.strategy, batch_stats=tests.batches.stats, scheduler=shared.scheduler,
    )
    config_watch = ConfigWatch(services, limiter, health, tests, alerts, streams, picker)
    return ConnectionCoordinator(
        CoordinatorParts(
            live=live, store=store, limiter=limiter, hub=hub, me=me, spawner=spawner, table=table,
            publisher=publisher, metrics=metrics, alerts=alerts, streams=streams, keys=keys, machine=machine,
            health=health, tests=tests, lifecycle=lifecycle, shared=shared, picker=picker, watchdog=watchdog,
            requests=requests, views=views, pusher=SnapshotPusher(publisher, views, alerts, metrics),
            config_watch=config_watch,
        )
    )


@contextlib.asynccontextmanager
async def open_runtime(
    config: Config,
    db_path: Path | str | None,
    *,
    master_key: MasterKey | str | bytes | None = None,
    config_path: Path | str | None = None,
    kind: str = "library",
    scheduled: bool = True,
) -> AsyncIterator[Runtime]:
    """Open the store at ``db_path`` (None: the default location), start the limiter, the hub
    and the coordinator; with ``config_path`` the coordinator reloads that file on change and on
    SIGHUP. ``kind`` and ``scheduled`` say what this process is to the others on the store
    (``build_coordinator``)."""
    async with contextlib.AsyncExitStack() as stack:
        store = with_env_connections(
            await ConnectionStore.open(db_path, master_key, results_kept=config.store.results_kept), config
        )
        stack.push_async_callback(store.close)
        limiter = RateLimiter.from_config(config, kind)
        await limiter.start()
        stack.push_async_callback(limiter.close)
        hub = ExchangeHub(config, limiter)
        stack.push_async_callback(hub.close)
        coordinator = build_coordinator(config, store, limiter, hub, kind=kind, scheduled=scheduled)
        await coordinator.start()
        stack.push_async_callback(coordinator.close)
        if config_path is not None:
            coordinator.watch_config(config_path)
        env_tests = None
        env_ids = env_connection_ids(store)
        if env_ids and scheduled:
            env_tests = asyncio.ensure_future(asyncio.gather(*(coordinator.test_connection(i) for i in env_ids)))
            stack.push_async_callback(cancel_and_wait, [env_tests])
        yield Runtime(store, limiter, hub, coordinator, env_tests)
