"""execute_request: strategies switched at run time, failover under outage and hang, no retry of
state-changing calls, and ExchangeManager on top."""

from __future__ import annotations

import asyncio

import pytest
from yarl import URL

from cts_tui.core.requests import is_state_changing
from cts_tui.capabilities import ExchangeId
from cts_tui.core.manager import ConnectionStrategy, ExchangeManager
from cts_tui.core.pool_view import default_hosts
from cts_tui.core.runtime import open_runtime
from cts_tui.errors import CtsError, ExchangeError

from .helpers import eventually, fast_config


async def three_exchanges(coordinator, draft) -> dict[str, str]:
    ids = {}
    for exchange in ("binance", "htx", "pionex"):
        ids[exchange] = (await coordinator.add_connection(draft(exchange), "cli")).id
    return ids


def requests_by_exchange(coordinator) -> dict[str, int]:
    return {v.exchange.value: v.requests for v in coordinator.get_all_connections()}


async def tickers(coordinator, n: int, **kwargs) -> list[dict]:
    return await asyncio.gather(*(coordinator.execute_request("fetch_ticker", "BTC/USDT", **kwargs) for _ in range(n)))


async def test_strategies_switch_at_run_time(coordinator, draft):
    ids = await three_exchanges(coordinator, draft)
    coordinator.config.load_balancing.failover_order = ["htx", "binance"]
    coordinator.set_strategy("failover")
    before = requests_by_exchange(coordinator)
    for _ in range(6):
        await coordinator.execute_request("fetch_ticker", "BTC/USDT")
    after = requests_by_exchange(coordinator)
    assert {ex: after[ex] - before[ex] for ex in ids} == {"binance": 0, "htx": 6, "pionex": 0}
    coordinator.set_strategy("round_robin")
    assert coordinator.strategy == "round_robin" and coordinator.snapshot().strategy == "round_robin"
    for _ in range(6):
        await coordinator.execute_request("fetch_ticker", "BTC/USDT")
    final = requests_by_exchange(coordinator)
    assert {ex: final[ex] - after[ex] for ex in ids} == {"binance": 2, "htx": 2, "pionex": 2}
    with pytest.raises(CtsError, match="unknown strategy"):
        coordinator.set_strategy("random")


async def test_reads_fail_over_when_an_exchange_goes_down(coordinator, sim, draft):
    await three_exchanges(coordinator, draft)
    coordinator.set_strategy("round_robin")
    await sim.set_fault("binance", outage="refused")
    results = await tickers(coordinator, 24)
    assert all(r["symbol"] == "BTC/USDT" for r in results)
    assert coordinator.exchange_health("binance").healthy == 0
    assert coordinator.exchange_health("binance").breakers_open == 1
    served = {ex: n for ex, n in requests_by_exchange(coordinator).items()}
    assert served["htx"] + served["pionex"] >= 24


async def test_reads_fail_over_when_an_exchange_hangs(coordinator, sim, draft):
    await three_exchanges(coordinator, draft)
    coordinator.set_strategy("round_robin")
    await sim.set_fault("htx", outage="hang")
    results = await tickers(coordinator, 30)
    assert len(results) == 30 and all(r["symbol"] == "BTC/USDT" for r in results)
    htx = coordinator.get_connections_by_exchange("htx")[0]
    assert htx.breaker != "closed" and htx.failures >= 3  # out of rotation (open, or probing)
    assert htx.last_error and f"{coordinator.config.limits('htx').timeout_ms} ms" in htx.last_error
    await sim.clear_faults()


async def test_a_pinned_exchange_is_respected_and_unknown_names_refused(coordinator, draft):
    await three_exchanges(coordinator, draft)
    before = requests_by_exchange(coordinator)
    await tickers(coordinator, 4, exchange_id="pionex")
    assert requests_by_exchange(coordinator)["pionex"] - before["pionex"] == 4
    with pytest.raises(CtsError, match="no exchange or connection 'nasdaq'"):
        await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id="nasdaq")
    with pytest.raises(ExchangeError, match="no healthy connection on okx"):
        await coordinator.execute_request("fetch_ticker", "BTC/USDT", exchange_id="okx")


def test_state_changing_methods_are_recognised():
    for method in ("create_order", "createOrder", "cancel_order", "edit_order", "withdraw", "transfer",
                   "set_leverage", "cancel_all_orders"):
        assert is_state_changing(method), method
    for method in ("fetch_ticker", "fetchBalance", "load_markets", "fetch_open_orders"):
        assert not is_state_changing(method), method


async def test_orders_are_never_retried(coordinator, sim, draft):
    await three_exchanges(coordinator, draft)
    await sim.set_fault("binance", outage="refused")
    await sim.set_fault("htx", outage="refused")
    await sim.set_fault("pionex", outage="refused")
    sim.journal.clear()
    with pytest.raises(ExchangeError) as failure:
        await coordinator.execute_request("create_order", "BTC/USDT", "limit", "buy", 0.001, 10_000)
    assert failure.value.kind.value == "network"
    failures = sum(v.failures for v in coordinator.get_all_connections())
    assert failures == 1  # one attempt on one connection, never a second
    assert len([e for e in sim.journal if e.status == 0]) == 1


async def test_exchange_manager_api(coordinator, sim, draft):
    ids = await three_exchanges(coordinator, draft)
    manager = ExchangeManager(ConnectionStrategy.LEAST_LATENCY, coordinator=coordinator)
    await manager.initialize()
    assert coordinator.strategy == "least_latency"
    ticker = await manager.execute_request("fetch_ticker", "BTC/USDT", exchange_id="binance")
    assert ticker["symbol"] == "BTC/USDT"
    assert await manager.get_all_exchanges() == ["binance", "htx", "pionex"]
    status = await manager.get_exchange_status("binance")
    assert status["status"] == "healthy" and status["active"] == 1 and status["requests"] >= 1
    async with manager.get_connection("htx") as lease:
        assert lease.connection_id == ids["htx"]
        assert coordinator.get_connection(ids["htx"]).in_flight == 1
        assert (await lease.exchange.fetch_ticker("BTC/USDT"))["symbol"] == "BTC/USDT"
    assert coordinator.get_connection(ids["htx"]).in_flight == 0
    await sim.set_fault("pionex", outage="refused")
    for _ in range(3):
        with pytest.raises(ExchangeError):
            await manager.execute_request("fetch_ticker", "BTC/USDT", exchange_id=ids["pionex"])
    assert (await manager.get_exchange_status("pionex"))["status"] == "unhealthy"
    await manager.close()  # the coordinator belongs to its owner: still running
    await eventually(lambda: coordinator.snapshot().totals.connections == 3)


async def test_requests_queue_in_the_limiter_not_in_the_http_pool(sim, tmp_path, draft):
    """A pool smaller than the limiter's concurrency would make requests wait for a connection
    inside their own timeout (aiohttp's per-host queue, which is not even fair): twelve 100 ms
    reads over two connections would run in six rounds and outlast the 400 ms timeout. The hub
    sizes the pool to the limiter, so all of them go at once and succeed."""
    config = fast_config()
    config.pool.per_host_limit = 2
    config.limits("binance").max_concurrent = 12
    async with open_runtime(config, tmp_path / "pool.sqlite") as rt:
        await rt.coordinator.add_connection(draft("binance"), "cli")
        await sim.set_fault("binance", latency_ms=100)
        results = await tickers(rt.coordinator, 12, exchange_id="binance")
        assert [r["symbol"] for r in results] == ["BTC/USDT"] * 12
        assert rt.coordinator.get_connections_by_exchange("binance")[0].failures == 0


async def test_a_failed_read_is_retried_once_on_each_other_exchange(coordinator, sim, draft):
    """Server errors from one exchange: every read still succeeds, each failed attempt is followed
    by one on another exchange, and the failing exchange is taken out of rotation."""
    await three_exchanges(coordinator, draft)
    coordinator.set_strategy("round_robin")
    await sim.set_fault("pionex", error_rate=1.0)
    sim.journal.clear()
    results = await tickers(coordinator, 12)
    assert [r["symbol"] for r in results] == ["BTC/USDT"] * 12
    failed = [e for e in sim.journal if e.outcome.startswith("fault:")]
    assert {e.exchange for e in failed} == {"pionex"}
    pionex = coordinator.get_connections_by_exchange("pionex")[0]
    assert pionex.failures == len(failed) >= 1 and pionex.breaker == "open"
    served = sum(v.requests - v.failures for v in coordinator.get_all_connections())
    assert served == 12  # every read answered once: no read was sent twice after succeeding


async def test_exchange_views_carry_their_own_pool_figures(coordinator, sim, draft):
    await three_exchanges(coordinator, draft)
    await tickers(coordinator, 6, exchange_id="htx")
    snapshot = coordinator.snapshot()
    htx, okx = snapshot.exchanges[ExchangeId.HTX].pool, snapshot.exchanges[ExchangeId.OKX].pool
    htx_host = URL(sim.base_url("htx")).raw_authority
    assert list(htx["hosts"]) == [htx_host]
    assert htx["requests"] == htx["hosts"][htx_host]["requests"] >= 6 + 3  # the reads and the test's calls
    assert htx["new_connections"] >= 1 and htx["new_connections"] + htx["reused_connections"] == htx["requests"]
    assert okx == {"requests": 0, "new_connections": 0, "reused_connections": 0, "reuse_pct": 0.0, "hosts": {}}
    assert coordinator.exchange_health("htx").pool == htx
    assert default_hosts(ExchangeId.BYBIT, False) == {"api.bybit.com:443"}
    assert "testnet.binance.vision:443" in default_hosts(ExchangeId.BINANCE, True)
