"""The specification's Python API, on top of the coordinator: ``ExchangeManager``,
``ExchangeConnection``, ``ExchangeStatus``, ``ConnectionPool`` (public names in
``cts_tui.manager_api``).

    manager = ExchangeManager(ConnectionStrategy.WEIGHTED_ROUND_ROBIN)
    await manager.initialize()
    ticker = await manager.execute_request("fetch_ticker", "BTC/USDT")
    status = await manager.get_exchange_status("binance")
    async with manager.get_connection("binance") as connection:
        book = await connection.exchange.fetch_order_book("BTC/USDT")
    await manager.close()

Given a running ``coordinator`` it uses that one (and leaves closing it to its owner); otherwise
``initialize()`` opens a whole runtime on ``config`` (default: the config file, found as the CLI
finds it, ``CONFIG_PATH`` included, with the specification's variables) and ``db_path`` (default:
the store's usual place) and ``close()`` ends it. Connections the config or the environment give
are tested before ``initialize()`` returns, so the first request finds them ready.

``get_connection`` lends a real ccxt exchange (``exchanges/lending.py``): any ccxt method works on
it, and each of its requests still passes the limiter, the HTTP pool, the connection's
statistics and its circuit breaker. Pionex and OrangeX have no ccxt class: theirs is the native
client (``fetch_ticker``, ``fetch_balance``, ``call(method, ...)``), observed the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from cts_tui.config import Config, load_config
from cts_tui.core.connection_pool import ConnectionPool, ExchangeConnection, ExchangeStatus
from cts_tui.core.coordinator import ConnectionCoordinator
from cts_tui.core.snapshots import ConnectionView
from cts_tui.errors import CtsError
from cts_tui.models import ConnectionState, ExchangeId
from cts_tui.ratelimit.priority import Priority


class ConnectionStrategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED_ROUND_ROBIN = "weighted_round_robin"
    LEAST_LATENCY = "least_latency"
    LEAST_CONNECTIONS = "least_connections"
    FAILOVER = "failover"


def exchange_status(views: list[ConnectionView]) -> ExchangeStatus:
    """healthy: every active connection healthy; degraded: some; unhealthy: none; disabled:
    nothing active."""
    active = [v for v in views if v.state is ConnectionState.ACTIVE]
    healthy = sum(1 for v in active if v.healthy)
    if not active:
        return ExchangeStatus.DISABLED
    if healthy == len(active):
        return ExchangeStatus.HEALTHY
    return ExchangeStatus.DEGRADED if healthy else ExchangeStatus.UNHEALTHY


class ExchangeManager:
    def __init__(
        self,
        strategy: ConnectionStrategy | str | None = None,
        *,
        config: Config | None = None,
        db_path: Path | str | None = None,
        master_key: str | bytes | None = None,
        coordinator: ConnectionCoordinator | None = None,
    ) -> None:
        self._strategy = None if strategy is None else ConnectionStrategy(strategy)
        self._config = config
        self._db_path = db_path
        self._master_key = master_key
        self._coordinator = coordinator
        self._stack: contextlib.AsyncExitStack | None = None
        self.pool = ConnectionPool()
        """Where ``get_connection`` borrows from (``pool.get_connection(exchange_id, manager)``)."""

    @property
    def coordinator(self) -> ConnectionCoordinator:
        if self._coordinator is None:
            raise CtsError("the exchange manager is not initialized (await initialize() first)")
        return self._coordinator

    async def initialize(self) -> None:
        if self._coordinator is None:
            from cts_tui.core.runtime import open_runtime

            stack = contextlib.AsyncExitStack()
            try:
                runtime = await stack.enter_async_context(
                    open_runtime(self._config or load_config(), self._db_path, master_key=self._master_key)
                )
                if runtime.env_tests is not None:
                    await runtime.env_tests
            except BaseException:
                await stack.aclose()
                raise
            self._stack = stack
            self._coordinator = runtime.coordinator
        if self._strategy is not None:
            self._coordinator.set_strategy(self._strategy.value)

    async def close(self) -> None:
        self.pool.clear()
        if self._stack is not None:
            stack, self._stack = self._stack, None
            self._coordinator = None
            await stack.aclose()

    async def __aenter__(self) -> ExchangeManager:
        await self.initialize()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def execute_request(
        self,
        method: str,
        *args: Any,
        exchange_id: str | None = None,
        priority: Priority = Priority.NORMAL,
        **kwargs: Any,
    ) -> Any:
        """Any ccxt unified method (``fetch_ticker``, ``fetch_order_book``, ``create_order``...),
        sent to a connection that supports it. ``exchange_id``: an exchange name, a connection
        id, or None for any connection that can."""
        return await self.coordinator.execute_request(
            method, *args, exchange_id=exchange_id, priority=priority, **kwargs
        )

    async def get_exchange_status(self, exchange_id: str) -> dict[str, Any]:
        coordinator = self.coordinator
        exchange = ExchangeId(exchange_id)
        views = coordinator.get_connections_by_exchange(exchange)
        ev = coordinator.exchange_health(exchange)
        active = [v for v in views if v.state is ConnectionState.ACTIVE]
        scores = [v.health_score for v in active]
        latencies = [v.latency_ms for v in active if v.latency_ms is not None]
        return {
            "exchange_id": exchange.value,
            "status": exchange_status(views),
            "connections": ev.connections,
            "active": ev.active,
            "healthy": ev.healthy,
            "health_score": round(sum(scores) / len(scores), 1) if scores else 0.0,
            "latency_ms": round(sum(latencies) / len(latencies), 1) if latencies else None,
            "success_rate": ev.success_rate,
            "requests": ev.requests,
            "rate_limit_usage_pct": ev.rate_limit_usage_pct,
            "breakers_open": ev.breakers_open,
            "banned": ev.banned,
        }

    async def get_all_exchanges(self) -> list[str]:
        """Exchanges with at least one active connection."""
        views = self.coordinator.get_all_connections()
        return sorted({v.exchange.value for v in views if v.state is ConnectionState.ACTIVE})

    @contextlib.asynccontextmanager
    async def get_connection(self, exchange_id: str | None = None) -> AsyncIterator[ExchangeConnection]:
        """Lend a connection of ``exchange_id`` (chosen by the strategy; counted in flight
        while lent) with its ccxt exchange; returned to the pool on leaving the block."""
        connection = await self.pool.get_connection(exchange_id, self)
        try:
            yield connection
        finally:
            await self.pool.return_connection(connection)

    async def _check_connection_health(self, connection: ExchangeConnection) -> bool:
        """The specification's health check of one connection: a check now (its breaker and
        statistics follow), and the connection's status, latency and score brought up to date."""
        coordinator = self.coordinator
        passed = (await coordinator.run_health_checks([connection.connection_id])).get(connection.connection_id, False)
        connection.refresh(coordinator.get_connection(connection.connection_id))
        return passed
