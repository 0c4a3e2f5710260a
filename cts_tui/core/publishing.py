"""What the coordinator tells the outside: events as they happen, and snapshots of everything.

``Publisher`` is the event bus plus the "something changed" flag every part raises;
``Views`` builds the views and snapshots from the parts' public state (queries are views, never
models with secrets); ``SnapshotPusher`` is the loop that turns a raised flag into a snapshot,
alert evaluations and gauges, coalesced to at most ten a second and at least one a second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cts_tui.core import aggregate, pool_view
from cts_tui.core.alerts import AlertEngine
from cts_tui.core.connections import ConnectionTable
from cts_tui.core.events import AlertChanged, Event, EventBus, SnapshotReady
from cts_tui.core.key_hygiene import KeyHygiene
from cts_tui.core.live_config import LiveConfig
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.metrics import BREAKER_VALUES, CoordinatorMetrics
from cts_tui.core.snapshots import BatchStats, ConnectionView, ExchangeView, SchedulerView, Snapshot, Totals
from cts_tui.core.stats import LatencyStats
from cts_tui.core.streams import CoordinatorStreams, with_streams
from cts_tui.models import ApiType, ExchangeId
from cts_tui.stopping import wait_set

if TYPE_CHECKING:
    from cts_tui.exchanges.hub import ExchangeHub
    from cts_tui.ratelimit.limiter import RateLimiter

SNAPSHOT_MIN_INTERVAL_S = 0.1
"""Snapshots are pushed at most ten times a second, however busy the traffic, while anyone
subscribes; with no subscriber (a headless service: the REST API builds its own on demand) they
serve only the alerts and the gauges, and once a second is enough."""
SNAPSHOT_HEARTBEAT_S = 1.0
"""...and at least once a second, so rates and rate-limit gauges decay when traffic stops."""


class Publisher:
    def __init__(self) -> None:
        self._bus = EventBus()
        self._dirty = asyncio.Event()
        self.mark_dirty: Callable[[], None] = self._dirty.set
        """Something shown changed: a snapshot is due (coalesced by ``SnapshotPusher``). The
        event's own ``set``: every request's outcome raises it, a call fewer per request."""
        self._subscribed = asyncio.Event()

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """A first subscriber gets a snapshot at once rather than after the headless pause."""
        self._subscribed.set()
        return self._bus.subscribe(callback)

    def publish(self, event: Event) -> None:
        self._bus.publish(event)

    async def next_change(self, timeout_s: float) -> None:
        """Until something is marked dirty, at most ``timeout_s``; the mark is consumed."""
        await wait_set(self._dirty, timeout_s)
        self._dirty.clear()

    async def idle_while_unwatched(self, timeout_s: float) -> None:
        """With nobody subscribed, wait for a subscriber (at most ``timeout_s``)."""
        if not self._bus.has_subscribers:
            self._subscribed.clear()
            await wait_set(self._subscribed, timeout_s)


class Views:
    """The views of connections, exchanges and everything (``Snapshot``), built on demand.
    ``strategy``, ``batch_stats`` and ``scheduler`` are the routing's, the batches' and the
    shared store's own public answers."""

    def __init__(
        self,
        live: LiveConfig,
        table: ConnectionTable,
        limiter: RateLimiter,
        hub: ExchangeHub,
        keys: KeyHygiene,
        streams: CoordinatorStreams,
        alerts: AlertEngine,
        *,
        strategy: Callable[[], str],
        batch_stats: Callable[[], BatchStats],
        scheduler: Callable[[], SchedulerView],
    ) -> None:
        self._live = live
        self._table = table
        self._limiter = limiter
        self._hub = hub
        self._keys = keys
        self._streams = streams
        self._alerts = alerts
        self._strategy = strategy
        self._batch_stats = batch_stats
        self._scheduler = scheduler

    def _usage(self, exchange: ExchangeId) -> Any:
        """None for an exchange the config disables while connections to it are stored."""
        return self._limiter.usage(exchange.value) if self._limiter.limits(exchange.value) else None

    def _usages(self, exchanges: Iterable[ExchangeId]) -> dict[ExchangeId, Any]:
        """The limiter's figures, read once per exchange for everything one snapshot shows."""
        return {ex: self._usage(ex) for ex in exchanges}

    def _views(self, usage: Mapping[ExchangeId, Any] | None = None) -> list[ConnectionView]:
        entries = self._table.values()
        if usage is None:
            usage = self._usages({e.exchange for e in entries})
        usage_pct = {ex: aggregate.usage_pct(u) for ex, u in usage.items()}
        keys = self._keys.assessments()
        config, streams = self._live.current, self._streams
        return [
            entry.view(config, usage_pct[entry.exchange], streams.factor(entry.exchange), keys.get(entry.id))
            for entry in entries
        ]

    def view(self, entry: ManagedConnection) -> ConnectionView:
        usage_pct = aggregate.usage_pct(self._usage(entry.exchange))
        key = self._keys.assessments().get(entry.id)
        return entry.view(self._live.current, usage_pct, self._streams.factor(entry.exchange), key)

    def _pool_of(self, exchange: ExchangeId, per_host: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
        connections = (e.connection for e in self._table.of_exchange(exchange))
        return pool_view.exchange_pool(pool_view.hosts_of(connections), per_host)

    def _exchange_view(
        self,
        exchange: ExchangeId,
        views: Iterable[ConnectionView],
        usage: Any,
        per_host: Mapping[str, Mapping[str, int]],
    ) -> ExchangeView:
        return aggregate.exchange_view(
            exchange,
            views,
            (e.stats for e in self._table.of_exchange(exchange)),
            self._table.exchange_latency(exchange) or LatencyStats(),
            usage,
            self._pool_of(exchange, per_host),
        )

    def _shown_exchanges(self) -> list[ExchangeId]:
        """Every enabled exchange, then any other that still has connections."""
        exchanges = [ex for ex, limits in self._live.current.exchanges.items() if limits.enabled]
        return exchanges + sorted({e.exchange for e in self._table.values()} - set(exchanges))

    def snapshot(self) -> Snapshot:
        """The current state, built now (a few milliseconds for a hundred connections)."""
        shown = self._shown_exchanges()
        usage = self._usages(shown)
        views = sorted(self._views(usage), key=lambda v: (v.exchange.value, v.name))
        streams = self._streams.views()
        per_host = self._hub.pool_stats()["per_host"]
        exchanges = with_streams(
            {ex: self._exchange_view(ex, (v for v in views if v.exchange == ex), usage[ex], per_host) for ex in shown},
            streams,
        )
        rps = sum(ev.requests_per_s for ev in exchanges.values())
        return Snapshot(
            at=datetime.now(UTC),
            connections=tuple(views),
            exchanges=exchanges,
            totals=aggregate.totals(views, rps),
            alerts=self._alerts.firing(),
            strategy=self._strategy(),
            batch=self._batch_stats(),
            streams=streams,
            scheduler=self._scheduler(),
            budgets=self._limiter.backend_state,
            fleet=self._limiter.fleet,
        )

    def all(self) -> list[ConnectionView]:
        return sorted(self._views(), key=lambda v: (v.exchange.value, v.name))

    def by_exchange(self, exchange: ExchangeId | str) -> list[ConnectionView]:
        wanted = ExchangeId(exchange)
        return [v for v in self.all() if v.exchange is wanted]

    def by_api_type(self, api_type: ApiType | str) -> list[ConnectionView]:
        wanted = ApiType(api_type)
        return [v for v in self.all() if v.api_type is wanted]

    def exchange_health(self, exchange: ExchangeId | str) -> ExchangeView:
        wanted = ExchangeId(exchange)
        views = self.by_exchange(wanted)
        return self._exchange_view(wanted, views, self._usage(wanted), self._hub.pool_stats()["per_host"])

    def api_type_health(self, api_type: ApiType | str) -> Totals:
        views = self.by_api_type(api_type)
        rps = sum(self._table[v.id].stats.recent.per_second() for v in views)
        return aggregate.totals(views, rps)


class SnapshotPusher:
    """Turns the dirty flag into snapshots for subscribers, alert evaluations and gauges."""

    def __init__(self, publisher: Publisher, views: Views, alerts: AlertEngine, metrics: CoordinatorMetrics) -> None:
        self._publisher = publisher
        self._views = views
        self._alerts = alerts
        self._metrics = metrics

    async def run(self) -> None:
        publisher = self._publisher
        gauges_due = 0.0
        while True:
            await publisher.next_change(SNAPSHOT_HEARTBEAT_S)
            snapshot = self._views.snapshot()
            changes = self._alerts.evaluate(snapshot)
            for alert in changes:
                publisher.publish(AlertChanged(alert))
            if changes:
                snapshot = self._views.snapshot()
            if time.monotonic() >= gauges_due:  # scraped every few seconds: once a second will do
                self._update_gauges(snapshot)
                gauges_due = time.monotonic() + SNAPSHOT_HEARTBEAT_S
            publisher.publish(SnapshotReady(snapshot))
            await asyncio.sleep(SNAPSHOT_MIN_INTERVAL_S)
            await publisher.idle_while_unwatched(SNAPSHOT_HEARTBEAT_S - SNAPSHOT_MIN_INTERVAL_S)

    def _update_gauges(self, snapshot: Snapshot) -> None:
        metrics = self._metrics
        metrics.connections.clear()
        for view in snapshot.connections:
            labels = (view.exchange.value, view.id)
            metrics.breaker.labels(*labels).set(BREAKER_VALUES[view.breaker])
            metrics.health.labels(*labels).set(view.health_score)
            metrics.connections.labels(view.exchange.value, view.state.value).inc()
        for exchange, ev in snapshot.exchanges.items():
            metrics.rate_limit_usage.labels(exchange.value).set(ev.rate_limit_usage_pct / 100)
