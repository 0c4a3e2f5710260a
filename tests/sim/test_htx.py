"""Unmodified ccxt `htx` against the simulated HTX: markets, time, ticker, balances, permissions,
and the refusals HTX gives (wrong secret, wrong host, stale timestamp, too many requests)."""

from __future__ import annotations

import ccxt.async_support as ccxt
import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId
from cts_tui.sim import Simulator
from tests.sim._ccxt_point import only, point

BALANCE_PARAMS = {
    ApiType.SPOT: {"type": "spot"},
    ApiType.MARGIN: {"type": "margin"},
    ApiType.PERPETUAL_FUTURES: {"type": "swap", "subType": "linear"},
}


@pytest.fixture
async def sim():
    async with Simulator(only("htx")) as simulator:
        yield simulator


def client(sim: Simulator, account: str = "main", **overrides) -> ccxt.htx:
    acct = sim.account("htx", account)
    exchange = ccxt.htx({"apiKey": acct.api_key, "secret": acct.secret, **overrides})
    point(exchange, sim.hosts("htx"))
    exchange.options["fetchMarkets"] = {"types": {"spot": True, "linear": True, "inverse": False}}
    return exchange


async def test_public_calls_and_every_balance_type(sim: Simulator) -> None:
    exchange = client(sim)
    try:
        markets = await exchange.load_markets()
        assert "BTC/USDT" in markets and "BTC/USDT:USDT" in markets
        assert abs(await exchange.fetch_time() - sim.exchange("htx").ctx.clock.now_ms()) < 5_000
        ticker = await exchange.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["ask"] and ticker["last"] > 0
        swap_ticker = await exchange.fetch_ticker("BTC/USDT:USDT")
        assert swap_ticker["last"] > 0
        expected = sim.account("htx").balance
        for api_type in SUPPORTED_API_TYPES[ExchangeId.HTX]:
            balance = await exchange.fetch_balance(BALANCE_PARAMS[api_type])
            wanted = expected(api_type.value)
            assert balance["total"]["USDT"] == pytest.approx(wanted["USDT"]), api_type
    finally:
        await exchange.close()


async def test_key_permissions_lookup(sim: Simulator) -> None:
    for account, expected in (("main", "readOnly,trade"), ("readonly", "readOnly")):
        exchange = client(sim, account)
        try:
            uid = (await exchange.spotPrivateGetV2UserUid())["data"]
            keys = await exchange.spotPrivateGetV2UserApiKey({"uid": uid, "accessKey": exchange.apiKey})
            assert keys["data"][0]["permission"] == expected
        finally:
            await exchange.close()


async def test_wrong_secret_wrong_key_and_wrong_host_are_authentication_errors(sim: Simulator) -> None:
    wrong_secret = client(sim, secret="not-the-secret")
    wrong_key = client(sim, apiKey="unknown-key")
    wrong_host = client(sim)
    wrong_host.urls["hostnames"] = {"spot": "api.huobi.pro", "contract": "api.hbdm.vn"}
    wrong_host.urls["api"] = {name: sim.base_url("htx", "api.hbdm.com" if name == "contract" else None)
                              for name in wrong_host.urls["api"]}
    try:
        for exchange in (wrong_secret, wrong_key, wrong_host):
            with pytest.raises(ccxt.AuthenticationError):
                await exchange.fetch_balance({"type": "swap", "subType": "linear"})
    finally:
        for exchange in (wrong_secret, wrong_key, wrong_host):
            await exchange.close()
    outcomes = {e.outcome for e in sim.journal.entries(exchange="htx", endpoint="/v5/account/balance")}
    assert outcomes == {"auth_failed"}


async def test_stale_timestamp_is_refused(sim: Simulator) -> None:
    exchange = client(sim)
    exchange.options["timeDifference"] = 600_000  # the client's clock ten minutes behind
    try:
        with pytest.raises(ccxt.AuthenticationError, match="Timestamp expired"):
            await exchange.fetch_balance({"type": "swap", "subType": "linear"})
    finally:
        await exchange.close()
    assert sim.journal.entries(exchange="htx", outcome="invalid_timestamp")


async def test_exceeding_the_private_limit_raises_rate_limit_exceeded(sim: Simulator) -> None:
    sim.set_limits("htx", spot_private_limit=3)
    exchange = client(sim, enableRateLimit=False)
    try:
        with pytest.raises(ccxt.RateLimitExceeded):
            for _ in range(5):
                await exchange.spotPrivateGetV1AccountAccounts()
    finally:
        await exchange.close()
    served = sim.journal.entries(exchange="htx", endpoint="/v1/account/accounts")
    assert [e.outcome for e in served] == ["ok", "ok", "ok", "rate_limited"]


async def test_maintenance_uses_htx_code(sim: Simulator) -> None:
    await sim.set_fault("htx", maintenance=True)
    exchange = client(sim)
    try:
        with pytest.raises(ccxt.OnMaintenance):
            await exchange.fetch_time()
    finally:
        await exchange.close()
