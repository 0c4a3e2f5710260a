"""Unmodified ccxt `bybit` against the simulated Bybit v5: markets, time, ticker, wallet balance
per account type (unified and classic), key permissions, and Bybit's refusals (10003, 10004,
10002, 10006 with the X-Bapi-Limit headers, 403 for an IP over its 5 s budget)."""

from __future__ import annotations

import time

import aiohttp
import ccxt.async_support as ccxt
import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId
from cts_tui.sim import AccountSpec, ExchangeScenario, Scenario, Simulator
from tests.sim.ccxt_clients import ccxt_client

# How a client asks ccxt for each API type's balance; which wallet a unified / classic key reads.
BALANCE_PARAMS = {
    ApiType.UNIFIED: ({"type": "unified"}, "unified", "perpetual_futures"),
    ApiType.SPOT: ({"type": "spot"}, "unified", "spot"),
    ApiType.PERPETUAL_FUTURES: ({"type": "swap"}, "unified", "perpetual_futures"),
    ApiType.MARGIN: ({"type": "spot", "marginMode": "cross"}, "margin", "margin"),
}


@pytest.fixture
async def bybit():
    accounts = [AccountSpec(name="main"), AccountSpec(name="readonly", permissions=frozenset({"read"})),
                AccountSpec(name="classic", options={"unified": False})]
    async with Simulator(Scenario(exchanges={"bybit": ExchangeScenario(accounts=accounts)})) as sim:
        yield sim


@pytest.mark.parametrize("account_name", ["main", "classic"])
async def test_public_calls_and_every_balance_type(bybit: Simulator, account_name: str) -> None:
    exchange = ccxt_client(bybit, "bybit", account_name)
    account = bybit.account("bybit", account_name)
    try:
        markets = await exchange.load_markets()
        assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "ETH/USDT:USDT"} <= set(markets)
        assert any(m["future"] for m in markets.values())
        assert abs(await exchange.fetch_time() - time.time() * 1000) < 5_000
        ticker = await exchange.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["last"] < ticker["ask"]
        assert (await exchange.fetch_ticker("BTC/USDT:USDT"))["last"] > 0
        assert set(BALANCE_PARAMS) == set(SUPPORTED_API_TYPES[ExchangeId.BYBIT])
        for api_type, (params, unified_wallet, classic_wallet) in BALANCE_PARAMS.items():
            if api_type is ApiType.UNIFIED and account_name == "classic":
                params = {"type": "swap"}  # a classic key has no unified wallet: its contract wallet
            balance = await exchange.fetch_balance(params)
            wallet = unified_wallet if account_name == "main" else classic_wallet
            assert {k: v for k, v in balance["total"].items() if v} == account.balance(wallet)
        info = (await exchange.private_get_v5_user_query_api())["result"]
        assert info["readOnly"] == 0 and info["uta"] == (1 if account_name == "main" else 0)
    finally:
        await exchange.close()


async def test_classic_key_is_refused_the_unified_wallet(bybit: Simulator) -> None:
    exchange = ccxt_client(bybit, "bybit", "classic")
    try:
        with pytest.raises(ccxt.BadRequest, match="10001"):
            await exchange.private_get_v5_account_wallet_balance({"accountType": "UNIFIED"})
    finally:
        await exchange.close()


async def test_read_only_key_reports_read_only(bybit: Simulator) -> None:
    exchange = ccxt_client(bybit, "bybit", "readonly")
    try:
        info = (await exchange.private_get_v5_user_query_api())["result"]
        assert info["readOnly"] == 1 and info["permissions"]["Spot"] == []
    finally:
        await exchange.close()


@pytest.mark.parametrize(("override", "code"), [({"secret": "0" * 48}, "10004"), ({"apiKey": "nobody"}, "10003")])
async def test_wrong_secret_or_key_is_an_authentication_error(bybit: Simulator, override: dict, code: str) -> None:
    exchange = ccxt_client(bybit, "bybit", **override)
    try:
        with pytest.raises(ccxt.AuthenticationError, match=code):
            await exchange.private_get_v5_account_wallet_balance({"accountType": "UNIFIED"})
    finally:
        await exchange.close()
    assert bybit.journal.entries(exchange="bybit")[-1].outcome == "auth_failed"


async def test_stale_timestamp_is_invalid_nonce(bybit: Simulator) -> None:
    await bybit.set_fault("bybit", clock_skew_ms=30_000)
    exchange = ccxt_client(bybit, "bybit")
    try:
        with pytest.raises(ccxt.InvalidNonce, match="10002"):
            await exchange.private_get_v5_account_wallet_balance({"accountType": "UNIFIED"})
    finally:
        await exchange.close()
    assert bybit.journal.entries(exchange="bybit")[-1].outcome == "invalid_timestamp"


async def test_rolling_second_per_endpoint_and_uid(bybit: Simulator) -> None:
    bybit.set_limits("bybit", private_per_second=3)
    exchange = ccxt_client(bybit, "bybit", enableRateLimit=False)
    statuses = []
    try:
        for _ in range(3):
            await exchange.private_get_v5_user_query_api()
            statuses.append(exchange.last_response_headers["X-Bapi-Limit-Status"])
            assert exchange.last_response_headers["X-Bapi-Limit"] == "3"
        with pytest.raises(ccxt.RateLimitExceeded, match="10006"):
            await exchange.private_get_v5_user_query_api()
        reset_ms = int(exchange.last_response_headers["X-Bapi-Limit-Reset-Timestamp"])
        assert time.time() * 1000 - 50 < reset_ms <= time.time() * 1000 + 1_000
        await exchange.private_get_v5_account_info()  # another endpoint has its own window
    finally:
        await exchange.close()
    assert statuses == ["2", "1", "0"]
    served = bybit.journal.entries(exchange="bybit", endpoint="/v5/user/query-api")
    assert [e.outcome for e in served] == ["ok", "ok", "ok", "rate_limited"]


async def test_ip_over_its_five_second_budget_gets_403_and_a_ban(bybit: Simulator) -> None:
    bybit.set_limits("bybit", ip_requests_per_5s=2)
    url = bybit.base_url("bybit") + "/v5/market/time"
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(4):
            async with http.get(url) as response:
                statuses.append(response.status)
    assert statuses == [200, 200, 403, 403]
    exchange = ccxt_client(bybit, "bybit")
    try:
        with pytest.raises(ccxt.RateLimitExceeded):
            await exchange.fetch_time()
    finally:
        await exchange.close()
