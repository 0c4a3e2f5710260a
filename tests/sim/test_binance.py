"""Unmodified ccxt `binance` against the simulated Binance: markets, time, ticker, every balance
type, key permissions, and Binance's refusals (-2015, -1022, -1021, 429 then the 418 ban)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import ccxt.async_support as ccxt
import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId
from cts_tui.sim import Simulator
from tests.sim.ccxt_clients import ccxt_client

# How a client asks ccxt for each API type's balance, and which simulated wallet answers.
BALANCE_PARAMS = {
    ApiType.SPOT: ({}, "spot"),
    ApiType.MARGIN: ({"type": "margin"}, "margin"),
    ApiType.PERPETUAL_FUTURES: ({"type": "swap"}, "perpetual_futures"),
    ApiType.FUTURES: ({"type": "future", "subType": "inverse"}, "futures"),
}


async def test_public_calls_every_balance_type_and_permissions(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "binance")
    try:
        markets = await exchange.load_markets()
        assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
        assert any(m["future"] and m["linear"] for m in markets.values())
        assert markets["BTC/USDT"]["precision"]["price"] == 0.1
        assert abs(await exchange.fetch_time() - time.time() * 1000) < 5_000
        ticker = await exchange.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["last"] < ticker["ask"]
        assert (await exchange.fetch_ticker("BTC/USDT:USDT"))["last"] > 0
        account = simulator.account("binance")
        assert set(BALANCE_PARAMS) == set(SUPPORTED_API_TYPES[ExchangeId.BINANCE])
        for params, wallet in BALANCE_PARAMS.values():
            balance = await exchange.fetch_balance(params)
            assert {k: v for k, v in balance["total"].items() if v} == account.balance(wallet)
        restrictions = await exchange.sapi_get_account_apirestrictions()
        assert restrictions["enableReading"] and restrictions["enableSpotAndMarginTrading"]
    finally:
        await exchange.close()
    endpoints = {e.endpoint for e in simulator.journal.entries(exchange="binance", account="main")}
    assert {"/api/v3/account", "/sapi/v1/margin/account", "/fapi/v3/account", "/dapi/v1/account",
            "/sapi/v1/account/apiRestrictions"} <= endpoints


async def test_read_only_key_reads_but_cannot_trade(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "binance", "readonly")
    try:
        restrictions = await exchange.sapi_get_account_apirestrictions()
        assert restrictions["enableReading"] and not restrictions["enableSpotAndMarginTrading"]
        with pytest.raises(ccxt.AuthenticationError, match="-2015"):
            await exchange.private_post_order_test({"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET",
                                                    "quantity": "0.001"})
    finally:
        await exchange.close()
    assert simulator.journal.entries(endpoint="/api/v3/order/test")[-1].outcome == "permission_denied"


@pytest.mark.parametrize(("override", "code"), [({"secret": "0" * 48}, "-1022"), ({"apiKey": "nobody"}, "-2015")])
async def test_wrong_secret_or_key_is_an_authentication_error(simulator: Simulator, override: dict, code: str) -> None:
    exchange = ccxt_client(simulator, "binance", **override)
    try:
        with pytest.raises(ccxt.AuthenticationError, match=code):
            await exchange.private_get_account()
    finally:
        await exchange.close()
    entry = simulator.journal.entries(endpoint="/api/v3/account")[-1]
    assert (entry.status, entry.outcome) == ((400 if code == "-1022" else 401), "auth_failed")


@pytest.mark.parametrize("skew_ms", [70_000, -2_000])
async def test_timestamp_outside_the_window_is_invalid_nonce(simulator: Simulator, skew_ms: int) -> None:
    await simulator.set_fault("binance", clock_skew_ms=skew_ms)  # server ahead: stale; behind: too early
    exchange = ccxt_client(simulator, "binance")
    try:
        with pytest.raises(ccxt.InvalidNonce, match="-1021"):
            await exchange.private_get_account()
        assert abs(await exchange.fetch_time() - (time.time() * 1000 + skew_ms)) < 5_000
    finally:
        await exchange.close()


async def _wait_for_room_in_the_minute(seconds: float = 3.0) -> None:
    """Binance's windows are calendar minutes; start a counting test well inside one."""
    left = 60 - time.time() % 60
    if left < seconds:
        await asyncio.sleep(left + 0.05)


async def test_weight_is_counted_per_minute_then_429_then_418_ban(simulator: Simulator) -> None:
    simulator.set_limits("binance", spot_weight_per_minute=25, ban_after_rejections=2, ban_seconds=30)
    url = simulator.base_url("binance") + "/api/v3"
    await _wait_for_room_in_the_minute()
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "/exchangeInfo") as response:
            assert response.headers["X-MBX-USED-WEIGHT-1M"] == "20"
            assert (await response.json())["rateLimits"][0]["limit"] == 25
        used = []
        for _ in range(5):
            async with http.get(url + "/time") as response:
                used.append(int(response.headers["X-MBX-USED-WEIGHT-1M"]))
                assert response.status == 200
        assert used == [21, 22, 23, 24, 25]
        async with http.get(url + "/time") as response:
            assert response.status == 429
            assert (await response.json())["code"] == -1003
            assert 1 <= int(response.headers["Retry-After"]) <= 60
        async with http.get(url + "/time") as response:
            assert response.status == 418
            assert 29 <= int(response.headers["Retry-After"]) <= 30
    outcomes = [e.outcome for e in simulator.journal.entries(exchange="binance")]
    assert outcomes == ["ok"] * 6 + ["rate_limited", "banned"]


async def test_ccxt_sees_429_and_418_as_ddos_protection(simulator: Simulator) -> None:
    simulator.set_limits("binance", spot_weight_per_minute=3, ban_after_rejections=2)
    exchange = ccxt_client(simulator, "binance", enableRateLimit=False)
    await _wait_for_room_in_the_minute()
    try:
        for _ in range(3):
            await exchange.fetch_time()
        with pytest.raises(ccxt.DDoSProtection, match="429"):
            await exchange.fetch_time()
        with pytest.raises(ccxt.DDoSProtection, match="418"):
            await exchange.fetch_time()
    finally:
        await exchange.close()


async def test_pools_are_separate_and_sapi_reports_its_own_header(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "binance")
    try:
        await exchange.fapiPublicGetTime()
        assert exchange.last_response_headers["X-MBX-USED-WEIGHT-1M"] == "1"
        await exchange.sapi_get_account_apirestrictions()
        assert exchange.last_response_headers["X-SAPI-USED-IP-WEIGHT-1M"] == "1"
    finally:
        await exchange.close()


async def test_test_orders_validate_and_place_nothing(simulator: Simulator) -> None:
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "quantity": "0.01",
             "price": "50000"}
    exchange = ccxt_client(simulator, "binance")
    try:
        assert await exchange.private_post_order_test(order) == {}
        # USDⓈ-M by name: ccxt's create_order sends futures to the live endpoint even with test=True
        answer = await exchange.fapiprivate_post_order_test(order)
        assert exchange.last_response_headers["X-MBX-USED-WEIGHT-1M"] == "1"
    finally:
        await exchange.close()
    assert answer["orderId"] == 0 and answer["price"] == "50000" and answer["positionSide"] == "BOTH"
    for path in ("/api/v3/order/test", "/fapi/v1/order/test"):
        entry = simulator.journal.entries(endpoint=path)[-1]
        assert (entry.status, entry.weight, entry.outcome) == (200, 1, "ok")


BAD_TEST_ORDERS = [
    ("/fapi/v1/order/test", {"symbol": "BTCUSDT", "type": "MARKET", "quantity": "0.01"}, -1102),
    ("/fapi/v1/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01"}, -1102),
    ("/fapi/v1/order/test", {"symbol": "NOPEUSDT", "side": "BUY", "type": "MARKET", "quantity": "1"}, -1121),
    ("/fapi/v1/order/test", {"symbol": "BTCUSDT", "side": "UP", "type": "MARKET", "quantity": "1"}, -1117),
    ("/fapi/v1/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "SOON", "quantity": "1"}, -1116),
    ("/fapi/v1/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0"}, -4003),
    ("/fapi/v1/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.00001"}, -4164),
    ("/api/v3/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"}, -1102),
    ("/api/v3/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "x"}, -1100),
    ("/api/v3/order/test", {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.00000001"}, -1013),
]


async def test_test_orders_refuse_bad_parameters_with_binance_codes(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "binance", enableRateLimit=False)
    try:
        for path, params, code in BAD_TEST_ORDERS:  # one client for all: making a ccxt client takes 0.3 s
            futures = path.startswith("/fapi")
            call = exchange.fapiprivate_post_order_test if futures else exchange.private_post_order_test
            with pytest.raises(ccxt.BaseError, match=str(code)):
                await call(params)
            assert simulator.journal.entries(endpoint=path)[-1].status == 400
    finally:
        await exchange.close()
