"""The simulator lists each exchange's real markets under their real names, with BTC and ETH
first in every kind, and a scenario's market count trims or pads that list without duplicates."""

from __future__ import annotations

from collections import Counter

import ccxt.async_support as ccxt
import pytest

from cts_tui.sim import Simulator
from cts_tui.sim.exchanges import discover
from cts_tui.sim.listings import markets_for
from tests.sim._ccxt_point import point

# exchange -> market ids only the real listing has (as ccxt reads them from the simulator)
REAL_IDS = {
    "binance": {"BTCUSDT", "1000PEPEUSDT", "BTCUSD_PERP", "ETHBTC"},
    "kraken": {"XXBTZUSD", "XETHZUSD", "XBTUSDT", "XETHXXBT"},
    "coinbase": {"BTC-USD", "ETH-USD", "BTC-EUR", "USDT-USD"},
    "htx": {"btcusdt", "BTC-USDT", "BTC-USD"},
    "okx": {"BTC-USDT", "BTC-USDT-SWAP", "BTC-USD-SWAP", "OKB-USDT"},
    "kucoin": {"BTC-USDT", "KCS-USDT", "XBTUSDTM", "XBTUSDM"},
}


@pytest.mark.parametrize("exchange_id", list(REAL_IDS))
async def test_ccxt_reads_the_real_market_names(sim: Simulator, exchange_id: str) -> None:
    exchange = point(getattr(ccxt, exchange_id)({"enableRateLimit": False}), sim.hosts(exchange_id))
    try:
        markets = await exchange.load_markets()
    finally:
        await exchange.close()
    assert REAL_IDS[exchange_id] <= {market["id"] for market in markets.values()}
    assert len(markets) == len(sim.exchange(exchange_id).ctx.markets)


@pytest.mark.parametrize("count", [20, 40, 2000])
def test_a_market_count_keeps_every_kind_majors_first_and_no_duplicates(count: int) -> None:
    for name, cls in discover().items():
        markets = markets_for(name, 42, count, cls.market_kinds, cls.listing)
        assert len(markets) == len({m.key for m in markets}) == count
        assert set(Counter(m.kind for m in markets)) == set(cls.market_kinds)
        first = {}
        for market in markets:
            first.setdefault(market.kind, market)
        assert all(m.base == "BTC" for m in first.values()), name
