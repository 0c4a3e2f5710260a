"""The shared limiter on a real Sentinel topology (a master, a replica, three sentinels): budgets
shared on the master the sentinels name, and a failover under load costs the fallback window
only, with no window over its limit at the simulator before, during or after it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cts_tui.config import Config
from cts_tui.core.runtime import open_runtime
from cts_tui.ratelimit import Priority, RateLimiter
from cts_tui.sim import Journal, Simulator
from tests.core.helpers import eventually, fast_config
from tests.ratelimit.budget_load import BALANCE, PER_SECOND, balance_callers, bybit_at_five_per_second, draft
from tests.ratelimit.helpers import make_config
from tests.redis_topologies import MISSING, SERVICE, RedisSentinelTopology, running, tools_present

pytestmark = pytest.mark.skipif(not tools_present(), reason=MISSING)


@pytest.fixture(scope="module")
def sentinel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisSentinelTopology]:
    with running(RedisSentinelTopology(tmp_path_factory.mktemp("sentinel"))) as topology:
        yield topology


def _on(sentinel: RedisSentinelTopology, config: Config, prefix: str, by_url: bool = True) -> Config:
    settings = config.rate_limiting
    settings.backend, settings.key_prefix = "redis", prefix
    if by_url:
        settings.redis_url = sentinel.url
    else:
        settings.redis_sentinels, settings.redis_service = sentinel.sentinel_nodes, SERVICE
    return config


@pytest.mark.parametrize("by_url", [True, False], ids=["url", "settings"])
async def test_two_limiters_spend_one_budget_on_the_master(sentinel: RedisSentinelTopology, by_url: bool) -> None:
    config = _on(sentinel, make_config(htx={"per_second": 10**6, "per_minute": 100}), f"two{by_url}", by_url)
    a, b = RateLimiter.from_config(config), RateLimiter.from_config(config)
    await a.start()
    await b.start()
    try:
        results = await asyncio.gather(*(limiter.acquire_permit("htx", "fetch_ticker", Priority.HIGH)
                                         for limiter in (a, b) for _ in range(60)))
        assert sum(results) == 90
        assert a.backend == b.backend == "redis"
    finally:
        await a.close()
        await b.close()


async def test_a_failover_under_load_costs_the_fallback_window_and_no_window_overflows(
    sim: Simulator, sentinel: RedisSentinelTopology, tmp_path: Path
) -> None:
    config = bybit_at_five_per_second(sim, _on(sentinel, fast_config(), "failover"))
    async with open_runtime(config, tmp_path / "cts.sqlite") as runtime:
        limiter = runtime.coordinator.limiter
        view = await runtime.coordinator.add_connection(draft(sim, "bybit"), "cli")
        start = time.monotonic()

        def arrived() -> list:
            return sim.journal.entries(exchange="bybit", endpoint=BALANCE, since_mono=start)

        seen = [limiter.backend_state]
        async with balance_callers(runtime.coordinator, view.id) as failures:
            await eventually(lambda: len(arrived()) >= PER_SECOND, timeout=15)
            old_master = sentinel.master_port()
            await asyncio.to_thread(sentinel.master.kill)  # type: ignore[union-attr]
            await eventually(lambda: limiter.backend == "fallback", timeout=15)
            seen.append(limiter.backend_state)
            new_master = await asyncio.to_thread(sentinel.wait_for_failover, old_master)
            promoted_at = time.time()
            await eventually(lambda: limiter.backend == "redis", timeout=15)
            seen.append(limiter.backend_state)
            flowed = len(arrived())
            await eventually(lambda: len(arrived()) >= flowed + PER_SECOND, timeout=15)  # spent again, on the new master
    entries = arrived()
    assert new_master != old_master
    assert [s.name for s in seen] == ["redis", "fallback", "redis"]
    # Refused by the dead master, or no master named yet: Sentinel's MasterNotFoundError.
    assert seen[1].reason in ("redis unreachable (ConnectionError)", "redis unreachable (MasterNotFoundError)")
    assert seen[2].since - promoted_at < 2.0  # back on Redis within the probe's reach of the promotion
    assert {e.outcome for e in entries} == {"ok"}
    assert Journal.max_in_window(entries, 1.0) <= PER_SECOND
    assert failures == []
