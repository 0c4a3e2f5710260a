"""The connection coordinator: the one place that knows which connections work and how well.

It loads connections from the store, drives their state machine (``models.next_state``;
every transition persisted, audited and evented), measures every request and health check,
runs each connection's circuit breaker, chooses connections for requests (``execute_request``),
runs batches, keeps Prometheus metrics and alert rules, and pushes snapshots to subscribers.

The persisted state is the lifecycle the user controls (disabled, testing, active, paused,
error). A breaker opening is not a state change: it is a transient health verdict, shown in the
views and in ``healthy``, and the connection leaves rotation until a probe succeeds. Only
evidence that the key itself is broken (an authentication failure) moves an active connection
to error; a later successful check moves it back to active.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import signal
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cts_tui.config import Config, changed_settings, load_config
from cts_tui.core import aggregate, pool_view
from cts_tui.exchanges.hosts import check_keys_follow
from cts_tui.core.alerts import AlertEngine
from cts_tui.core.balancer import make_strategy
from cts_tui.core.batch import BatchJob, BatchProcessor, TaskKind
from cts_tui.core.breaker import BreakerState, ejection_allowed
from cts_tui.core.events import (
    AlertChanged,
    BatchFinished,
    BatchProgress,
    ConfigReloaded,
    ConnectionsChanged,
    Event,
    EventBus,
    SnapshotReady,
    StateChanged,
    StoreProblem,
    TestFinished,
)
from cts_tui.core.feed import ChangeFeed, Changed
from cts_tui.core.documented import beyond_documented
from cts_tui.core.health import HealthScheduler
from cts_tui.core.key_hygiene import KeyHygiene
from cts_tui.core.key_policy import KeyAssessment
from cts_tui.core.hedging import HedgeBudget, Outcome, Rescued, Won, delay_s
from cts_tui.core.lease import SchedulerLease
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.metrics import BREAKER_VALUES, CoordinatorMetrics
from cts_tui.core.pool_metrics import PoolCollector
from cts_tui.core.routing import RouteTable
from cts_tui.core.snapshots import ConnectionView, ExchangeView, SchedulerView, Snapshot, Totals
from cts_tui.core.stats import ConnectionStats, LatencyStats
from cts_tui.core.streams import CoordinatorStreams, with_streams
from cts_tui.core.suspicion import (
    ARGS,
    KWARGS,
    METHOD,
    NOT_ANSWERING,
    PRIORITY,
    STARTED,
    TARGET,
    Call,
    is_suspect,
    threshold_s,
    unanswered,
)
from cts_tui.core.tasks import cancel_and_wait
from cts_tui.errors import ConfigError, CtsError, ErrorKind, ExchangeError, NotFoundError, StoreError, scrub
from cts_tui.models import (
    ApiType,
    BatchResult,
    Connection,
    ConnectionDraft,
    ConnectionPatch,
    ConnectionState,
    ExchangeId,
    TestResult,
    Transition,
    next_state,
)
from cts_tui.ratelimit.limiter import PLAN_SINK
from cts_tui.ratelimit.priority import Priority, current_priority, request_priority
from cts_tui.ratelimit.waiting import WaitTracker, tracking_waits
from cts_tui.store.records import ChangeKind, CheckRecord, ProcessIdentity, TestClaim

if TYPE_CHECKING:
    from cts_tui.exchanges.hub import ExchangeHub
    from cts_tui.ratelimit.limiter import RateLimiter
    from cts_tui.store import ConnectionStore, Source

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SNAPSHOT_MIN_INTERVAL_S = 0.1
"""Snapshots are pushed at most ten times a second, however busy the traffic, while anyone
subscribes; with no subscriber (a headless service: the REST API builds its own on demand) they
serve only the alerts and the gauges, and once a second is enough."""
SNAPSHOT_HEARTBEAT_S = 1.0
"""...and at least once a second, so rates and rate-limit gauges decay when traffic stops."""
CONFIG_POLL_S = 1.0
CHANGES_KEPT = 10_000
"""The change feed keeps this many rows (over a quarter of an hour at ten changes a second); a
process further behind reads the whole store again."""
BATCH_PURGE_EVERY_S = 1800.0
CLAIM_GRACE_S = 5.0
"""A test's claim outlives its timeout by this much before another process may call it
abandoned (its tester still has to write the outcome)."""

_S, _T = ConnectionState, Transition
_STATE_CHANGING = re.compile(
    r"^(create|cancel|edit|withdraw|transfer|set|borrow|repay|close|add_margin|reduce_margin)(_|$)"
)
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
# Failures that say the whole exchange is unreachable, not just this key: a retry goes elsewhere.
_EXCHANGE_WIDE = frozenset(
    {ErrorKind.NETWORK, ErrorKind.TIMEOUT, ErrorKind.EXCHANGE_DOWN, ErrorKind.MAINTENANCE, ErrorKind.RATE_LIMITED}
)
_UNJUDGED = frozenset({ErrorKind.TIMEOUT, ErrorKind.RATE_LIMITED})
"""A test that failed so says nothing about the key: its connection goes back where it was."""
_CLIENT_FIELDS = ("api_key", "api_secret", "api_passphrase", "base_url", "api_type", "is_testnet")
"""A change to any of these makes the cached exchange client wrong."""


@functools.lru_cache(maxsize=1024)
def is_state_changing(method: str) -> bool:
    """Orders, cancels, withdrawals, transfers, leverage and margin changes: never retried."""
    return bool(_STATE_CHANGING.match(_CAMEL.sub("_", method).lower()))


def _error_from(exc: BaseException, timeout_s: float, waits: WaitTracker | None = None) -> ExchangeError:
    if isinstance(exc, ExchangeError):
        return exc
    if isinstance(exc, TimeoutError):
        return (waits or WaitTracker()).timeout_error(timeout_s)
    raise exc


class ConnectionCoordinator:
    def __init__(
        self,
        config: Config,
        store: ConnectionStore,
        limiter: RateLimiter | None = None,
        hub: ExchangeHub | None = None,
        *,
        kind: str = "library",
        scheduled: bool = True,
    ) -> None:
        """``kind`` names this process to the others on the store (tui, serve, library);
        ``scheduled=False`` (a short CLI run) never takes the scheduled checks' lease."""
        self._config = config
        self.store = store
        self._owns_limiter = limiter is None
        self._owns_hub = hub is None
        if limiter is None:
            from cts_tui.ratelimit.limiter import RateLimiter

            limiter = RateLimiter.from_config(config)
        if hub is None:
            from cts_tui.exchanges.hub import ExchangeHub

            hub = ExchangeHub(config, limiter)
        self.limiter = limiter
        self.hub = hub
        self.metrics = CoordinatorMetrics(self._series, lambda: limiter.backend_state)
        self.alerts = AlertEngine(config.alerts)
        self.streams = CoordinatorStreams(hub.clock_offset_ms, self._mark_dirty)
        """The live market streams (``core/streams.py``); they run while ``streams.enabled``."""
        self.metrics.registry.register(self.streams.collector)
        self.metrics.registry.register(PoolCollector(hub.pool_stats))  # type: ignore[arg-type]
        self._bus = EventBus()
        self._entries: dict[str, ManagedConnection] = {}
        self.keys = KeyHygiene(store, lambda: self._config.keys, self._entries.values, self._mark_dirty)
        """Each key's facts and risks (``core/key_hygiene.py``, ``core/key_policy.py``)."""
        self.metrics.registry.register(self.keys)  # type: ignore[arg-type]
        self._exchange_latency: dict[ExchangeId, LatencyStats] = {}
        self._routes = RouteTable(self._entries, self._supports, lambda: self._config.health.breaker_threshold)
        self._strategy = make_strategy(config.load_balancing.strategy, config.load_balancing.failover_order)
        self._health = HealthScheduler(config.health, self._scheduled_check, self._checkable_ids)
        self.me = ProcessIdentity.current(kind)
        self._feed = ChangeFeed(store, self._apply_changes, lambda: self._config.store.watch_interval_s)
        self._lease = (
            SchedulerLease(store, self.me, lambda: self._config.store.lease_ttl_s, self._lease_changed)
            if scheduled
            else None
        )
        self._duties: asyncio.Task[None] | None = None
        self._reloading: set[str] = set()
        self._told_rekeyed = False
        self._batches = BatchProcessor(
            config.batch, self._run_batch_task, self._batch_cap, self._batch_progress, self._batch_finished
        )
        self._dirty = asyncio.Event()
        self._subscribed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._sighup_installed = False
        self._started = False
        self._rescues: dict[asyncio.Task[Any], Won | Rescued] = {}
        """Callers the watchdog cancelled, and why (a hedge's answer, or "not answering")."""
        self._hedges: dict[asyncio.Task[Any], asyncio.Task[Any]] = {}
        """Caller -> its hedge in flight."""
        self._hedge_budget = HedgeBudget()
        self._hedge_timers: dict[asyncio.Task[Any], asyncio.TimerHandle] = {}
        """Reads that reach their hedge delay before the next tick: hedged on time."""
        self._last_tick: float | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self._owns_limiter:
            await self.limiter.start()
        await self._feed.start()  # before the store is read: nothing committed meanwhile is lost
        for connection in await self.store.list():
            self._manage(connection)
        await self._load_observations()
        await self.keys.load()
        self._batches.start()
        await self.streams.start(self._config.streams)
        self._loops.append(asyncio.create_task(self._push_snapshots(), name="cts-snapshots"))
        self._loops.append(asyncio.create_task(self._watch(), name="cts-watchdog"))
        self._warn_beyond_documented(self._config)
        self._started = True
        if self._lease is not None:
            await self._lease.start()
        self._mark_dirty()

    async def close(self) -> None:
        if not self._started:
            return
        self._started = False
        if self._sighup_installed:
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            self._sighup_installed = False
        await cancel_and_wait(self._loops)
        for timer in self._hedge_timers.values():
            timer.cancel()
        self._hedge_timers.clear()
        self._loops.clear()
        await self._feed.close()
        await self._stop_duties()
        if self._lease is not None:
            await self._lease.close()
        await self._batches.close()
        await self.streams.close()
        await cancel_and_wait(self._tasks)
        await self.alerts.close()
        if self._owns_hub:
            await self.hub.close()
        if self._owns_limiter:
            await self.limiter.close()

    async def __aenter__(self) -> ConnectionCoordinator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("coordinator task failed: %s", scrub(repr(task.exception())))

    # --- events and snapshots -----------------------------------------------------------------

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """``callback(event)`` runs on the coordinator's loop for every event; it must not block.
        A first subscriber gets a snapshot at once rather than after the headless pause."""
        self._subscribed.set()
        return self._bus.subscribe(callback)

    def _mark_dirty(self) -> None:
        self._dirty.set()

    def _usage(self, exchange: ExchangeId) -> Any:
        """None for an exchange the config disables while connections to it are stored."""
        return self.limiter.usage(exchange.value) if self.limiter.limits(exchange.value) else None

    def _usages(self, exchanges: Iterable[ExchangeId]) -> dict[ExchangeId, Any]:
        """The limiter's figures, read once per exchange for everything one snapshot shows."""
        return {ex: self._usage(ex) for ex in exchanges}

    def _views(self, usage: Mapping[ExchangeId, Any] | None = None) -> list[ConnectionView]:
        if usage is None:
            usage = self._usages({e.exchange for e in self._entries.values()})
        usage_pct = {ex: aggregate.usage_pct(u) for ex, u in usage.items()}
        keys = self.keys.assessments()
        return [
            entry.view(self._config, usage_pct[entry.exchange], self.streams.factor(entry.exchange), keys.get(entry.id))
            for entry in self._entries.values()
        ]

    def _pool_of(self, exchange: ExchangeId, per_host: Mapping[str, Mapping[str, int]]) -> dict[str, Any]:
        connections = (e.connection for e in self._entries.values() if e.exchange is exchange)
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
            (e.stats for e in self._entries.values() if e.exchange is exchange),
            self._exchange_latency.get(exchange) or LatencyStats(),
            usage,
            self._pool_of(exchange, per_host),
        )

    def _shown_exchanges(self) -> list[ExchangeId]:
        """Every enabled exchange, then any other that still has connections."""
        exchanges = [ex for ex, limits in self._config.exchanges.items() if limits.enabled]
        return exchanges + sorted({e.exchange for e in self._entries.values()} - set(exchanges))

    def snapshot(self) -> Snapshot:
        """The current state, built now (a few milliseconds for a hundred connections)."""
        shown = self._shown_exchanges()
        usage = self._usages(shown)
        views = sorted(self._views(usage), key=lambda v: (v.exchange.value, v.name))
        streams = self.streams.views()
        per_host = self.hub.pool_stats()["per_host"]
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
            alerts=self.alerts.firing(),
            strategy=self._strategy.name,
            batch=self._batches.stats(),
            streams=streams,
            scheduler=self.scheduler(),
            budgets=self.limiter.backend_state,
        )

    async def _push_snapshots(self) -> None:
        gauges_due = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), SNAPSHOT_HEARTBEAT_S)
            self._dirty.clear()
            snapshot = self.snapshot()
            changes = self.alerts.evaluate(snapshot)
            for alert in changes:
                self._bus.publish(AlertChanged(alert))
            if changes:
                snapshot = self.snapshot()
            if time.monotonic() >= gauges_due:  # scraped every few seconds: once a second will do
                self._update_gauges(snapshot)
                gauges_due = time.monotonic() + SNAPSHOT_HEARTBEAT_S
            self._bus.publish(SnapshotReady(snapshot))
            await asyncio.sleep(SNAPSHOT_MIN_INTERVAL_S)
            if not self._bus.has_subscribers:
                self._subscribed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._subscribed.wait(), SNAPSHOT_HEARTBEAT_S - SNAPSHOT_MIN_INTERVAL_S)

    def _update_gauges(self, snapshot: Snapshot) -> None:
        metrics = self.metrics
        metrics.connections.clear()
        for view in snapshot.connections:
            labels = (view.exchange.value, view.id)
            metrics.breaker.labels(*labels).set(BREAKER_VALUES[view.breaker])
            metrics.health.labels(*labels).set(view.health_score)
            metrics.connections.labels(view.exchange.value, view.state.value).inc()
        for exchange, ev in snapshot.exchanges.items():
            metrics.rate_limit_usage.labels(exchange.value).set(ev.rate_limit_usage_pct / 100)

    # --- queries ------------------------------------------------------------------------------

    def _manage(self, connection: Connection) -> ManagedConnection:
        latency = self._exchange_latency.get(connection.exchange)
        if latency is None:
            latency = self._exchange_latency[connection.exchange] = LatencyStats()
        entry = self._entries[connection.id] = ManagedConnection(
            connection, self._config, exchange_latency=latency, on_change=self._routes.invalidate
        )
        self._routes.invalidate()
        return entry

    def _series(self) -> Iterator[tuple[str, str, ConnectionStats]]:
        return ((e.exchange.value, e.id, e.stats) for e in self._entries.values())

    def _entry(self, connection_id: str) -> ManagedConnection:
        try:
            return self._entries[connection_id]
        except KeyError:
            raise NotFoundError(f"no connection with id {connection_id}") from None

    def _view(self, entry: ManagedConnection) -> ConnectionView:
        usage_pct = aggregate.usage_pct(self._usage(entry.exchange))
        key = self.keys.assessments().get(entry.id)
        return entry.view(self._config, usage_pct, self.streams.factor(entry.exchange), key)

    def get_all_connections(self) -> list[ConnectionView]:
        return sorted(self._views(), key=lambda v: (v.exchange.value, v.name))

    def get_connection(self, connection_id: str) -> ConnectionView:
        return self._view(self._entry(connection_id))

    get_connection_health = get_connection

    def get_connections_by_exchange(self, exchange: ExchangeId | str) -> list[ConnectionView]:
        wanted = ExchangeId(exchange)
        return [v for v in self.get_all_connections() if v.exchange is wanted]

    def get_connections_by_api_type(self, api_type: ApiType | str) -> list[ConnectionView]:
        wanted = ApiType(api_type)
        return [v for v in self.get_all_connections() if v.api_type is wanted]

    def exchange_health(self, exchange: ExchangeId | str) -> ExchangeView:
        wanted = ExchangeId(exchange)
        views = self.get_connections_by_exchange(wanted)
        return self._exchange_view(wanted, views, self._usage(wanted), self.hub.pool_stats()["per_host"])

    def api_type_health(self, api_type: ApiType | str) -> Totals:
        views = self.get_connections_by_api_type(api_type)
        ids = {v.id for v in views}
        rps = sum(self._entries[i].stats.recent.per_second() for i in ids)
        return aggregate.totals(views, rps)

    def key_audit(self) -> list[KeyAssessment]:
        """Every connection's key risks, judged now (by name)."""
        self.keys.changed()
        return sorted(self.keys.assessments().values(), key=lambda a: (a.name, a.connection_id))

    async def read_keys(self, ids: Iterable[str] | None = None) -> dict[str, str | None]:
        """Ask the exchanges about the keys now (at most ``health.concurrency`` at once), each
        read stored: id -> None when read, else why not."""
        targets = [self._entry(cid) for cid in ids] if ids is not None else list(self._entries.values())
        semaphore = self._health.semaphore

        async def one(entry: ManagedConnection) -> tuple[str, str | None]:
            connection = entry.connection
            async with semaphore:
                try:
                    facts = await self._bounded(self.hub.client_for(connection).fetch_key_facts())
                except ExchangeError as exc:
                    return entry.id, f"{exc.message} [{exc.kind.value}]"
            await self.keys.record(connection, facts)
            return entry.id, None

        return dict(await asyncio.gather(*(one(e) for e in targets)))

    def connection_model(self, connection_id: str) -> Connection:
        """The stored model (secrets inside ``SecretStr``): for the clients and the edit form."""
        return self._entry(connection_id).connection

    @property
    def config(self) -> Config:
        return self._config

    @property
    def strategy(self) -> str:
        return self._strategy.name

    def set_strategy(self, name: str) -> None:
        lb = self._config.load_balancing
        self._strategy = make_strategy(name, lb.failover_order)
        self._routes.invalidate()
        self._mark_dirty()

    # --- state machine ------------------------------------------------------------------------

    async def _transition(self, entry: ManagedConnection, transition: Transition, source: Source, reason: str) -> None:
        """Persist ``transition`` unless another process moved the connection first: then its
        state stands (the store is the truth) and is what the views show."""
        old = entry.state
        new = next_state(old, transition)
        stored = await self.store.set_state(entry.id, new, source=source, expected=old)
        if stored.state is not new:
            reason = f"{stored.state.value}: changed by another process"
        self._settled(entry, stored, old, reason)

    def _settled(self, entry: ManagedConnection, stored: Connection, old: ConnectionState, reason: str) -> None:
        """The stored connection after a write of ours: kept, and told if its state moved."""
        entry.connection = stored
        self._health.wake()
        if stored.state is not old:
            self._bus.publish(StateChanged(entry.id, old, stored.state, reason))
        self._mark_dirty()

    async def add_connection(self, draft: ConnectionDraft, source: Source) -> ConnectionView:
        """Store a new connection; an enabled one is tested at once (testing -> active | error)."""
        return await self._adopt(await self.store.add(Connection.from_draft(draft), source=source), source)

    async def update_connection(self, connection_id: str, patch: ConnectionPatch, source: Source) -> ConnectionView:
        """Apply an edit. New keys, host, API type or testnet flag drop the cached client and
        send a working connection back through a test. A stored connection whose keys do not
        decrypt (not managed here) takes an edit that enters them again, and is managed from
        then on."""
        entry = self._entries.get(connection_id)
        if entry is None:
            return await self._rekey_unreadable(connection_id, patch, source)
        fields = patch.model_fields_set
        async with entry.lock:
            if self._entries.get(connection_id) is not entry:  # left out while this waited
                return await self._rekey_unreadable(connection_id, patch, source)
            # another host: the secrets come again, unless the config allows that host
            check_keys_follow(entry.connection, patch, self._config.limits(entry.exchange).allowed_hosts)
            before = entry.state
            stored = await self.store.update(connection_id, patch, source=source)
            entry.connection = stored
            entry.reconfigure(self._config)
            if patch.rotates_keys or {"base_url", "api_type", "is_testnet"} & fields:
                await self.hub.drop(connection_id)
            if stored.state is not before:
                self._bus.publish(StateChanged(connection_id, before, stored.state, "edited"))
            if stored.state is _S.DISABLED:
                self._reset_breaker(entry)
        self._bus.publish(ConnectionsChanged(updated=(connection_id,)))
        self._health.wake()
        self.keys.changed()  # its use, name or key: its risks and the "stored twice" of others
        retest = patch.rotates_keys or {"base_url", "api_type", "is_testnet"} & fields
        if stored.state is _S.TESTING or (retest and stored.state in (_S.ACTIVE, _S.ERROR)):
            await self.test_connection(connection_id, source=source)
        return self._view(entry)

    async def _rekey_unreadable(self, connection_id: str, patch: ConnectionPatch, source: Source) -> ConnectionView:
        stored = await self.store.update(connection_id, patch, source=source)  # NotFound / unreadable
        if connection_id in self._entries:  # the change feed adopted it meanwhile
            return self._view(self._entries[connection_id])
        return await self._adopt(stored, source)

    async def _adopt(self, stored: Connection, source: Source) -> ConnectionView:
        """Manage a connection just written to the store; an enabled one is tested at once."""
        entry = self._manage(stored)
        self._bus.publish(ConnectionsChanged(added=(stored.id,)))
        self._health.wake()
        self._mark_dirty()
        if stored.state in (_S.TESTING, _S.ACTIVE, _S.ERROR):
            await self.test_connection(stored.id, source=source)
        return self._view(entry)

    async def delete_connection(self, connection_id: str, source: Source) -> None:
        if connection_id not in self._entries:  # unreadable rows are removed all the same
            await self.store.delete(connection_id, source=source)
            return
        entry = self._entry(connection_id)
        async with entry.lock:
            await self.store.delete(connection_id, source=source)
            await self._forget(entry)

    async def _forget(self, entry: ManagedConnection) -> None:
        """A connection deleted (here or by another process): out of every table, its client
        closed. Only this entry: one made anew for the same id meanwhile (keys entered again
        while this one was being left out) stays."""
        if self._entries.get(entry.id) is not entry:
            return
        del self._entries[entry.id]
        self._routes.invalidate()
        self._reset_breaker(entry)
        await self.hub.drop(entry.id)
        self.metrics.forget(entry.exchange.value, entry.id)
        self._bus.publish(ConnectionsChanged(removed=(entry.id,)))
        self._health.wake()
        self._mark_dirty()

    async def enable(self, connection_id: str, source: Source) -> ConnectionView:
        """disabled -> testing, then the test decides: active or error."""
        entry = self._entry(connection_id)
        async with entry.lock:
            await self._transition(entry, _T.ENABLE, source, "enabled")
        await self.test_connection(connection_id, source=source)
        return self._view(entry)

    async def disable(self, connection_id: str, source: Source) -> ConnectionView:
        entry = self._entry(connection_id)
        async with entry.lock:
            await self._transition(entry, _T.DISABLE, source, "disabled")
            self._reset_breaker(entry)
        return self._view(entry)

    async def pause(self, connection_id: str, source: Source) -> ConnectionView:
        entry = self._entry(connection_id)
        async with entry.lock:
            await self._transition(entry, _T.PAUSE, source, "paused")
        return self._view(entry)

    async def resume(self, connection_id: str, source: Source) -> ConnectionView:
        entry = self._entry(connection_id)
        async with entry.lock:
            await self._transition(entry, _T.RESUME, source, "resumed")
        return self._view(entry)

    # --- tests --------------------------------------------------------------------------------

    async def test_connection(self, connection_id: str, source: Source = "system") -> TestResult:
        """Test one connection. Active, errored (and mid-test) connections go through testing to
        active or error; paused and disabled ones are tested without changing their state.

        No path leaves a connection in testing: a test that times out or is cancelled puts back
        the state it came from (a new connection's first test that never finished: error) and
        is recorded as a failed attempt, with its real duration and what it waited for. The
        store holds a claim on the test meanwhile, so that if this process dies another one
        can tell the test was abandoned (``_recover_tests``)."""
        entry = self._entry(connection_id)
        async with entry.lock:
            before = entry.state
            started = time.monotonic()
            drives = before in (_S.ACTIVE, _S.ERROR, _S.TESTING) and await self._begin_test(entry, before, source)
            try:
                result = await self._run_test(entry.connection)
            except asyncio.CancelledError:
                elapsed_ms = int((time.monotonic() - started) * 1000)
                cancelled = TestResult(
                    connection_id=connection_id, success=False, error=f"cancelled after {elapsed_ms / 1000:.1f} s",
                    duration_ms=elapsed_ms,
                )
                await asyncio.shield(self._finish_test(entry, cancelled, before if drives else None, source))
                raise
            if connection_id not in self._entries:  # deleted meanwhile
                return result
            if result.success:
                if entry.breaker.record_success():
                    self._breaker_closed(entry)
            elif result.error_kind is not None and entry.breaker.record_failure(
                result.error_kind, may_open=self._may_eject(entry)
            ):
                self._open_breaker(entry)
            await self._finish_test(entry, result, before if drives else None, source)
        self._bus.publish(TestFinished(result))
        self._mark_dirty()
        return result

    async def _begin_test(self, entry: ManagedConnection, before: ConnectionState, source: Source) -> bool:
        """Claim the test and enter testing; False when another process moved the connection
        since we read it (the test then runs without driving its state)."""
        now = time.time()
        deadline = now + self._config.batch.task_timeout_s + CLAIM_GRACE_S
        stored = await self.store.begin_test(TestClaim(entry.id, self.me, now, deadline, before.value), source)
        self._settled(entry, stored, before, "testing")
        return stored.state is _S.TESTING

    async def _finish_test(
        self, entry: ManagedConnection, result: TestResult, before: ConnectionState | None, source: Source
    ) -> None:
        """Record the outcome and, when the test drove the state (``before`` given), settle it:
        passed: active; failed: error; never finished (timed out, cancelled): where it was."""
        entry.record_test(result)
        if result.key is not None:
            await self.keys.record(entry.connection, result.key, result.tested_at)
        if before is None:
            with contextlib.suppress(NotFoundError):
                await self.store.record_test(result)
            return
        # No answer, or none asked for (no rate-limit permit in time): the key was not judged.
        unfinished = result.error_kind in _UNJUDGED or (not result.success and result.error_kind is None)
        if result.success:
            target, reason = _S.ACTIVE, "test passed"
        elif unfinished and before is not _S.TESTING:
            target, reason = before, f"test did not finish ({result.error}); back to {before.value}"
        else:
            target, reason = _S.ERROR, "test failed"
        try:
            stored = await self.store.finish_test(result, target, source, tester=self.me.token)
        except NotFoundError:  # deleted meanwhile
            return
        self._settled(entry, stored, _S.TESTING, reason)

    async def _bounded(self, call: Awaitable[_T]) -> _T:
        """``call`` within the batch task timeout; running out of it raises a TIMEOUT
        ``ExchangeError`` that says what the time went on (an exchange's budget, or nothing)."""
        timeout = self._config.batch.task_timeout_s
        with tracking_waits() as waits:
            try:
                async with asyncio.timeout(timeout):
                    return await call
            except TimeoutError as exc:
                raise _error_from(exc, timeout, waits) from None

    async def _run_test(self, connection: Connection) -> TestResult:
        """Always a result: whatever the client raises (an answer it could not make sense of
        included) is a failed test, never an exception that would leave the state behind."""
        started = time.monotonic()
        try:
            return await self._bounded(self.hub.client_for(connection).test_connection())
        except Exception as exc:  # noqa: BLE001 - see the docstring
            if isinstance(exc, ExchangeError):
                error = exc
            else:
                log.warning("testing %s: unexpected %s", connection.id, scrub(repr(exc)))
                error = ExchangeError(
                    ErrorKind.BAD_RESPONSE, f"the exchange's answer made no sense ({type(exc).__name__})"
                )
            return TestResult(
                connection_id=connection.id,
                success=False,
                error_kind=error.kind,
                error=error.message,
                duration_ms=int((time.monotonic() - started) * 1000),
            )

    async def test_draft(self, draft: ConnectionDraft) -> TestResult:
        """Test credentials before saving them: nothing is stored, the client is dropped."""
        connection = Connection.from_draft(draft)
        try:
            return await self._run_test(connection)
        finally:
            await self.hub.drop(connection.id)

    def start_batch(
        self, ids: Iterable[str], kind: TaskKind = "test", priority: Priority = Priority.LOW
    ) -> BatchJob:
        """Queue one task per connection; unknown ids raise ``NotFoundError`` before anything
        is queued."""
        targets = [(cid, self._entry(cid).exchange) for cid in ids]
        limit = self._config.batch.max_per_request
        if len(targets) > limit:
            raise CtsError(f"a batch takes at most {limit} connections (got {len(targets)})")
        return self._batches.submit(targets, kind, int(priority), uuid.uuid4().hex[:12])

    async def test_connections(self, ids: Iterable[str]) -> BatchResult:
        """Test many connections (the specification's batch test); ``.wire()`` is its shape."""
        return await self.start_batch(ids).result()

    async def get_batch(self, batch_id: str) -> BatchResult | None:
        return await self.store.get_batch(batch_id)

    async def purge_expired(self) -> int:
        return await self.store.purge_expired()

    def _batch_cap(self, exchange: ExchangeId) -> int:
        return self._config.limits(exchange).max_concurrent

    async def _run_batch_task(self, kind: TaskKind, connection_id: str) -> TestResult:
        with request_priority(Priority.LOW):
            if kind == "test":
                return await self.test_connection(connection_id, source="system")
            entry = self._entry(connection_id)
            if kind == "health":
                started = time.monotonic()
                ok = await self._check(entry)
                return TestResult(
                    connection_id=connection_id,
                    success=ok,
                    duration_ms=int((time.monotonic() - started) * 1000),
                    error_kind=None if ok else entry.stats.last_error_kind,
                    error=None if ok else entry.stats.last_error,
                )
            return await self._batch_read(entry, kind)

    async def _batch_read(self, entry: ManagedConnection, kind: TaskKind) -> TestResult:
        """Balance retrieval or permission (capability) check as a batch task."""
        started = time.monotonic()
        try:
            result = await self._bounded(self._read(entry, kind))
        except ExchangeError as exc:
            result = TestResult(connection_id=entry.id, success=False, error_kind=exc.kind, error=exc.message)
        return result.model_copy(update={"duration_ms": int((time.monotonic() - started) * 1000)})

    async def _read(self, entry: ManagedConnection, kind: TaskKind) -> TestResult:
        client = self.hub.client_for(entry.connection)
        if kind == "balance":
            balances = await client.fetch_balance()
            quote_total = balances.get("USDT")
            if quote_total is not None:
                entry.balance = quote_total
            await self.store.record_balance(entry.id, balances)
            return TestResult(connection_id=entry.id, success=True, balances=balances, balance=quote_total)
        permissions = await client.fetch_permissions()
        return TestResult(
            connection_id=entry.id, success=True, permissions=permissions, capabilities=client.capabilities()
        )

    def _batch_progress(self, job: BatchJob, result: TestResult) -> None:
        self._bus.publish(BatchProgress(job.batch_id, job.done, job.total, result))
        self._mark_dirty()

    async def _batch_finished(self, job: BatchJob, result: BatchResult) -> None:
        try:
            await self.store.save_batch(result, self._config.batch.result_ttl_s)
        except CtsError as exc:  # a read-only or full store: the caller still gets its result
            log.warning("batch %s not kept: %s", result.batch_id, exc.message)
        finally:
            self._bus.publish(BatchFinished(result, cancelled=job.cancelled))
            self._mark_dirty()


    # --- health and the circuit breaker -------------------------------------------------------

    def _checkable_ids(self) -> list[str]:
        return [
            e.id
            for e in self._entries.values()
            if e.state in (_S.ACTIVE, _S.ERROR) and e.breaker.state == BreakerState.CLOSED
        ]

    async def _scheduled_check(self, connection_id: str) -> bool:
        entry = self._entries.get(connection_id)
        if entry is None or entry.state not in (_S.ACTIVE, _S.ERROR):
            return False
        return await self._check(entry)

    async def run_health_checks(self, ids: Iterable[str] | None = None) -> dict[str, bool]:
        """Check now (LOW priority, at most ``health.concurrency`` at once): id -> healthy."""
        targets = [self._entry(cid) for cid in ids] if ids is not None else [
            e for e in self._entries.values() if e.state in (_S.ACTIVE, _S.ERROR)
        ]
        semaphore = self._health.semaphore

        async def one(entry: ManagedConnection) -> tuple[str, bool]:
            async with semaphore:
                return entry.id, await self._check(entry)

        return dict(await asyncio.gather(*(one(e) for e in targets)))

    async def _check(self, entry: ManagedConnection) -> bool:
        """One health check: an authenticated read (the balance), LOW priority, with a timeout.
        Recorded like live traffic, so it feeds the same statistics and breaker."""
        timeout = self._config.health.timeout_s
        client = self.hub.client_for(entry.connection)
        started = time.perf_counter()
        with tracking_waits() as waits:
            try:
                with request_priority(Priority.LOW):
                    async with asyncio.timeout(timeout):
                        await client.fetch_balance()
            except (ExchangeError, TimeoutError) as exc:
                error = _error_from(exc, timeout, waits)
                elapsed = time.perf_counter() - started
                self._record_failure(entry, error, elapsed, check=True)
                await self._share_check(entry, elapsed, error)
                return False
        elapsed = time.perf_counter() - started
        self._record_success(entry, elapsed, check=True)
        await self._share_check(entry, elapsed)
        if entry.state is _S.ERROR and entry.id in self._entries:
            async with entry.lock:
                if entry.state is _S.ERROR:
                    await self._transition(entry, _T.PASS, "system", "health check passed")
        return True

    def _record_success(self, entry: ManagedConnection, elapsed_s: float, *, check: bool = False) -> None:
        """Every request's bookkeeping: kept to what a success must do, the rest only when a
        failure came before it."""
        stats, breaker = entry.stats, entry.breaker
        errors_before = stats.consecutive_errors
        stats.record_success(elapsed_s, check=check)
        if (breaker.failures or breaker.state is not BreakerState.CLOSED) and breaker.record_success():
            self._breaker_closed(entry)
        if errors_before and errors_before >= self._config.health.breaker_threshold:
            self._routes.invalidate()  # back from the end of the line
        self._dirty.set()

    def _record_failure(
        self, entry: ManagedConnection, error: ExchangeError, elapsed_s: float, *, check: bool = False
    ) -> None:
        entry.stats.record_failure(error.kind, error.message, elapsed_s, check=check)
        if entry.stats.consecutive_errors == self._config.health.breaker_threshold:
            self._routes.invalidate()  # it now goes to the back of the line
        if entry.breaker.record_failure(error.kind, may_open=self._may_eject(entry)):
            self._open_breaker(entry)
        if error.kind is ErrorKind.AUTH and entry.state is _S.ACTIVE:
            self._spawn(self._key_rejected(entry, error.message))
        self._mark_dirty()

    async def _key_rejected(self, entry: ManagedConnection, message: str) -> None:
        async with entry.lock:
            if entry.state is _S.ACTIVE and entry.id in self._entries:
                await self._transition(entry, _T.FAIL, "system", f"key rejected: {message}")

    def _may_eject(self, entry: ManagedConnection) -> bool:
        peers = [e for e in self._entries.values() if e.exchange is entry.exchange and e.state is _S.ACTIVE]
        ejected = sum(1 for e in peers if e.breaker.state != BreakerState.CLOSED)
        return ejection_allowed(ejected, len(peers), self._config.health.max_ejected_share)

    def _open_breaker(self, entry: ManagedConnection, reason: str | None = None) -> None:
        kind = entry.stats.last_error_kind
        entry.breaker_reason = reason or (kind.value if kind is not None else None)
        cooldown = entry.breaker.open()
        log.warning(
            "breaker of %s (%s) open for %.1f s (%s)", entry.id, entry.exchange.value, cooldown, entry.breaker_reason
        )
        if entry.probe is None or entry.probe.done():
            entry.probe = self._spawn(self._probe_until_closed(entry))
        self._mark_dirty()

    def _breaker_closed(self, entry: ManagedConnection) -> None:
        log.info("breaker of %s (%s) closed", entry.id, entry.exchange.value)
        self._mark_dirty()

    def _reset_breaker(self, entry: ManagedConnection) -> None:
        if entry.probe is not None and entry.probe is not asyncio.current_task():
            entry.probe.cancel()
        entry.probe = None
        entry.reset_breaker(self._config.health)

    async def _probe_until_closed(self, entry: ManagedConnection) -> None:
        """Wait out the cooldown, go half-open, probe; a failed probe re-opens the breaker with
        a longer cooldown and the loop waits again."""
        while entry.breaker.state != BreakerState.CLOSED and entry.id in self._entries:
            await asyncio.sleep(entry.breaker.remaining_s())
            entry.breaker.half_open()
            self._mark_dirty()
            await self._check(entry)
        entry.probe = None

    async def _share_check(self, entry: ManagedConnection, elapsed_s: float, error: ExchangeError | None = None) -> None:
        """Other processes on the store show this check too (they run none while we hold the
        lease)."""
        record = CheckRecord(
            entry.id, time.time(), error is None, elapsed_s * 1000,
            error.kind if error else None, error.message if error else None, self.me.token,
        )
        try:
            await self.store.record_check(record)
        except CtsError as exc:
            log.warning("sharing a health check failed: %s", exc.message)

    # --- other processes on the store ---------------------------------------------------------

    def scheduler(self) -> SchedulerView:
        current = self._lease.current if self._lease is not None else None
        if current is None:
            return SchedulerView(here=False, holder=None)
        return SchedulerView(here=current.holder.token == self.me.token, holder=current.describe())

    def _lease_changed(self, held: bool) -> None:
        log.info("scheduled checks %s", "run here" if held else "run elsewhere")
        if held and self._started:
            self._health.start()
            self._duties = asyncio.create_task(self._run_duties(), name="cts-duties")
        elif not held:
            self._spawn(self._stop_duties())
        self._mark_dirty()

    async def _stop_duties(self) -> None:
        await self._health.close()
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
                await self.store.prune_changes(CHANGES_KEPT)
                if time.monotonic() - purged_at > min(BATCH_PURGE_EVERY_S, self._config.batch.result_ttl_s / 2):
                    await self.store.purge_expired()
                    purged_at = time.monotonic()
            except CtsError as exc:
                log.warning("store upkeep failed: %s", exc.message)
            await asyncio.sleep(self._config.store.lease_ttl_s / 3)

    async def _recover_tests(self) -> None:
        """A test whose tester died or overran every timeout puts back the state it came from,
        recorded as an interrupted attempt; one that never had a tester (added by ``conn add``,
        or stored mid-test by a version without claims) is tested here."""
        now = time.time()
        for connection, claim in await self.store.test_claims():
            entry = self._entries.get(connection.id)
            if entry is None or entry.lock.locked():
                continue  # unknown yet, or being tested here right now
            if claim is None:  # at worst tested twice, if its adder was about to test it
                self._spawn(self._test_if_still_here(connection.id))
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
                stored = await self.store.finish_test(result, target, "system", tester=claim.tester.token)
                entry.record_test(result)
                self._settled(entry, stored, entry.state, f"test interrupted; back to {stored.state.value}")
            if previous is _S.TESTING:
                self._spawn(self._test_if_still_here(connection.id))

    async def _test_if_still_here(self, connection_id: str) -> None:
        """A test this process starts on its own. The connection may have been deleted, or its
        row may have stopped decrypting, since it was listed: then it is left out (read again
        under its lock, as the change feed reads it), not reported as a failed task; any other
        store failure leaves the test to the next round."""
        try:
            await self.test_connection(connection_id, source="system")
        except NotFoundError:
            return
        except StoreError as exc:
            entry = self._entries.get(connection_id)
            if entry is not None:
                await self._reload_locked(entry)
            if self._entries.get(connection_id) is entry is not None:
                log.warning("test of %s not started: %s", connection_id, exc.message)

    async def _load_observations(self) -> None:
        """What was last measured of each connection, by whichever process measured it."""
        for connection_id, result in (await self.store.latest_tests()).items():
            if (entry := self._entries.get(connection_id)) is not None:
                entry.record_test(result)
        for connection_id, total in (await self.store.balances()).items():
            if (entry := self._entries.get(connection_id)) is not None and total is not None:
                entry.balance = total
        for check in await self.store.checks():
            if (entry := self._entries.get(check.connection_id)) is not None:
                self._observe_check(entry, check)

    def _observe_check(self, entry: ManagedConnection, check: CheckRecord) -> None:
        """Another process's check feeds the statistics shown, not this process's breaker
        (which judges the traffic this process sends)."""
        stats = entry.stats
        if check.ok:
            stats.record_success(check.latency_ms / 1000, check=True)
        else:
            kind = check.error_kind or ErrorKind.NETWORK
            stats.record_failure(kind, check.error or kind.value, check.latency_ms / 1000, check=True)
        self._routes.invalidate()  # an error streak moves a connection to the back of the line

    async def _apply_changes(self, changed: Changed | None) -> None:
        """Bring this process up to what others committed (``None``: everything)."""
        if changed is None:
            everything = set(ChangeKind) - {ChangeKind.REMOVED}
            ids = {c.id for c in await self.store.list()} | self._entries.keys()
            changed = {cid: set(everything) for cid in ids}
        for connection_id, kinds in changed.items():
            if kinds & {ChangeKind.CONNECTION, ChangeKind.REMOVED}:
                await self._reload(connection_id)
            entry = self._entries.get(connection_id)
            if entry is None:
                self.keys.forget(connection_id)
                continue
            if ChangeKind.KEY in kinds:
                await self.keys.reload(connection_id)
            if ChangeKind.TEST in kinds and (latest := await self.store.latest_tests(connection_id)):
                entry.record_test(latest[connection_id])
            if ChangeKind.BALANCE in kinds:
                entry.balance = (await self.store.balances(connection_id)).get(connection_id, entry.balance)
            if ChangeKind.CHECK in kinds:
                for check in await self.store.checks(connection_id):
                    if check.origin != self.me.token:
                        self._observe_check(entry, check)
        if self._lease is not None and self._lease.held and any(
            (entry := self._entries.get(cid)) is not None and entry.state is _S.TESTING for cid in changed
        ):  # enabled or added elsewhere by a process that will not test it (``conn enable``)
            self._spawn(self._recover_tests())
        self._mark_dirty()

    async def _reload(self, connection_id: str) -> None:
        entry = self._entries.get(connection_id)
        if entry is None:
            stored = await self._stored(connection_id, None)
            if stored is not None and connection_id not in self._entries:  # not added here meanwhile
                self._manage(stored)
                self._bus.publish(ConnectionsChanged(added=(connection_id,)))
                self._health.wake()
            return
        if entry.lock.locked():  # being changed here now: read it once that is done
            if connection_id not in self._reloading:
                self._reloading.add(connection_id)
                self._spawn(self._reload_when_free(entry))
            return
        await self._reload_locked(entry)

    async def _stored(self, connection_id: str, entry: ManagedConnection | None) -> Connection | None:
        """The stored row of a connection another process changed; None when it is gone (then
        forgotten here) or does not decrypt (``_undecryptable``)."""
        try:
            return await self.store.get(connection_id)
        except NotFoundError:
            if entry is not None:
                await self._forget(entry)
        except StoreError as exc:
            await self._undecryptable(entry, connection_id, exc)
        return None

    async def _undecryptable(self, entry: ManagedConnection | None, connection_id: str, exc: StoreError) -> None:
        """A row whose keys do not decrypt here. One damaged row is left out (``conn list``
        shows it as unreadable). When another process rotated the master key, every row reads
        so: the connections stay as they were and the user is told, once, to restart."""
        if await self.store.rekeyed_elsewhere():
            if not self._told_rekeyed:
                self._told_rekeyed = True
                message = f"the master key of store {self.store.path} was rotated by another process; restart to use it"
                log.warning("%s", message)
                self._bus.publish(StoreProblem(message))
            return
        log.warning("connection %s left out: %s", connection_id, exc.message)
        if entry is not None:
            await self._forget(entry)

    async def _reload_when_free(self, entry: ManagedConnection) -> None:
        try:
            await self._reload_locked(entry)
        finally:
            self._reloading.discard(entry.id)

    async def _reload_locked(self, entry: ManagedConnection) -> None:
        """Read under the entry's lock, so that no write of ours lands between the read and
        its use (the older row would win)."""
        async with entry.lock:
            if entry.id not in self._entries or (stored := await self._stored(entry.id, entry)) is None:
                return
            before = entry.connection
            if stored == before:
                return
            if any(getattr(stored, f) != getattr(before, f) for f in _CLIENT_FIELDS):
                await self.hub.drop(entry.id)
            self._settled(entry, stored, before.state, "changed by another process")
            entry.reconfigure(self._config)
            if stored.state is _S.DISABLED:
                self._reset_breaker(entry)
            self._bus.publish(ConnectionsChanged(updated=(entry.id,)))

    # --- requests -----------------------------------------------------------------------------

    def _supports(self, entry: ManagedConnection, method: str) -> bool:
        # Asked only when a route is worked out; the clients cache what they answer.
        return self.hub.client_for(entry.connection).supports(method)

    def choose(
        self,
        method: str,
        exchange_id: str | None = None,
        excluded: frozenset[str] | set[str] = frozenset(),
        excluded_exchanges: frozenset[ExchangeId] | set[ExchangeId] = frozenset(),
        priority: int = Priority.NORMAL,
    ) -> ManagedConnection | None:
        """The connection the strategy picks for ``method`` among those that take traffic
        (``exchange_id``: an exchange name or a connection id narrows the choice). Connections
        on an error streak are used only when nothing else is left. Budget-aware (per exchange,
        ``routing.budget_aware``): when the strategy's pick would wait for its rate-limit budget,
        the strategy picks again among those that can send now; when none can, the one whose
        budget frees first."""
        preferred, everyone = self._routes.route(method, exchange_id)
        if excluded or excluded_exchanges:
            preferred, everyone = (
                [e for e in group if e.id not in excluded and e.exchange not in excluded_exchanges]
                for group in (preferred, everyone)
            )
        group = preferred or everyone
        if len(group) < 2:  # nothing to choose from (one key per exchange is the common setup)
            return group[0] if group else None
        chosen = self._strategy.choose(group)
        plan = chosen.plans.get(method)
        if plan is None or not chosen.budget_aware:
            return chosen
        wait = self.limiter.free_in(plan, priority)
        if not wait:
            return chosen
        return self._choose_ready(method, group, chosen, wait, priority)

    def _choose_ready(
        self, method: str, group: list[ManagedConnection], chosen: ManagedConnection, wait: float, priority: int
    ) -> ManagedConnection:
        """``chosen`` would wait ``wait`` s: the strategy's choice among those that would not,
        else whoever frees first."""
        free_in = self.limiter.free_in
        ready: list[ManagedConnection] = []
        best, best_wait = chosen, wait
        for entry in group:
            if entry is chosen:
                continue
            plan = entry.plans.get(method)
            entry_wait = free_in(plan, priority) if plan is not None else 0.0
            if not entry_wait:
                ready.append(entry)
            elif entry_wait < best_wait:
                best, best_wait = entry, entry_wait
        if not ready:
            return best
        return ready[0] if len(ready) == 1 else self._strategy.choose(ready)

    async def execute_request(
        self,
        method: str,
        *args: Any,
        exchange_id: str | None = None,
        priority: Priority = Priority.NORMAL,
        **kwargs: Any,
    ) -> Any:
        """Run a ccxt unified method on a chosen connection. A retryable failure of a read is
        retried (up to ``load_balancing.max_retries`` times, with exponential backoff) on the
        next eligible connection, on another exchange when the failure was exchange-wide and no
        exchange was asked for. State-changing calls are never retried."""
        if exchange_id is not None and exchange_id not in self._entries:
            try:
                ExchangeId(exchange_id)
            except ValueError:
                raise NotFoundError(f"no exchange or connection {exchange_id!r}") from None
        lb = self._config.load_balancing
        attempts = 1 if is_state_changing(method) else 1 + lb.max_retries
        excluded: frozenset[str] = frozenset()  # sets are made only when a retry needs them
        excluded_exchanges: frozenset[ExchangeId] = frozenset()
        last_error: ExchangeError | None = None
        # A read is registered in its connection's ``calls`` (the watchdog's registry: suspicion
        # and hedging, ``core/suspicion.py``); a state-changing call never is, so it is never
        # hedged, rescued or retried.
        task = asyncio.current_task() if attempts > 1 else None
        rescues = self._rescues
        # One coroutine from here to the client's: every request takes this path, and under a
        # hundred concurrent requests each coroutine level costs a few microseconds.
        for attempt in range(attempts):
            entry = self.choose(method, exchange_id, excluded, excluded_exchanges, priority)
            if entry is None:
                break
            client = self.hub.client_for(entry.connection)
            stats = entry.stats
            stats.in_flight += 1
            sink = None
            if method not in entry.plans:  # learn what this method is charged to, once
                sink = []
                learning = PLAN_SINK.set(sink)
            started = time.perf_counter()
            if task is not None:
                entry.calls[task] = (started, method, args, kwargs, exchange_id, priority)
            rescued = None
            try:
                if priority == current_priority():  # the usual case: no context to set and reset
                    result = await client.call(method, *args, **kwargs)
                else:
                    with request_priority(priority):
                        result = await client.call(method, *args, **kwargs)
            except ExchangeError as exc:
                last_error = exc
            except asyncio.CancelledError:
                # The watchdog's doing (a hedge answered first, or the connection is suspect),
                # unless someone else cancelled too.
                rescued = rescues.pop(task, None) if task is not None else None
                if rescued is None or task.uncancel() > 0:  # type: ignore[union-attr]
                    raise
                if type(rescued) is Won:
                    return rescued.result
                last_error = ExchangeError(ErrorKind.TIMEOUT, f"{entry.exchange.value}: {rescued.reason}")
            else:
                last_error = None
            finally:
                stats.in_flight -= 1
                if task is not None:
                    del entry.calls[task]
                    if self._hedges:
                        self._end_hedge(task)
                if sink is not None:
                    PLAN_SINK.reset(learning)
                    if sink:
                        entry.plans[method] = sink[-1]
            if last_error is None:
                self._record_success(entry, time.perf_counter() - started)
                return result
            if rescued is None:
                self._record_failure(entry, last_error, time.perf_counter() - started)
            if attempts == 1 or not last_error.kind.retryable:
                raise last_error
            excluded |= {entry.id}
            if exchange_id is None and last_error.kind in _EXCHANGE_WIDE:
                excluded_exchanges |= {entry.exchange}
            if attempt + 1 < attempts and lb.retry_backoff_ms and rescued is None:
                await asyncio.sleep(lb.retry_backoff_ms * 2**attempt / 1000)
        if last_error is not None:
            raise last_error
        where = f" on {exchange_id}" if exchange_id else ""
        raise ExchangeError(ErrorKind.EXCHANGE_DOWN, f"no healthy connection{where} can {method}")

    def record_outcome(self, entry: ManagedConnection, elapsed_s: float, error: ExchangeError | None = None) -> None:
        """A request sent outside ``execute_request`` (a lent ccxt exchange): the same
        statistics and breaker as any other."""
        if error is None:
            self._record_success(entry, elapsed_s)
        else:
            self._record_failure(entry, error, elapsed_s)

    def lease(self, exchange_id: str | None = None, method: str = "fetch_ticker") -> ManagedConnection:
        """A connection for direct use (``ExchangeManager.get_connection``), counted in flight
        until ``release``."""
        entry = self.choose(method, exchange_id)
        if entry is None:
            where = f" on {exchange_id}" if exchange_id else ""
            raise ExchangeError(ErrorKind.EXCHANGE_DOWN, f"no healthy connection{where}")
        entry.stats.in_flight += 1
        return entry

    def release(self, entry: ManagedConnection) -> None:
        entry.stats.in_flight -= 1

    # --- the watchdog: suspicion and hedged reads (core/suspicion.py, core/hedging.py) ---------

    async def _watch(self) -> None:
        """Every ``routing.watch_interval_ms``: nothing per request, one pass over the reads in
        flight."""
        while True:
            await asyncio.sleep(self._config.routing.watch_interval_ms / 1000)
            try:
                self._watch_tick(time.perf_counter())
            except Exception:  # a bug here must not stop the watching
                log.exception("watchdog tick failed")

    def _watch_tick(self, now: float) -> None:
        routing = self._config.routing
        last, self._last_tick = self._last_tick, now
        # A loop that could not run the watchdog on time could not read answers either: that
        # quiet time is ours, not the exchange's.
        lagged = last is not None and now - last - routing.watch_interval_ms / 1000 > routing.suspect_floor_ms / 2000
        thresholds: dict[ExchangeId, float] = {}
        suspects: list[ManagedConnection] = []
        for entry in list(self._entries.values()):
            calls, watch = entry.calls, entry.watch
            busy = bool(calls or watch.abandoned) and not lagged
            quiet = watch.observe(entry.stats.requests, busy, now)
            if not busy or not entry.breaker.allows_traffic:
                continue
            settings = entry.routing
            if settings.suspect and entry.stats.successes:  # one that never answered has no "usual"
                threshold = thresholds.get(entry.exchange)
                if threshold is None:
                    latency = self._exchange_latency.get(entry.exchange)
                    p99 = latency.percentile(99) if latency is not None else None
                    threshold = threshold_s(p99, settings.suspect_factor, settings.suspect_floor_ms)
                    thresholds[entry.exchange] = threshold
                old = unanswered((call[STARTED] for call in calls.values()), now, threshold)
                old += unanswered(watch.abandoned, now, threshold)
                if is_suspect(quiet, old, threshold, settings.suspect_min_requests) and not self._budget_held(entry):
                    suspects.append(entry)
                    continue
            if calls and settings.hedge and settings.hedge_max_share > 0:
                self._hedge_old_reads(entry, now)
        for entry in suspects:
            self._suspect(entry, now, suspects)

    def _budget_held(self, entry: ManagedConnection) -> bool:
        """Its oldest read may be waiting for the rate-limit budget, not for the exchange."""
        call = next(iter(entry.calls.values()), None)
        if call is None:
            return False
        plan = entry.plans.get(call[METHOD])
        return plan is not None and self.limiter.budget_wait(plan, call[PRIORITY]) > 0

    def _suspect(self, entry: ManagedConnection, now: float, batch: list[ManagedConnection]) -> None:
        """Out of rotation at once, breaker open ("not answering"), its reads go elsewhere. All
        of an exchange's connections may go when all of them stopped answering; otherwise the
        share ``health.max_ejected_share`` holds."""
        if not entry.breaker.allows_traffic:
            return
        peers = [e for e in self._entries.values() if e.exchange is entry.exchange and e.state is _S.ACTIVE]
        whole_exchange = all(e in batch or not e.breaker.allows_traffic for e in peers)
        if not whole_exchange and not self._may_eject(entry):
            return
        starts = [call[STARTED] for call in entry.calls.values()] + entry.watch.abandoned
        message = f"{NOT_ANSWERING}: {len(starts)} requests unanswered, the oldest for {now - min(starts):.2f} s"
        entry.watch.abandoned.clear()
        log.warning("%s (%s) %s", entry.id, entry.exchange.value, message)
        entry.watch.suspects += 1
        entry.stats.last_error = message
        self.metrics.suspects.labels(entry.exchange.value, entry.id).inc()
        self._open_breaker(entry, NOT_ANSWERING)
        rescue = Rescued(NOT_ANSWERING)
        for task in list(entry.calls):
            if task not in self._rescues:
                self._rescues[task] = rescue
                task.cancel()

    def _recent_requests(self, exchange: ExchangeId) -> int:
        total = 0
        for entry in self._entries.values():
            if entry.exchange is exchange:
                ok, failed = entry.stats.recent.totals()
                total += ok + failed
        return total

    def _hedge_old_reads(self, entry: ManagedConnection, now: float) -> None:
        """Hedge the reads older than the hedge delay; a read that will reach it before the
        next tick gets a timer for that moment (only those: no work per request)."""
        settings = entry.routing
        latency = self._exchange_latency.get(entry.exchange)
        percentile = latency.percentile(settings.hedge_percentile) if latency is not None else None
        delay = delay_s(percentile, settings.hedge_min_ms, settings.hedge_max_ms)
        horizon = self._config.routing.watch_interval_ms / 1000
        for task, call in list(entry.calls.items()):  # oldest first
            due = call[STARTED] + delay - now
            if due > horizon:
                break
            if task in self._hedges or task in self._rescues or task in self._hedge_timers or task.done():
                continue
            if due > 0:
                self._hedge_timers[task] = asyncio.get_running_loop().call_later(due, self._hedge_due, entry, task, call)
            elif not self._try_hedge(entry, task, call, now):
                break

    def _hedge_due(self, entry: ManagedConnection, task: asyncio.Task[Any], call: Call) -> None:
        self._hedge_timers.pop(task, None)
        if entry.calls.get(task) is not call or not self._started or task in self._hedges or task in self._rescues:
            return
        if entry.breaker.allows_traffic and entry.routing.hedge:
            self._try_hedge(entry, task, call, time.perf_counter())

    def _try_hedge(self, entry: ManagedConnection, task: asyncio.Task[Any], call: Call, now: float) -> bool:
        """Send ``call`` on another connection that can send it now, if the cap allows; False
        when no later read of this connection can be hedged either (cap reached, nowhere to go)."""
        method, target, priority = call[METHOD], call[TARGET], call[PRIORITY]
        if target is not None and target in self._entries:
            return True  # pinned to this very connection: nowhere else to send it
        exchange = entry.exchange.value
        requests = self._recent_requests(entry.exchange)
        if not self._hedge_budget.allows(exchange, now, requests, entry.routing.hedge_max_share):
            return False
        alt = None
        if target is None:  # anywhere: another exchange first
            alt = self.choose(method, None, {entry.id}, {entry.exchange}, priority)
        if alt is None:
            alt = self.choose(method, target, {entry.id}, frozenset(), priority)
        if alt is None:
            return False
        plan = alt.plans.get(method)
        if plan is not None and self.limiter.free_in(plan, priority):
            return True  # a hedge never waits for budget
        self._hedge_budget.spend(exchange, now)
        entry.watch.hedges_sent += 1
        self._hedges[task] = self._spawn(self._hedge(task, entry, alt, call))
        return True

    async def _hedge(
        self, original: asyncio.Task[Any], entry: ManagedConnection, alt: ManagedConnection, call: Call
    ) -> None:
        """Send ``call`` on ``alt``; the first answer wins (the loser is cancelled)."""
        client = self.hub.client_for(alt.connection)
        stats = alt.stats
        stats.in_flight += 1
        started = time.perf_counter()
        counter = self.metrics.hedges
        try:
            with request_priority(call[PRIORITY]):
                result = await client.call(call[METHOD], *call[ARGS], **call[KWARGS])
        except ExchangeError as exc:
            self._record_failure(alt, exc, time.perf_counter() - started)
            counter.labels(entry.exchange.value, Outcome.FAILED.value).inc()
            return
        except asyncio.CancelledError:
            counter.labels(entry.exchange.value, Outcome.LOST.value).inc()
            raise
        finally:
            stats.in_flight -= 1
            if self._hedges.get(original) is asyncio.current_task():
                del self._hedges[original]
        self._record_success(alt, time.perf_counter() - started)
        if original in entry.calls and type(self._rescues.get(original)) is not Won:
            cancel = original not in self._rescues  # a suspect's rescue already cancelled it
            self._rescues[original] = Won(result)
            if cancel:
                original.cancel()
                entry.watch.abandoned.append(call[STARTED])
            entry.watch.hedges_won += 1
            counter.labels(entry.exchange.value, Outcome.WON.value).inc()
        else:
            counter.labels(entry.exchange.value, Outcome.LOST.value).inc()

    @staticmethod
    def _warn_beyond_documented(config: Config) -> None:
        for note in beyond_documented(config):
            log.warning("%s", note)

    def _end_hedge(self, task: asyncio.Task[Any]) -> None:
        """The original answered (or failed) first: its hedge is cancelled."""
        hedge = self._hedges.pop(task, None)
        if hedge is not None:
            hedge.cancel()

    # --- configuration ------------------------------------------------------------------------

    async def reload_config(self, new: Config | Path | str, source: str = "call") -> Config:
        """Apply a new configuration while running. A file that does not load raises
        ``ConfigError`` with its message and changes nothing."""
        config = new if isinstance(new, Config) else load_config(Path(new), required=True)
        old = self._config
        self._config = config
        self.limiter.reconfigure(config)
        self.hub.reconfigure(config)
        for entry in self._entries.values():
            entry.reconfigure(config)
        self._routes.invalidate()
        if config.health != old.health:
            self._health.reconfigure(config.health)
        self._batches.reconfigure(config.batch)
        self.alerts.reconfigure(config.alerts)
        await self.streams.reconfigure(config.streams)
        lb_old, lb_new = old.load_balancing, config.load_balancing
        if (lb_new.strategy, lb_new.failover_order) != (lb_old.strategy, lb_old.failover_order):
            self._strategy = make_strategy(lb_new.strategy, lb_new.failover_order)
        changed = changed_settings(old, config)
        shown = ", ".join(changed[:20]) + (f" and {len(changed) - 20} more" if len(changed) > 20 else "")
        log.warning("configuration reloaded (%s): %s", source, f"changed {shown}" if changed else "nothing changed")
        self._warn_beyond_documented(config)
        self._bus.publish(ConfigReloaded(source, changed=tuple(changed)))
        self._mark_dirty()
        return config

    async def _reload_quietly(self, path: Path, source: str) -> None:
        try:
            await self.reload_config(path, source)
        except ConfigError as exc:
            log.warning("configuration not reloaded: %s", exc.message)
            self._bus.publish(ConfigReloaded(source, error=exc.message))

    def watch_config(self, path: Path | str) -> None:
        """Reload ``path`` when it changes (polled each second) and on SIGHUP (when running in
        the main thread on a Unix loop)."""
        target = Path(path)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: self._spawn(self._reload_quietly(target, "SIGHUP"))
            )
            self._sighup_installed = True
        poll = self._poll_config(target, _file_signature(target))
        self._loops.append(asyncio.create_task(poll, name="cts-config-watch"))

    async def _poll_config(self, path: Path, seen: tuple[float, int] | None) -> None:
        while True:
            await asyncio.sleep(CONFIG_POLL_S)
            current = _file_signature(path)
            if current != seen and current is not None:
                seen = current
                await self._reload_quietly(path, "file")


def _file_signature(path: Path) -> tuple[float, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime, stat.st_size
