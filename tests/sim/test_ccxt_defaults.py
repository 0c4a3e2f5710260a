"""Unmodified ccxt with its default options (currency lists first, every market type it loads by
default, HTX's inverse swaps and futures included) against each of the seven ccxt exchanges:
markets, currencies, order book, trades, candles and balance, all from the simulator."""

from __future__ import annotations

import time
from typing import Any

import ccxt.async_support as ccxt
import pytest

from cts_tui.sim import Simulator
from tests.sim._ccxt_point import point

# exchange -> (symbol read, a currency the account holds, the market types ccxt must have loaded)
TABLE: dict[str, tuple[str, str, set[str]]] = {
    "binance": ("BTC/USDT", "USDT", {"spot", "swap", "future"}),
    "bybit": ("BTC/USDT", "USDT", {"spot", "swap", "future"}),
    "okx": ("BTC/USDT", "USDT", {"spot", "swap", "future"}),
    "bingx": ("BTC/USDT", "USDT", {"spot", "swap"}),
    "htx": ("BTC/USDT", "USDT", {"spot", "swap", "future"}),
    "coinbase": ("BTC/USD", "USDT", {"spot"}),
    "kraken": ("BTC/USD", "USDT", {"spot"}),
    "kucoin": ("BTC/USDT", "USDT", {"spot", "swap"}),
}


def default_client(sim: Simulator, exchange_id: str) -> Any:
    account = sim.account(exchange_id)
    # Only ccxt's own throttle is off (it would just slow the test: Kraken's is 3 s a call); every
    # option that decides what ccxt asks for stays at its default.
    config = {"apiKey": account.api_key, "secret": account.secret, "password": account.passphrase,
              "enableRateLimit": False}
    return point(getattr(ccxt, exchange_id)(config), sim.hosts(exchange_id))


@pytest.mark.parametrize("exchange_id", list(TABLE))
async def test_default_ccxt_loads_markets_and_reads_market_data_and_balance(sim: Simulator, exchange_id: str) -> None:
    symbol, held, types = TABLE[exchange_id]
    exchange = default_client(sim, exchange_id)
    try:
        markets = await exchange.load_markets()
        assert {market["type"] for market in markets.values()} >= types
        assert exchange.currencies[held]["id"] and "BTC" in exchange.currencies  # the exchange's own list

        book = await exchange.fetch_order_book(symbol)
        assert book["bids"] and book["asks"] and book["bids"][0][0] < book["asks"][0][0]
        assert [level[0] for level in book["bids"]] == sorted((level[0] for level in book["bids"]), reverse=True)

        trades = await exchange.fetch_trades(symbol)
        mid = (book["bids"][0][0] + book["asks"][0][0]) / 2
        assert trades and all(abs(t["price"] / mid - 1) < 0.05 for t in trades)

        candles = await exchange.fetch_ohlcv(symbol, "1m")
        stamps = [c[0] for c in candles]
        assert stamps == sorted(stamps) and stamps[-1] <= time.time() * 1000 + 60_000
        assert all(low <= min(o, c) <= max(o, c) <= high for _, o, high, low, c, _ in candles)

        balance = await exchange.fetch_balance()
        assert balance["total"][held] > 0
    finally:
        await exchange.close()


async def test_kraken_validates_an_order_without_placing_it(sim: Simulator) -> None:
    exchange = default_client(sim, "kraken")
    try:
        checked = await exchange.create_order("BTC/USD", "limit", "buy", 0.001, 50_000, {"validate": True})
        assert checked["info"]["descr"]["order"] == "buy 0.00100000 XBTUSD @ limit 50000.0"
        with pytest.raises(ccxt.InvalidOrder):
            await exchange.create_order("BTC/USD", "limit", "buy", 1e-9, 50_000, {"validate": True})
        with pytest.raises(ccxt.ExchangeError):  # the simulator places nothing
            await exchange.create_order("BTC/USD", "limit", "buy", 0.001, 50_000)
        assert (await exchange.fetch_open_orders()) == []
    finally:
        await exchange.close()


async def test_coinbase_previews_an_order_with_a_cdp_key(sim: Simulator) -> None:
    account = sim.account("coinbase", "cdp")
    exchange = point(ccxt.coinbase({"apiKey": account.api_key, "secret": account.secret, "enableRateLimit": False}),
                     sim.hosts("coinbase"))
    try:
        order = {"product_id": "BTC-USD", "side": "BUY",
                 "order_configuration": {"market_market_ioc": {"quote_size": "100"}}}
        preview = await exchange.v3PrivatePostBrokerageOrdersPreview(order)
        assert preview["errs"] == [] and float(preview["commission_total"]) == pytest.approx(1.2, rel=0.01)
        assert float(preview["base_size"]) * float(preview["best_ask"]) == pytest.approx(100, rel=0.01)
    finally:
        await exchange.close()
