"""The limiter inside the real client stack (hub, ccxt, HTTP), judged by the simulator's journal:
what arrived at the exchange, not what the limiter believes it granted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.config import Config
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import Connection
from cts_tui.ratelimit import RateLimiter, shared
from cts_tui.sim import Journal, Scenario, Simulator
from cts_tui.sim.exchanges import discover
from cts_tui.sim.scenario import ExchangeScenario


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    served = ("binance", "bybit", "okx")
    scenario = Scenario(exchanges={
        **{name: ExchangeScenario(enabled=False) for name in discover() if name not in served},
        **{name: ExchangeScenario(markets=20) for name in served}})
    async with Simulator(scenario) as simulator:
        yield simulator


def _connection(sim: Simulator, exchange: ExchangeId) -> Connection:
    account = sim.account(exchange.value, "main")
    return Connection(name=f"{exchange.value}-main", exchange=exchange, api_type=ApiType.SPOT,
                      api_key=account.api_key, api_secret=account.secret,
                      api_passphrase=account.passphrase, base_url=sim.base_url(exchange.value))


async def _flat_out(call, tasks: int, seconds: float) -> None:
    """Callers that never pause on their own; our limiter's refusals end a caller's turn."""

    async def loop() -> None:
        while time.monotonic() < deadline:
            try:
                await call()
            except ExchangeError as error:
                assert error.kind is ErrorKind.RATE_LIMITED and error.status is None, error

    deadline = time.monotonic() + seconds
    await asyncio.gather(*(loop() for _ in range(tasks)))


async def test_a_rolling_endpoint_window_is_never_exceeded_at_the_exchange(sim: Simulator) -> None:
    sim.set_limits("bybit", wallet_balance_per_second=10)
    config = Config()
    config.exchanges["bybit"].per_second = 10
    config.exchanges["bybit"].per_minute = 10_000
    limiter = RateLimiter.from_config(config)
    async with ExchangeHub(config, limiter) as hub:
        client = hub.client_for(_connection(sim, ExchangeId.BYBIT))
        await client.fetch_balance()
        start = time.monotonic()
        await _flat_out(client.fetch_balance, tasks=6, seconds=2.5)
    await limiter.close()
    arrived = sim.journal.entries(exchange="bybit", endpoint="/v5/account/wallet-balance",
                                  since_mono=start)
    assert not [e for e in arrived if e.outcome != "ok"]
    assert Journal.max_in_window(arrived, 1.0) <= 10
    assert len(arrived) >= 15  # it did spend the budget: about 9 a second


async def test_okx_endpoint_limits_hold_with_the_default_config(sim: Simulator) -> None:
    """The default config allows OKX 20/s; its balance endpoint allows 10 per 2 s."""
    config = Config()
    limiter = RateLimiter.from_config(config)
    async with ExchangeHub(config, limiter) as hub:
        client = hub.client_for(_connection(sim, ExchangeId.OKX))
        await client.fetch_balance()
        start = time.monotonic()
        await _flat_out(client.fetch_balance, tasks=4, seconds=2.5)
    await limiter.close()
    arrived = sim.journal.entries(exchange="okx", endpoint="/api/v5/account/balance",
                                  since_mono=start)
    assert not [e for e in arrived if e.outcome != "ok"]
    assert Journal.max_in_window(arrived, 2.0) <= 10
    assert len(arrived) >= 8


async def test_symbol_less_binance_tickers_are_charged_their_real_weight(sim: Simulator) -> None:
    """All tickers at once cost 80 at Binance, one symbol's 2: five such calls together must
    not be granted as if they cost 10."""
    sim.set_limits("binance", spot_weight_per_minute=300, ban_after_rejections=100)
    config = Config()
    config.exchanges["binance"].per_minute = 300
    config.exchanges["binance"].per_second = 1000
    config.rate_limiting.acquire_timeout_s = 0.3
    limiter = RateLimiter.from_config(config)
    async with ExchangeHub(config, limiter) as hub:
        client = hub.client_for(_connection(sim, ExchangeId.BINANCE))
        await client.load_markets()
        start = time.monotonic()
        outcomes = await asyncio.gather(*(client.call("fetch_tickers") for _ in range(5)), return_exceptions=True)
    await limiter.close()
    arrived = sim.journal.entries(exchange="binance", endpoint="/api/v3/ticker/24hr", since_mono=start)
    assert arrived and {e.weight for e in arrived} == {80}
    assert not [e for e in arrived if e.outcome != "ok"]
    refused = [o for o in outcomes if isinstance(o, ExchangeError)]
    assert refused and {o.kind for o in refused} == {ErrorKind.RATE_LIMITED}


async def test_two_processes_sharing_redis_spend_one_budget_at_the_exchange(
    sim: Simulator, redis_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two hubs with their own limiters on one Binance IP: through Redis, the weight that
    reaches the exchange in any clock minute is one NORMAL budget (60 x 0.9 x 0.9), not two,
    and nothing earns a 429 or a ban."""
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)  # counts, not breaker speed, here
    sim.set_limits("binance", spot_weight_per_minute=60, ban_after_rejections=2)
    config = Config()
    config.rate_limiting.backend = "redis"
    config.rate_limiting.redis_url = redis_server.url
    config.rate_limiting.acquire_timeout_s = 0.3  # a full minute refuses quickly
    config.exchanges["binance"].per_minute = 60
    connection = _connection(sim, ExchangeId.BINANCE)
    limiters = [RateLimiter.from_config(config) for _ in range(2)]
    for limiter in limiters:
        await limiter.start()
    async with ExchangeHub(config, limiters[0]) as one, ExchangeHub(config, limiters[1]) as two:
        clients = [one.client_for(connection), two.client_for(connection)]
        for client in clients:
            await client.load_markets()
        start = time.monotonic()
        await asyncio.gather(*(_flat_out(lambda c=c: c.call("fetch_ticker", "BTC/USDT"), 3, 2.0)
                               for c in clients))
    for limiter in limiters:
        await limiter.close()
    arrived = sim.journal.entries(exchange="binance")
    assert not [e for e in arrived if e.outcome != "ok"]
    assert [e for e in arrived if e.mono >= start]  # the load did reach the exchange
    per_minute: dict[int, int] = {}
    for entry in arrived:
        per_minute[int(entry.wall // 60)] = per_minute.get(int(entry.wall // 60), 0) + entry.weight
    assert max(per_minute.values()) <= 48
