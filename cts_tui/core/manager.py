"""``ExchangeManager``: the specification's Python API, on top of the coordinator.

    manager = ExchangeManager(ConnectionStrategy.WEIGHTED_ROUND_ROBIN, config=config, db_path=db)
    await manager.initialize()
    ticker = await manager.execute_request("fetch_ticker", "BTC/USDT")
    status = await manager.get_exchange_status("binance")
    async with manager.get_connection("binance") as connection:
        ticker = await connection.exchange.fetch_ticker("BTC/USDT")
    await manager.close()

Given a running ``coordinator`` it uses that one (and leaves closing it to its owner); otherwise
``initialize()`` opens a whole runtime (store, limiter, hub, coordinator) and ``close()`` ends it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from cts_tui.config import Config
from cts_tui.core.coordinator import ConnectionCoordinator
from cts_tui.core.snapshots import ConnectionView
from cts_tui.errors import CtsError
from cts_tui.exchanges.base import ExchangeClient
from cts_tui.models import ConnectionState, ExchangeId
from cts_tui.ratelimit.priority import Priority


class ConnectionStrategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED_ROUND_ROBIN = "weighted_round_robin"
    LEAST_LATENCY = "least_latency"
    LEAST_CONNECTIONS = "least_connections"
    FAILOVER = "failover"


@dataclass(frozen=True, slots=True)
class ConnectionLease:
    """A connection lent by ``get_connection``: its view and its client (``.exchange``)."""

    connection: ConnectionView
    exchange: ExchangeClient


def exchange_status(views: list[ConnectionView]) -> str:
    """healthy: every active connection healthy; degraded: some; unhealthy: none; disabled:
    nothing active."""
    active = [v for v in views if v.state is ConnectionState.ACTIVE]
    healthy = sum(1 for v in active if v.healthy)
    if not active:
        return "disabled"
    if healthy == len(active):
        return "healthy"
    return "degraded" if healthy else "unhealthy"


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

    @property
    def coordinator(self) -> ConnectionCoordinator:
        if self._coordinator is None:
            raise CtsError("the exchange manager is not initialized (await initialize() first)")
        return self._coordinator

    async def initialize(self) -> None:
        if self._coordinator is None:
            from cts_tui.core.runtime import open_runtime

            stack = contextlib.AsyncExitStack()
            runtime = await stack.enter_async_context(
                open_runtime(self._config or Config(), self._db_path, master_key=self._master_key)
            )
            self._stack = stack
            self._coordinator = runtime.coordinator
        if self._strategy is not None:
            self._coordinator.set_strategy(self._strategy.value)

    async def close(self) -> None:
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
        """``exchange_id``: an exchange name, a connection id, or None for any that can."""
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
    async def get_connection(self, exchange_id: str | None = None) -> AsyncIterator[ConnectionLease]:
        """Lend a healthy connection of ``exchange_id`` (chosen by the strategy; counted in
        flight while lent). Calls made on it directly bypass the balancer's bookkeeping."""
        coordinator = self.coordinator
        entry = coordinator.lease(exchange_id)
        try:
            yield ConnectionLease(coordinator.get_connection(entry.id), coordinator.hub.client_for(entry.connection))
        finally:
            coordinator.release(entry)
