"""The specification's ``ConnectionPool`` and ``ExchangeConnection``: connections lent for
direct use, their ccxt instances kept for reuse.

A lent connection is counted in flight on the coordinator (the least-connections strategy sees
it) until it is returned. Its ccxt instance (``exchanges/lending.py``) costs a clone of the shared
prototype, cheap but not free: returned instances wait idle, per connection, up to
``pool.per_host_limit`` of them for ``pool.keepalive_s`` (the specification's
``connection_pool.max_size`` / ``idle_timeout``), and the next lend of that connection takes one.
An instance whose connection was edited meanwhile (new keys, another host) is never lent again.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
import ccxt

from cts_tui.core.breaker import BreakerState
from cts_tui.core.managed import ManagedConnection
from cts_tui.core.snapshots import ConnectionView
from cts_tui.errors import CtsError, ErrorKind, ExchangeError
from cts_tui.exchanges.base import INTERFACE_METHODS, ExchangeClient
from cts_tui.exchanges.ccxt_client import CcxtClient
from cts_tui.exchanges.context import CallRecord
from cts_tui.models import Connection, ConnectionState

if TYPE_CHECKING:
    from cts_tui.core.coordinator import ConnectionCoordinator


class Lender(Protocol):
    """Who borrows from the pool (``ExchangeManager``): its coordinator chooses and leases."""

    @property
    def coordinator(self) -> ConnectionCoordinator: ...


def _refused(message: str) -> ExchangeError:
    return ExchangeError(ErrorKind.EXCHANGE_DOWN, message)


class ExchangeStatus(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    DISABLED = "disabled"

    @classmethod
    def of(cls, view: ConnectionView) -> ExchangeStatus:
        """One connection's: disabled or paused; unhealthy (error, breaker open); healthy
        (active, healthy, breaker closed); degraded otherwise (testing, half-open, slipping)."""
        if view.state in (ConnectionState.DISABLED, ConnectionState.PAUSED):
            return cls.DISABLED
        if view.state is ConnectionState.ERROR or view.breaker == BreakerState.OPEN:
            return cls.UNHEALTHY
        if view.state is ConnectionState.ACTIVE and view.healthy and view.breaker == BreakerState.CLOSED:
            return cls.HEALTHY
        return cls.DEGRADED


class _LentRequests:
    """Sees every request of a lent exchange: refused while the breaker is open (``refusal``:
    ccxt's exception for a ccxt instance, ours for a native client), and counted in the
    connection's statistics and breaker like any other."""

    def __init__(
        self, coordinator: ConnectionCoordinator, entry: ManagedConnection, client: Any,
        refusal: Callable[[str], Exception],
    ) -> None:
        self._coordinator = coordinator
        self._entry = entry
        self._client = client
        self._refusal = refusal

    def before(self) -> None:
        if self._entry.breaker.state is BreakerState.OPEN:
            raise self._refusal(
                f"{self._entry.exchange.value}: connection {self._entry.id} is out of rotation (circuit breaker open)"
            )

    def after(self, elapsed_s: float, failure: BaseException | None, record: CallRecord | None) -> None:
        if failure is None:
            self._coordinator.record_outcome(self._entry, elapsed_s)
        elif isinstance(failure, ExchangeError):
            self._coordinator.record_outcome(self._entry, elapsed_s, failure)
        elif record is not None:
            self._coordinator.record_outcome(self._entry, elapsed_s, self._client.classify(failure, record))


class _LentNativeClient:
    """A native client lent (Pionex and OrangeX have no ccxt class), its calls observed as a
    lent ccxt instance's requests are; everything else is the client's."""

    def __init__(self, client: ExchangeClient, observer: _LentRequests) -> None:
        self._client = client
        self._observer = observer

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if not callable(found) or name not in _NATIVE_CALLS:
            return found

        async def observed(*args: Any, **kwargs: Any) -> Any:
            self._observer.before()
            started = time.perf_counter()
            try:
                result = await found(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - observed, then raised as it is
                self._observer.after(time.perf_counter() - started, exc, None)
                raise
            self._observer.after(time.perf_counter() - started, None, None)
            return result

        return observed


_NATIVE_CALLS = INTERFACE_METHODS | {"call"}
"""The client's methods that send requests (``exchanges/base.py``)."""


@dataclass(eq=False)
class ExchangeConnection:
    """A connection lent by ``ConnectionPool.get_connection`` (the specification's fields
    first). ``latency`` is in milliseconds (recent average), ``health_score`` 0-100."""

    exchange_id: str
    exchange: Any
    """A ccxt exchange (``ccxt.async_support``), or the native client for Pionex and OrangeX."""
    status: ExchangeStatus
    session: aiohttp.ClientSession
    latency: float | None
    health_score: float
    connection_id: str
    name: str
    api_type: str
    origin: str
    created_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    uses: int = 0
    _coordinator: ConnectionCoordinator | None = field(default=None, repr=False)
    _entry: ManagedConnection | None = field(default=None, repr=False)
    _model: Connection | None = field(default=None, repr=False)

    def refresh(self, view: ConnectionView) -> None:
        self.status = ExchangeStatus.of(view)
        self.latency = view.latency_ms
        self.health_score = view.health_score


@dataclass(slots=True)
class PoolStats:
    lent: int = 0
    idle: int = 0
    created: int = 0
    reused: int = 0

    @property
    def reuse_pct(self) -> float:
        total = self.created + self.reused
        return 100.0 * self.reused / total if total else 0.0


class ConnectionPool:
    def __init__(self) -> None:
        self._idle: dict[str, deque[ExchangeConnection]] = {}
        self._lent: set[int] = set()
        self._created = 0
        self._reused = 0
        self._max_idle = 0

    async def get_connection(self, exchange_id: str | None, manager: Lender) -> ExchangeConnection:
        """A connection of ``exchange_id`` (an exchange name or a connection id; None: any),
        chosen by the manager's strategy among those that take traffic."""
        coordinator = manager.coordinator
        settings = coordinator.config.pool
        self._max_idle = settings.per_host_limit
        entry = coordinator.lease(exchange_id)
        try:
            connection = self._reuse(entry, settings.keepalive_s) or await self._create(coordinator, entry)
        except BaseException:
            coordinator.release(entry)
            raise
        connection.refresh(coordinator.get_connection(entry.id))
        connection.uses += 1
        connection.last_used = time.time()
        self._lent.add(id(connection))
        return connection

    def _reuse(self, entry: ManagedConnection, idle_timeout_s: float) -> ExchangeConnection | None:
        idle = self._idle.get(entry.id)
        now = time.time()
        while idle:
            connection = idle.pop()
            if connection._model is entry.connection and now - connection.last_used <= idle_timeout_s:
                self._reused += 1
                return connection
        return None

    async def _create(self, coordinator: ConnectionCoordinator, entry: ManagedConnection) -> ExchangeConnection:
        client = coordinator.hub.client_for(entry.connection)
        if isinstance(client, CcxtClient):
            exchange = await client.lend(_LentRequests(coordinator, entry, client, ccxt.ExchangeNotAvailable))
        else:
            exchange = _LentNativeClient(client, _LentRequests(coordinator, entry, client, _refused))
        self._created += 1
        model = entry.connection
        view = coordinator.get_connection(entry.id)
        return ExchangeConnection(
            exchange_id=model.exchange.value, exchange=exchange, status=ExchangeStatus.of(view),
            session=coordinator.hub.session(), latency=view.latency_ms,
            health_score=view.health_score, connection_id=model.id, name=model.name,
            api_type=model.api_type.value, origin=model.origin,
            _coordinator=coordinator, _entry=entry, _model=model,
        )

    async def return_connection(self, connection: ExchangeConnection) -> None:
        """Back to the pool: no longer counted in flight; its instance kept for the next lend
        of that connection while there is room."""
        if id(connection) not in self._lent:
            raise CtsError(f"connection {connection.connection_id} is not lent by this pool (returned twice?)")
        self._lent.discard(id(connection))
        entry, coordinator = connection._entry, connection._coordinator
        assert entry is not None and coordinator is not None
        coordinator.release(entry)
        connection.last_used = time.time()
        idle = self._idle.setdefault(connection.connection_id, deque())
        if entry.connection is connection._model and len(idle) < self._max_idle:
            idle.append(connection)

    def stats(self) -> PoolStats:
        return PoolStats(
            lent=len(self._lent), idle=sum(len(q) for q in self._idle.values()),
            created=self._created, reused=self._reused,
        )

    def clear(self) -> None:
        """Forget the idle instances (the manager closes, or reloads)."""
        self._idle.clear()
