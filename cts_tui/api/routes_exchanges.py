"""``/api/v1/exchanges``: the specification's exchange-manager endpoints.

``{id}`` is an exchange (binance, okx, ...). Enabling or disabling an exchange enables or
disables each of its connections (persisted and audited like any other change); testing one
tests each of its enabled connections.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, get_args

from yarl import URL

from cts_tui.api.bodies import HealthCheckFilter, StrategyBody, StrategyName, StreamFilter
from cts_tui.api.endpoints import ApiError, Call, Routes
from cts_tui.api.responses import (
    DashboardAnswer,
    ExchangeBatchAnswer,
    HealthCheckAnswer,
    PerformanceAnswer,
    PoolAnswer,
    StrategyAnswer,
    StreamsAnswer,
    SwitchAnswer,
)
from cts_tui.api.wire import (
    batch_json,
    connection_brief,
    exchange_performance,
    exchanges_status,
    now_iso,
    overall_status,
    rate_limiter_json,
    stream_json,
    system_status,
    totals_json,
)
from cts_tui.capabilities import ExchangeId
from cts_tui.core.snapshots import ConnectionView, to_jsonable
from cts_tui.errors import InvalidTransition
from cts_tui.models import ConnectionState

routes = Routes("exchanges")
EXCHANGE = {"id": "exchange: " + ", ".join(e.value for e in ExchangeId)}


def _exchange(call: Call) -> ExchangeId:
    try:
        return ExchangeId(call.params["id"])
    except ValueError:
        raise ApiError(404, f"unknown exchange (one of: {', '.join(e.value for e in ExchangeId)})") from None


def _connections_of(call: Call, exchange: ExchangeId) -> list[ConnectionView]:
    return list(call.state.coordinator.get_connections_by_exchange(exchange))


@routes.get("/api/v1/exchanges/status", "Status of every exchange", auth=False)
async def all_status(call: Call) -> dict[str, Any]:
    snapshot = call.state.coordinator.snapshot()
    return {
        "timestamp": now_iso(),
        "status": overall_status(snapshot),
        "strategy": snapshot.strategy,
        "exchanges": exchanges_status(snapshot),
    }


@routes.get(
    "/api/v1/exchanges/{id}/status",
    "Status of one exchange and its connections",
    auth=True,
    params=EXCHANGE,
    errors=(401, 404),
)
async def one_status(call: Call) -> dict[str, Any]:
    exchange = _exchange(call)
    snapshot = call.state.coordinator.snapshot()
    status = exchanges_status(snapshot).get(exchange.value)
    if status is None:
        raise ApiError(404, f"{exchange.value} has no connections")
    status["connections_detail"] = [connection_brief(c) for c in _connections_of(call, exchange)]
    return status


@routes.get(
    "/api/v1/exchanges/test-connection/{id}",
    "Test every enabled connection of an exchange now",
    auth=True,
    response=ExchangeBatchAnswer,
    params=EXCHANGE,
    errors=(401, 404),
)
async def test_exchange(call: Call) -> dict[str, Any]:
    exchange = _exchange(call)
    ids = [c.id for c in _connections_of(call, exchange) if c.enabled]
    if not ids:
        raise ApiError(404, f"{exchange.value} has no enabled connections")
    result = await call.state.coordinator.test_connections(ids)
    return {"exchange": exchange.value, **batch_json(result)}


@routes.get("/api/v1/exchanges/load-balance", "The balancing strategy and each exchange's share", auth=False)
async def load_balance(call: Call) -> dict[str, Any]:
    coordinator = call.state.coordinator
    snapshot = coordinator.snapshot()
    config = coordinator.config
    total = sum(v.requests for v in snapshot.exchanges.values())
    return {
        "strategy": snapshot.strategy,
        "strategies": list(get_args(StrategyName)),
        "failover_order": [e.value for e in config.load_balancing.failover_order],
        "max_retries": config.load_balancing.max_retries,
        "exchanges": {
            view.exchange.value: {
                "weight": config.limits(view.exchange).weight,
                "in_rotation": view.healthy > 0 and not view.banned,
                "healthy_connections": view.healthy,
                "requests": view.requests,
                "share_pct": round(view.requests / total * 100, 2) if total else None,
                "requests_per_s": round(view.requests_per_s, 2),
            }
            for view in snapshot.exchanges.values()
        },
    }


@routes.post(
    "/api/v1/exchanges/load-balance/strategy",
    "Set the balancing strategy",
    auth=True,
    response=StrategyAnswer,
    body=StrategyBody,
    errors=(400, 401, 413, 422),
)
async def set_strategy(call: Call) -> dict[str, Any]:
    coordinator = call.state.coordinator
    previous = coordinator.strategy
    coordinator.set_strategy(call.body.strategy)
    return {"success": True, "strategy": coordinator.strategy, "previous": previous}


@routes.post(
    "/api/v1/exchanges/health-check",
    "Run health checks now (all connections, or one exchange's)",
    auth=True,
    response=HealthCheckAnswer,
    query=HealthCheckFilter,
    errors=(400, 401),
)
async def health_check(call: Call) -> dict[str, Any]:
    coordinator = call.state.coordinator
    f: HealthCheckFilter = call.query
    ids = None if f.exchange is None else [c.id for c in coordinator.get_connections_by_exchange(f.exchange)]
    started = time.monotonic()
    results = await coordinator.run_health_checks(ids)
    return {
        "success": True,
        "checked": len(results),
        "healthy": sum(results.values()),
        "results": results,
        "duration_ms": round((time.monotonic() - started) * 1000),
    }


async def _switch(call: Call, enable: bool) -> dict[str, Any]:
    exchange = _exchange(call)
    coordinator = call.state.coordinator
    views = _connections_of(call, exchange)
    if not views:
        raise ApiError(404, f"{exchange.value} has no connections")
    if enable:
        targets = [v.id for v in views if v.state is ConnectionState.DISABLED]
        action = coordinator.enable
    else:
        targets = [v.id for v in views if v.state is not ConnectionState.DISABLED]
        action = coordinator.disable
    outcomes = await asyncio.gather(*(action(i, "api") for i in targets), return_exceptions=True)
    for outcome in outcomes:  # a connection that moved meanwhile is skipped; anything else is real
        if isinstance(outcome, BaseException) and not isinstance(outcome, InvalidTransition):
            raise outcome
    changed = [i for i, o in zip(targets, outcomes, strict=True) if not isinstance(o, BaseException)]
    return {
        "success": True,
        "exchange": exchange.value,
        "enabled": enable,
        "changed": changed,
        "connections": [connection_brief(v) for v in _connections_of(call, exchange)],
    }


@routes.post(
    "/api/v1/exchanges/{id}/enable",
    "Enable every disabled connection of an exchange (each is tested)",
    auth=True,
    response=SwitchAnswer,
    params=EXCHANGE,
    errors=(401, 404),
)
async def enable_exchange(call: Call) -> dict[str, Any]:
    return await _switch(call, True)


@routes.post(
    "/api/v1/exchanges/{id}/disable",
    "Disable every connection of an exchange",
    auth=True,
    response=SwitchAnswer,
    params=EXCHANGE,
    errors=(401, 404),
)
async def disable_exchange(call: Call) -> dict[str, Any]:
    return await _switch(call, False)


@routes.get(
    "/api/v1/exchanges/metrics/performance",
    "Request figures per exchange and in total, and where rate-limit budgets are counted",
    auth=False,
    response=PerformanceAnswer,
)
async def performance(call: Call) -> dict[str, Any]:
    snapshot = call.state.coordinator.snapshot()
    return {
        "timestamp": now_iso(),
        "totals": totals_json(snapshot),
        "exchanges": {v.exchange.value: exchange_performance(v) for v in snapshot.exchanges.values()},
        "rate_limiter": rate_limiter_json(snapshot),
    }


@routes.get(
    "/api/v1/exchanges/streams",
    "Live market streams per exchange: state, messages/s, lateness, stalls, reconnects",
    auth=False,
    response=StreamsAnswer,
    query=StreamFilter,
    errors=(400,),
)
async def streams(call: Call) -> dict[str, Any]:
    streams = call.state.coordinator.streams
    wanted = call.query.exchange
    return {
        "timestamp": now_iso(),
        "enabled": streams.enabled,
        "streams": {
            v.exchange: stream_json(v) for v in streams.views() if wanted is None or v.exchange == wanted.value
        },
    }


def _host_key(base_url: str) -> str:
    """The pool's per-host key ("host:port", as the hub's trace hooks record it)."""
    url = URL(base_url)
    return f"{url.host}:{url.port}"


@routes.get(
    "/api/v1/exchanges/connection-pool/{id}",
    "HTTP connection-pool figures: the exchange's hosts and the session all exchanges share",
    auth=False,
    response=PoolAnswer,
    params=EXCHANGE,
    errors=(404,),
)
async def connection_pool(call: Call) -> dict[str, Any]:
    exchange = _exchange(call)
    runtime = call.state.runtime
    view = runtime.coordinator.snapshot().exchanges.get(exchange)
    shared = runtime.hub.pool_stats()
    per_host = shared.pop("per_host", {})
    hosts = {
        _host_key(base_url)
        for c in _connections_of(call, exchange)
        if (base_url := runtime.coordinator.connection_model(c.id).base_url)
    }
    return {
        "exchange": exchange.value,
        "pool": to_jsonable(view.pool) if view is not None else {},
        "hosts": {host: stats for host, stats in per_host.items() if host in hosts},
        "shared": shared,
    }


@routes.get(
    "/api/v1/exchanges/dashboard",
    "Everything a dashboard shows: status, exchanges, connections, alerts, rate-limit backend",
    auth=True,
    response=DashboardAnswer,
    errors=(401,),
)
async def dashboard(call: Call) -> dict[str, Any]:
    runtime = call.state.runtime
    snapshot = runtime.coordinator.snapshot()
    return {
        "timestamp": snapshot.at.isoformat(),
        "system": system_status(snapshot, rate_limiting=runtime.limiter is not None),
        "totals": totals_json(snapshot),
        "strategy": snapshot.strategy,
        "scheduler": to_jsonable(snapshot.scheduler),
        "exchanges": exchanges_status(snapshot),
        "connections": [connection_brief(c) for c in snapshot.connections],
        "alerts": to_jsonable(snapshot.alerts),
        "recent_alerts": to_jsonable(list(runtime.coordinator.alerts.log())[-20:]),
        "rate_limiter": rate_limiter_json(snapshot),
    }
