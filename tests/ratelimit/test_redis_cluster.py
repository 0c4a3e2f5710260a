"""The shared limiter on a real 3-master Redis Cluster: every script call stays within one slot
(a cluster refuses anything else), the budgets spread over the masters, and the budget holds at
the simulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot

from cts_tui.config import Config
from cts_tui.core.runtime import open_runtime
from cts_tui.ratelimit import Priority, RateLimiter, shared
from cts_tui.ratelimit.redis_client import connect
from cts_tui.ratelimit.redis_scripts import RedisScripts
from cts_tui.sim import Journal, Simulator
from tests.core.helpers import eventually, fast_config
from tests.ratelimit.budget_load import BALANCE, PER_SECOND, balance_callers, bybit_at_five_per_second, draft
from tests.ratelimit.helpers import make_config
from tests.redis_topologies import MISSING, RedisClusterTopology, running, tools_present

pytestmark = pytest.mark.skipif(not tools_present(), reason=MISSING)
BIG = 10**6


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterTopology]:
    with running(RedisClusterTopology(tmp_path_factory.mktemp("cluster"))) as topology:
        yield topology


@pytest.fixture(autouse=True)
def patient_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting, not the breaker's speed, is under test: a busy machine must not trip it."""
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)


def _on(cluster: RedisClusterTopology, config: Config, prefix: str) -> Config:
    settings = config.rate_limiting
    settings.backend, settings.redis_url, settings.key_prefix = "redis", cluster.url, prefix
    settings.acquire_timeout_s = 2.0
    return config


async def test_each_plan_is_one_slot_and_the_exchanges_spread(cluster: RedisClusterTopology) -> None:
    config = _on(cluster, Config(), "slots")
    limiter = RateLimiter.from_config(config)
    connection = connect(config.rate_limiting, 0.5)
    scripts = RedisScripts(connection.client, "cts")
    slots = set()
    for exchange in config.exchanges:
        plan = limiter.plan_for(exchange.value, "fetch_balance", account="key")
        keys = [scripts.pause_key(k) for k in plan.pause_keys]
        keys += [key for charge in plan.charges for key in scripts.window_keys(charge)]
        assert len({key_slot(k.encode()) for k in keys}) == 1, exchange
        slots.add(key_slot(keys[0].encode()))
    assert len(slots) == len(config.exchanges)
    await connection.aclose()


async def test_two_limiters_spend_one_budget_per_exchange_across_the_masters(
    cluster: RedisClusterTopology,
) -> None:
    exchanges = ("htx", "coinbase", "kraken")
    config = _on(cluster, make_config(**{ex: {"per_second": BIG, "per_minute": 100} for ex in exchanges}),
                 "spread")
    a, b = RateLimiter.from_config(config), RateLimiter.from_config(config)
    await a.start()
    await b.start()

    async def held(limiter: RateLimiter, exchange: str) -> None:
        async with limiter.acquire(exchange, "fetch_ticker", priority=Priority.HIGH):
            pass  # released with the other exchanges': one settlement per exchange's slot

    try:
        await asyncio.gather(*(held(limiter, ex) for limiter in (a, b) for ex in exchanges))
        results = await asyncio.gather(*(limiter.acquire_permit(ex, "fetch_ticker", Priority.HIGH)
                                         for limiter in (a, b) for ex in exchanges for _ in range(60)))
        assert sum(results) == len(exchanges) * (90 - 2)
    finally:
        await a.close()
        await b.close()
    sizes = []
    for port in (m.port for m in cluster.masters):
        node = Redis(port=port)
        sizes.append(await node.dbsize())
        await node.aclose()
    assert sum(1 for size in sizes if size) >= 2  # the exchanges' budgets live on several masters


async def test_the_budget_holds_at_the_exchange_through_the_cluster(
    sim: Simulator, cluster: RedisClusterTopology, tmp_path: Path
) -> None:
    config = bybit_at_five_per_second(sim, _on(cluster, fast_config(), "sim"))
    async with open_runtime(config, tmp_path / "cts.sqlite") as runtime:
        view = await runtime.coordinator.add_connection(draft(sim, "bybit"), "cli")
        start = time.monotonic()

        def arrived() -> list:
            return sim.journal.entries(exchange="bybit", endpoint=BALANCE, since_mono=start)

        async with balance_callers(runtime.coordinator, view.id) as failures:
            await eventually(lambda: len(arrived()) >= 8, timeout=15)
        assert runtime.limiter.backend == "redis"
    entries = arrived()
    assert {e.outcome for e in entries} == {"ok"}
    assert Journal.max_in_window(entries, 1.0) <= PER_SECOND
    assert failures == []
