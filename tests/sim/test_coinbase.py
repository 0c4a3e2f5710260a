"""Unmodified ccxt against the simulated Coinbase: `coinbase` (Advanced Trade, a key without
passphrase) and `coinbaseexchange` (a key with one): markets, time, ticker, balances, key
permissions, and the refusals (wrong secret or passphrase, stale timestamp, rate limit)."""

from __future__ import annotations

import ccxt.async_support as ccxt
import pytest

from cts_tui.capabilities import SUPPORTED_API_TYPES, ApiType, ExchangeId
from cts_tui.sim import AccountSpec, Simulator
from tests.sim._ccxt_point import only, point

ACCOUNTS = [
    AccountSpec(name="main", balances={"spot": {"USDT": 100.0, "BTC": 0.25}}),
    AccountSpec(name="readonly", permissions=frozenset({"read"})),
    AccountSpec(name="exchange", passphrase="pass-phrase", balances={"spot": {"USDT": 55.0}}),
]


@pytest.fixture
async def sim():
    async with Simulator(only("coinbase", accounts=ACCOUNTS)) as simulator:
        yield simulator


def advanced(sim: Simulator, account: str = "main", **overrides) -> ccxt.coinbase:
    acct = sim.account("coinbase", account)
    return point(ccxt.coinbase({"apiKey": acct.api_key, "secret": acct.secret, **overrides}), sim.hosts("coinbase"))


def exchange_api(sim: Simulator, **overrides) -> ccxt.coinbaseexchange:
    acct = sim.account("coinbase", "exchange")
    credentials = {"apiKey": acct.api_key, "secret": acct.secret, "password": acct.passphrase}
    return point(ccxt.coinbaseexchange(credentials | overrides), sim.hosts("coinbase"))


async def test_advanced_trade_calls(sim: Simulator) -> None:
    assert SUPPORTED_API_TYPES[ExchangeId.COINBASE] == (ApiType.SPOT,)
    client = advanced(sim)
    try:
        markets = await client.load_markets()
        assert markets["BTC/USDT"]["id"] == "BTC-USDT"
        assert abs(await client.fetch_time() - sim.exchange("coinbase").ctx.clock.now_ms()) < 5_000
        ticker = await client.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["ask"]
        assert (await client.fetch_balance())["total"]["BTC"] == pytest.approx(0.25)
        assert (await client.fetch_balance({"v3": True}))["total"]["USDT"] == pytest.approx(100.0)
        permissions = await client.v3PrivateGetBrokerageKeyPermissions()
        assert (permissions["can_view"], permissions["can_trade"]) == (True, True)
    finally:
        await client.close()
    readonly = advanced(sim, "readonly")
    try:
        assert (await readonly.v3PrivateGetBrokerageKeyPermissions())["can_trade"] is False
    finally:
        await readonly.close()


async def test_exchange_calls_with_passphrase(sim: Simulator) -> None:
    client = exchange_api(sim)
    try:
        markets = await client.load_markets()
        assert "BTC/USDT" in markets
        assert abs(await client.fetch_time() - sim.exchange("coinbase").ctx.clock.now_ms()) < 5_000
        assert (await client.fetch_ticker("BTC/USDT"))["last"] > 0
        assert (await client.fetch_balance())["total"]["USDT"] == pytest.approx(55.0)
    finally:
        await client.close()


async def test_wrong_secret_or_passphrase_are_authentication_errors(sim: Simulator) -> None:
    clients = [advanced(sim, secret="wrong-secret"), exchange_api(sim, secret="d3Jvbmcgc2VjcmV0"),
               exchange_api(sim, password="wrong-passphrase")]
    try:
        for client in clients:
            with pytest.raises(ccxt.AuthenticationError):
                await client.fetch_balance()
    finally:
        for client in clients:
            await client.close()
    assert len(sim.journal.entries(exchange="coinbase", outcome="auth_failed")) == 3


async def test_stale_timestamp_is_refused(sim: Simulator) -> None:
    client = advanced(sim)
    client.options["timeDifference"] = 120_000
    try:
        with pytest.raises(ccxt.AuthenticationError, match="request timestamp expired"):
            await client.fetch_balance()
    finally:
        await client.close()
    assert sim.journal.entries(exchange="coinbase", outcome="invalid_timestamp")


async def test_exceeding_the_private_limit_raises_rate_limit_exceeded(sim: Simulator) -> None:
    sim.set_limits("coinbase", private_per_s=2)
    client = advanced(sim, enableRateLimit=False)
    try:
        with pytest.raises(ccxt.RateLimitExceeded):
            for _ in range(4):
                await client.v3PrivateGetBrokerageKeyPermissions()
    finally:
        await client.close()


async def test_maintenance_is_exchange_not_available(sim: Simulator) -> None:
    await sim.set_fault("coinbase", maintenance=True)
    client = advanced(sim)
    try:
        with pytest.raises(ccxt.ExchangeNotAvailable):
            await client.fetch_time()
    finally:
        await client.close()


async def test_product_book_public_and_signed(sim: Simulator) -> None:
    client = advanced(sim, enableRateLimit=False)
    try:
        public = await client.v3PublicGetBrokerageMarketProductBook({"product_id": "BTC-USD", "limit": 5})
        signed = await client.v3PrivateGetBrokerageProductBook({"product_id": "BTC-USD", "limit": 5})
        with pytest.raises(ccxt.BaseError, match="ProductID is invalid"):
            await client.v3PublicGetBrokerageMarketProductBook({"product_id": "NOPE-USD"})
    finally:
        await client.close()
    for answer in (public, signed):
        book = answer["pricebook"]
        assert book["product_id"] == "BTC-USD" and len(book["bids"]) == len(book["asks"]) == 5
        assert float(book["bids"][0]["price"]) < float(book["asks"][0]["price"])
    assert [e.account for e in sim.journal.entries(endpoint="/api/v3/brokerage/product_book")] == ["main"]
