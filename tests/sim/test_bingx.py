"""Unmodified ccxt `bingx` against the simulated BingX: markets, time, ticker, spot and swap
balances, key permissions, and BingX's refusals (100413, 100001, 100421, 429 then the 418 ban)."""

from __future__ import annotations

import time

import ccxt.async_support as ccxt
import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId
from cts_tui.sim import Simulator
from tests.sim.ccxt_clients import ccxt_client

BALANCE_PARAMS = {
    ApiType.SPOT: ({"type": "spot"}, "spot"),
    ApiType.PERPETUAL_FUTURES: ({"type": "swap"}, "perpetual_futures"),
}


async def test_public_calls_every_balance_type_and_permissions(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "bingx")
    account = simulator.account("bingx")
    try:
        markets = await exchange.load_markets()
        assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
        assert abs(await exchange.fetch_time() - time.time() * 1000) < 5_000
        ticker = await exchange.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["last"] < ticker["ask"]
        assert (await exchange.fetch_ticker("BTC/USDT:USDT"))["last"] > 0
        assert set(BALANCE_PARAMS) == set(SUPPORTED_API_TYPES[ExchangeId.BINGX])
        for params, wallet in BALANCE_PARAMS.values():
            balance = await exchange.fetch_balance(params)
            assert {k: v for k, v in balance["total"].items() if v} == account.balance(wallet)
        permissions = (await exchange.account_v1_private_get_account_apipermissions())["data"]["permissions"]
        assert permissions == [1, 2, 3]
    finally:
        await exchange.close()


async def test_read_only_key_lists_only_read(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "bingx", "readonly")
    try:
        assert (await exchange.account_v1_private_get_account_apipermissions())["data"]["permissions"] == [2]
    finally:
        await exchange.close()


@pytest.mark.parametrize(("override", "code"), [({"secret": "0" * 48}, "100001"), ({"apiKey": "nobody"}, "100413")])
async def test_wrong_secret_or_key_is_an_authentication_error(simulator: Simulator, override: dict, code: str) -> None:
    exchange = ccxt_client(simulator, "bingx", **override)
    try:
        with pytest.raises(ccxt.AuthenticationError, match=code):
            await exchange.fetch_balance({"type": "spot"})
    finally:
        await exchange.close()
    assert simulator.journal.entries(exchange="bingx")[-1].outcome == "auth_failed"


async def test_stale_timestamp_is_refused_with_100421(simulator: Simulator) -> None:
    # BingX answers 100421 for a stale timestamp; ccxt 4.5 maps that code to BadSymbol, not
    # InvalidNonce, so a client has to recognise the code itself.
    await simulator.set_fault("bingx", clock_skew_ms=20_000)
    exchange = ccxt_client(simulator, "bingx")
    try:
        with pytest.raises(ccxt.BadSymbol, match="100421"):
            await exchange.spotV1PrivateGetAccountBalance()
    finally:
        await exchange.close()
    assert simulator.journal.entries(exchange="bingx")[-1].outcome == "invalid_timestamp"


async def test_429_with_window_headers_then_418_ban(simulator: Simulator) -> None:
    simulator.set_limits("bingx", private_per_second=2, ban_after_rejections=2, ban_seconds=60)
    exchange = ccxt_client(simulator, "bingx", enableRateLimit=False)
    remains = []
    try:
        for _ in range(2):
            await exchange.spotV1PrivateGetAccountBalance()
            remains.append(exchange.last_response_headers["X-RateLimit-Requests-Remain"])
            assert 0 <= int(exchange.last_response_headers["X-RateLimit-Requests-Expire"]) <= 1000
        with pytest.raises(ccxt.DDoSProtection, match="429"):
            await exchange.spotV1PrivateGetAccountBalance()
        with pytest.raises(ccxt.PermissionDenied, match="418"):
            await exchange.spotV1PrivateGetAccountBalance()
        with pytest.raises(ccxt.PermissionDenied, match="418"):
            await exchange.fetch_time()  # the ban is on the IP, public data included
    finally:
        await exchange.close()
    assert remains == ["1", "0"]
    outcomes = [e.outcome for e in simulator.journal.entries(exchange="bingx")]
    assert outcomes == ["ok", "ok", "rate_limited", "banned", "banned"]


async def test_swap_test_order_answers_the_order_and_places_nothing(simulator: Simulator) -> None:
    simulator.set_limits("bingx", private_per_second=50)  # six calls in a second to one endpoint
    exchange = ccxt_client(simulator, "bingx", enableRateLimit=False)
    try:
        answer = await exchange.swap_v2_private_post_trade_order_test(
            {"symbol": "BTC-USDT", "side": "BUY", "type": "LIMIT", "quantity": "0.01", "price": "50000"})
        order = answer["data"]["order"]  # the shape ccxt's create_order(..., {"test": True}) parses
        assert int(exchange.last_response_headers["X-RateLimit-Requests-Remain"]) == 49
        assert order["symbol"] == "BTC-USDT" and order["orderId"] > 0 and order["positionSide"] == "LONG"
        refusals = [({"symbol": "BTC-USDT", "side": "BUY"}, "80014"),  # no type
                    ({"symbol": "NOPE-USDT", "side": "BUY", "type": "MARKET", "quantity": "1"}, "109400"),
                    ({"symbol": "BTC-USDT", "side": "BUY", "type": "MARKET"}, "80014"),  # no quantity
                    ({"symbol": "BTC-USDT", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "0"}, "100400"),
                    ({"symbol": "BTC-USDT", "side": "BUY", "type": "MARKET", "quantity": "0.000001"}, "101400")]
        for params, code in refusals:
            with pytest.raises(ccxt.BaseError, match=code):
                await exchange.swap_v2_private_post_trade_order_test(params)
    finally:
        await exchange.close()
    entries = simulator.journal.entries(endpoint="/openApi/swap/v2/trade/order/test")
    assert [e.outcome for e in entries] == ["ok"] + ["bad_request"] * 5


async def test_swap_test_order_needs_trading_permission(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "bingx", "readonly")
    try:
        with pytest.raises(ccxt.PermissionDenied, match="100004"):
            await exchange.swap_v2_private_post_trade_order_test({"symbol": "BTC-USDT", "side": "BUY",
                                                                  "type": "MARKET", "quantity": "1"})
    finally:
        await exchange.close()
