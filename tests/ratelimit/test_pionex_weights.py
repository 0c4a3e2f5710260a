"""Pionex counts weight, not requests: with its weights known, connection tests at the default
limits never meet a 429 at the exchange (the simulator's journal is the judge)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.config import Config
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import Connection
from cts_tui.ratelimit import RateLimiter
from cts_tui.ratelimit.weights import weight_of
from cts_tui.sim import Scenario, Simulator
from cts_tui.sim.exchanges import discover
from cts_tui.sim.scenario import ExchangeScenario


def test_pionex_market_lists_and_futures_balances_weigh_five() -> None:
    assert weight_of("pionex", "GET /api/v1/common/symbols") == 5
    assert weight_of("pionex", "GET /uapi/v1/account/balances") == 5
    assert weight_of("pionex", "GET /api/v1/account/balances") == 1
    assert weight_of("pionex", "GET /api/v1/market/tickers") == 1


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    scenario = Scenario(exchanges={
        **{name: ExchangeScenario(enabled=False) for name in discover() if name != "pionex"},
        "pionex": ExchangeScenario(markets=20)})
    async with Simulator(scenario) as simulator:
        yield simulator


async def test_concurrent_pionex_tests_at_default_limits_meet_no_429(sim: Simulator) -> None:
    config = Config()
    account = sim.account("pionex", "main")
    connections = [
        Connection(name=f"pionex-{i}-{api_type.value}", exchange=ExchangeId.PIONEX, api_type=api_type,
                   api_key=account.api_key, api_secret=account.secret, base_url=sim.base_url("pionex"))
        for i in range(2)
        for api_type in (ApiType.SPOT, ApiType.PERPETUAL_FUTURES)
    ]
    limiter = RateLimiter.from_config(config)
    await limiter.start()
    try:
        async with ExchangeHub(config, limiter) as hub:
            results = await asyncio.gather(*(hub.client_for(c).test_connection() for c in connections))
    finally:
        await limiter.close()
    assert [r.error for r in results if not r.success] == []
    statuses = [entry.status for entry in sim.journal.entries(exchange="pionex")]
    assert statuses and 429 not in statuses
