"""Unmodified ccxt `okx` against the simulated OKX v5: markets, time, ticker, the trading account
for every API type, key permissions, demo-trading keys, and OKX's refusals (50111, 50113,
50105, 50102, 50101, 429 with 50011)."""

from __future__ import annotations

import time

import ccxt.async_support as ccxt
import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId
from cts_tui.sim import Simulator
from tests.sim.ccxt_clients import ccxt_client

BALANCE_PARAMS = {
    ApiType.SPOT: {"type": "spot"},
    ApiType.MARGIN: {"type": "margin"},
    ApiType.PERPETUAL_FUTURES: {"type": "swap"},
    ApiType.FUTURES: {"type": "future"},
}
DEMO_HEADER = {"x-simulated-trading": "1"}


@pytest.mark.parametrize("account_name", ["main", "demo"])
async def test_public_calls_every_balance_type_and_permissions(simulator: Simulator, account_name: str) -> None:
    exchange = ccxt_client(simulator, "okx", account_name)
    if account_name == "demo":
        exchange.headers = dict(DEMO_HEADER)
    try:
        markets = await exchange.load_markets()
        assert {"BTC/USDT", "ETH/USDT", "BTC/USDT:USDT", "BTC/USD:BTC"} <= set(markets)
        assert any(m["future"] for m in markets.values())
        assert abs(await exchange.fetch_time() - time.time() * 1000) < 5_000
        ticker = await exchange.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["last"] < ticker["ask"]
        assert (await exchange.fetch_ticker("BTC/USDT:USDT"))["last"] > 0
        assert set(BALANCE_PARAMS) == set(SUPPORTED_API_TYPES[ExchangeId.OKX])
        wallet = simulator.account("okx", account_name).balance("spot")
        for params in BALANCE_PARAMS.values():
            assert {k: v for k, v in (await exchange.fetch_balance(params))["total"].items() if v} == wallet
        config = (await exchange.private_get_account_config())["data"][0]
        assert config["perm"] == "read_only,trade"
    finally:
        await exchange.close()


async def test_read_only_key_reports_read_only(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "okx", "readonly")
    try:
        assert (await exchange.private_get_account_config())["data"][0]["perm"] == "read_only"
    finally:
        await exchange.close()


@pytest.mark.parametrize(("account_name", "headers"), [("demo", {}), ("main", DEMO_HEADER)])
async def test_key_of_the_other_environment_is_refused(simulator: Simulator, account_name: str, headers: dict) -> None:
    exchange = ccxt_client(simulator, "okx", account_name)
    exchange.headers = dict(headers)
    try:
        with pytest.raises(ccxt.AuthenticationError, match="50101"):
            await exchange.private_get_account_balance()
    finally:
        await exchange.close()


@pytest.mark.parametrize(("override", "code"), [
    ({"secret": "0" * 48}, "50113"), ({"apiKey": "nobody"}, "50111"), ({"password": "wrong"}, "50105"),
])
async def test_wrong_credentials_are_authentication_errors(simulator: Simulator, override: dict, code: str) -> None:
    exchange = ccxt_client(simulator, "okx", **override)
    try:
        with pytest.raises(ccxt.AuthenticationError, match=code):
            await exchange.private_get_account_balance()
    finally:
        await exchange.close()
    entry = simulator.journal.entries(exchange="okx")[-1]
    assert (entry.status, entry.outcome) == (401, "auth_failed")


async def test_stale_timestamp_is_invalid_nonce(simulator: Simulator) -> None:
    await simulator.set_fault("okx", clock_skew_ms=-45_000)
    exchange = ccxt_client(simulator, "okx")
    try:
        with pytest.raises(ccxt.InvalidNonce, match="50102"):
            await exchange.private_get_account_balance()
    finally:
        await exchange.close()


async def test_per_endpoint_two_second_limit_is_429_with_50011(simulator: Simulator) -> None:
    simulator.set_limits("okx", balance_per_2s=2)
    exchange = ccxt_client(simulator, "okx", enableRateLimit=False)
    try:
        await exchange.private_get_account_balance()
        await exchange.private_get_account_balance()
        with pytest.raises(ccxt.RateLimitExceeded, match="50011"):
            await exchange.private_get_account_balance()
        await exchange.private_get_account_config()  # another endpoint has its own window
    finally:
        await exchange.close()
    outcomes = [e.outcome for e in simulator.journal.entries(exchange="okx", endpoint="/api/v5/account/balance")]
    assert outcomes == ["ok", "ok", "rate_limited"]
    assert simulator.journal.entries(exchange="okx")[-2].status == 429
