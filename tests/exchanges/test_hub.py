"""The hub: lazy cached clients, markets shared by reference, one pooled session with measured
reuse, usage headers reaching the limiter, OKX demo trading that really is demo."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.config import Config
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.ccxt_shared import is_signed_api
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.models import ConnectionState
from cts_tui.ratelimit import RateLimiter
from cts_tui.sim import Simulator

from .helpers import connection_for, need


async def test_client_is_cached_by_id_and_rebuilt_when_the_key_changes(sim: Simulator, hub: ExchangeHub) -> None:
    connection = connection_for(sim, ExchangeId.BINANCE, ApiType.SPOT)
    client = hub.client_for(connection)
    assert hub.client_for(connection) is client
    assert hub.client_for(connection.model_copy(update={"state": ConnectionState.ACTIVE})) is client
    rotated = connection.model_copy(update={"api_secret": SecretStr("another-secret-value")})
    rebuilt = hub.client_for(rotated)
    assert rebuilt is not client
    with pytest.raises(ExchangeError) as caught:
        await rebuilt.fetch_balance()
    assert caught.value.kind is ErrorKind.AUTH
    await hub.drop(connection.id)
    assert hub.client_for(connection) is not rebuilt


async def test_markets_are_loaded_once_and_shared_by_reference(sim: Simulator, hub: ExchangeHub) -> None:
    main = hub.client_for(connection_for(sim, ExchangeId.BINANCE, ApiType.SPOT))
    other_key = hub.client_for(connection_for(sim, ExchangeId.BINANCE, ApiType.SPOT, account="readonly"))
    margin = hub.client_for(connection_for(sim, ExchangeId.BINANCE, ApiType.MARGIN))
    perp = hub.client_for(connection_for(sim, ExchangeId.BINANCE, ApiType.PERPETUAL_FUTURES))
    spot_markets = await main.load_markets()
    assert await other_key.load_markets() is spot_markets
    assert await margin.load_markets() is spot_markets  # same market types, same base URL
    perp_markets = await perp.load_markets()
    assert perp_markets is not spot_markets
    assert all(m["type"] == "spot" for m in spot_markets.values())
    assert all(m["linear"] for m in perp_markets.values())
    exchange_info = [e for e in sim.journal.entries() if e.endpoint.endswith("exchangeInfo")]
    assert len(exchange_info) == 2  # one per market type, not one per connection
    assert hub.pool_stats()["markets_shared"] == 2


async def test_steady_load_reuses_pooled_connections(sim: Simulator, config: Config) -> None:
    config.pool.per_host_limit = 4
    limiter = RateLimiter.from_config(config)
    async with ExchangeHub(config, limiter) as hub:
        clients = [
            hub.client_for(connection_for(sim, exchange, api_type))
            for exchange, api_type in (
                (ExchangeId.BINANCE, ApiType.SPOT), (ExchangeId.OKX, ApiType.SPOT),
                (ExchangeId.BYBIT, ApiType.SPOT), (ExchangeId.HTX, ApiType.SPOT),
            )
            if exchange.value in sim.exchanges
        ]
        for _ in range(24):  # about 8 requests a second per exchange: under every one's limit
            await asyncio.gather(*(c.fetch_ticker("BTC/USDT") for c in clients))
            await asyncio.sleep(0.12)
        stats = hub.pool_stats()
        assert stats["requests"] >= 24 * len(clients)
        assert stats["reuse_pct"] >= 95.0, stats
        assert all(host["new_connections"] <= 4 for host in stats["per_host"].values())
        assert stats["open"] == stats["idle"] + stats["in_use"] >= 1
    await limiter.close()
    assert hub.pool_stats()["open"] == 0


async def test_usage_headers_reach_the_limiter(sim: Simulator, config: Config) -> None:
    """Another process's spending on the same IP shows up in our limiter through Binance's
    X-MBX-USED-WEIGHT-1M, though our limiter never saw those requests."""
    busy_limiter, quiet_limiter = RateLimiter.from_config(config), RateLimiter.from_config(config)
    async with ExchangeHub(config, busy_limiter) as busy, ExchangeHub(config, quiet_limiter) as quiet:
        connection = connection_for(sim, ExchangeId.BINANCE, ApiType.SPOT)
        for _ in range(10):
            await busy.client_for(connection).fetch_ticker("BTC/USDT")
        await quiet.client_for(connection).fetch_time()
        used = {w.name: w.used for w in quiet_limiter.usage("binance").windows}
    await busy_limiter.close()
    await quiet_limiter.close()
    assert used["1m"] >= 20  # exchangeInfo 20 + ten tickers, reported by the exchange


async def test_okx_demo_trading_sends_the_demo_header(sim: Simulator, hub: ExchangeHub) -> None:
    need(sim, ExchangeId.OKX)
    demo = next(a for a in sim.accounts("okx") if a.testnet)
    as_demo = connection_for(sim, ExchangeId.OKX, ApiType.SPOT, account=demo.name, is_testnet=True)
    result = await hub.client_for(as_demo).test_connection()
    assert result.success, result.log
    as_live = connection_for(sim, ExchangeId.OKX, ApiType.SPOT, account=demo.name, is_testnet=False)
    refused = await hub.client_for(as_live).test_connection()
    assert refused.error_kind is ErrorKind.AUTH
    assert "50101" in (refused.error or "")


async def test_unsupported_method_is_an_invalid_request(sim: Simulator, hub: ExchangeHub) -> None:
    binance = hub.client_for(connection_for(sim, ExchangeId.BINANCE, ApiType.SPOT))
    pionex = hub.client_for(connection_for(sim, ExchangeId.PIONEX, ApiType.SPOT))
    assert binance.supports("fetchOHLCV") and binance.supports("fetch_balance")
    assert pionex.supports("fetch_ticker") and not pionex.supports("create_order")
    with pytest.raises(ExchangeError) as caught:
        await pionex.call("create_order", "BTC/USDT", "limit", "buy", 1, 1)
    assert caught.value.kind is ErrorKind.INVALID_REQUEST
    ticker = await pionex.call("fetchTicker", "BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT" and ticker["last"] > 0
    raw = await binance.call("fetch_ticker", "BTC/USDT")
    assert raw["symbol"] == "BTC/USDT" and raw["last"] > 0


@pytest.mark.parametrize(
    ("exchange", "api_type"),
    [(ExchangeId.BINANCE, ApiType.SPOT), (ExchangeId.BINANCE, ApiType.PERPETUAL_FUTURES),
     (ExchangeId.BYBIT, ApiType.UNIFIED), (ExchangeId.BINGX, ApiType.PERPETUAL_FUTURES)],
)
async def test_testnet_connections_use_the_testnet_routes(
    sim: Simulator, hub: ExchangeHub, exchange: ExchangeId, api_type: ApiType
) -> None:
    """Testnet hosts first, then the base URL's scheme and host over them: the paths stay the
    testnet's, and what a testnet lacks (Binance's /sapi) is reported, not faked."""
    need(sim, exchange)
    result = await hub.client_for(connection_for(sim, exchange, api_type, is_testnet=True)).test_connection()
    assert result.success, result.log
    if exchange is ExchangeId.BINANCE:
        assert any("Permissions not available" in line for line in result.log)


async def test_unified_markets_are_the_union_of_the_same_market_objects(sim: Simulator, hub: ExchangeHub) -> None:
    need(sim, ExchangeId.BYBIT)
    spot = await hub.client_for(connection_for(sim, ExchangeId.BYBIT, ApiType.SPOT)).load_markets()
    linear = await hub.client_for(connection_for(sim, ExchangeId.BYBIT, ApiType.PERPETUAL_FUTURES)).load_markets()
    unified = await hub.client_for(connection_for(sim, ExchangeId.BYBIT, ApiType.UNIFIED)).load_markets()
    assert unified.keys() == spot.keys() | linear.keys()
    assert all(unified[symbol] is market for symbol, market in [*spot.items(), *linear.items()])


def test_ccxt_sections_tell_signed_requests_from_public_ones() -> None:
    assert is_signed_api("private") and is_signed_api(["spot", "v1", "private"]) and is_signed_api("fapiPrivate")
    assert not is_signed_api("public") and not is_signed_api(["v3", "public"]) and not is_signed_api("fapiPublic")


async def test_public_requests_share_the_ip_budget_and_signed_ones_count_per_key(
    sim: Simulator, config: Config
) -> None:
    """OKX counts market data per IP and account data per key: two keys' tickers draw on one
    budget, their balances on one each."""
    need(sim, ExchangeId.OKX)
    limiter = RateLimiter.from_config(config)
    async with ExchangeHub(config, limiter) as hub:
        clients = [hub.client_for(connection_for(sim, ExchangeId.OKX, ApiType.SPOT, account=name))
                   for name in ("main", "readonly")]
        for client in clients:
            await client.fetch_time()
        before = await limiter.get_remaining_requests("okx", "GET /api/v5/market/ticker")
        for client in clients:
            await client.fetch_ticker("BTC/USDT")
            for _ in range(3):
                await client.fetch_balance()
        after = await limiter.get_remaining_requests("okx", "GET /api/v5/market/ticker")
        busiest = {w.name: w.used for w in limiter.usage("okx").windows}["2s/endpoint"]
    await limiter.close()
    assert before - after == 2
    assert busiest == 3  # per key; one budget for both would hold 6
