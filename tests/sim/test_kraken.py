"""Unmodified ccxt `kraken` against the simulated Kraken: markets, time, ticker, spot and margin
balances, and Kraken's refusals (invalid key, invalid nonce, rate limit, permission, maintenance)."""

from __future__ import annotations

import ccxt.async_support as ccxt
import pytest

from cts_tui.sim import AccountSpec, Simulator
from tests.sim._ccxt_point import only, point

ACCOUNTS = [AccountSpec(name="main"), AccountSpec(name="tradeonly", permissions=frozenset({"trade"}))]


@pytest.fixture
async def sim():
    async with Simulator(only("kraken", accounts=ACCOUNTS)) as simulator:
        yield simulator


def client(sim: Simulator, account: str = "main", **overrides) -> ccxt.kraken:
    acct = sim.account("kraken", account)
    # ccxt's own throttle (one call per second) would only slow the test; the server's counter is under test.
    settings = {"apiKey": acct.api_key, "secret": acct.secret, "enableRateLimit": False, **overrides}
    return point(ccxt.kraken(settings), sim.hosts("kraken"))


async def test_public_calls_and_spot_and_margin_balances(sim: Simulator) -> None:
    exchange = client(sim)
    try:
        markets = await exchange.load_markets()
        assert markets["BTC/USDT"]["id"] == "XBTUSDT" and markets["BTC/USDT"]["margin"]
        assert abs(await exchange.fetch_time() - sim.exchange("kraken").ctx.clock.now_ms()) < 5_000
        ticker = await exchange.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["ask"]
        balance = await exchange.fetch_balance()
        assert balance["total"]["BTC"] == pytest.approx(sim.account("kraken").balance("spot")["BTC"])
        margin = await exchange.privatePostTradeBalance()
        assert float(margin["result"]["eb"]) > sim.account("kraken").balance("margin")["USDT"]
    finally:
        await exchange.close()


async def test_wrong_secret_is_an_authentication_error(sim: Simulator) -> None:
    exchange = client(sim, secret="c2ltdWxhdGVkIGJ1dCB3cm9uZw==")
    try:
        with pytest.raises(ccxt.AuthenticationError):
            await exchange.fetch_balance()
    finally:
        await exchange.close()


async def test_a_nonce_that_does_not_grow_is_invalid(sim: Simulator) -> None:
    ahead, behind = client(sim), client(sim)
    behind.options["timeDifference"] = 60_000  # a second process on the same key, clock a minute late
    try:
        await ahead.privatePostBalance()
        with pytest.raises(ccxt.InvalidNonce):
            await behind.privatePostBalance()
    finally:
        await ahead.close()
        await behind.close()


async def test_the_call_counter_limits_and_a_key_without_query_funds_is_denied(sim: Simulator) -> None:
    sim.set_limits("kraken", private_max=3, private_decay_per_s=0.01)
    exchange = client(sim)
    restricted = client(sim, "tradeonly")
    try:
        with pytest.raises(ccxt.DDoSProtection):
            for _ in range(4):
                await exchange.privatePostBalance()
        with pytest.raises(ccxt.PermissionDenied):
            await restricted.privatePostBalance()
    finally:
        await exchange.close()
        await restricted.close()
    outcomes = [e.outcome for e in sim.journal.entries(exchange="kraken", endpoint="/0/private/Balance")]
    assert outcomes == ["ok", "ok", "ok", "rate_limited", "permission_denied"]


async def test_maintenance_is_eservice_unavailable(sim: Simulator) -> None:
    await sim.set_fault("kraken", maintenance=True)
    exchange = client(sim)
    try:
        with pytest.raises(ccxt.ExchangeNotAvailable, match="EService:Unavailable"):
            await exchange.fetch_time()
    finally:
        await exchange.close()
