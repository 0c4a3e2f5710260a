"""Unmodified ccxt.pro `watch_ticker` against the simulator's streams, one test per exchange:
only ``urls['api']`` is rewritten, as for REST."""

from __future__ import annotations

import time

import ccxt.pro as ccxtpro
import pytest

from cts_tui.capabilities import CCXT_EXCHANGES
from cts_tui.exchanges.ccxt_shared import rewrite_urls

from .conftest import ALL

CCXT = sorted(member.value for member in CCXT_EXCHANGES)
SPOT_ONLY = {
    "binance": {"fetchMarkets": {"types": ["spot"]}},
    "bybit": {"fetchMarkets": {"types": ["spot"]}},
    "okx": {"fetchMarkets": {"types": ["spot"]}},
    "kucoin": {"fetchMarkets": {"types": ["spot"]}},
    "htx": {"fetchMarkets": {"types": {"spot": True, "linear": False, "inverse": False}}},
}


@pytest.mark.parametrize("name", CCXT)
async def test_watch_ticker_streams_from_the_simulator(sim, name):
    exchange = getattr(ccxtpro, name)({"enableRateLimit": False, "options": SPOT_ONLY.get(name, {})})
    exchange.urls = {**exchange.urls, "api": rewrite_urls(exchange.urls["api"], sim.hosts(name), exchange.hostname)}
    exchange.has = {**exchange.has, "fetchCurrencies": False}
    try:
        tickers = [await exchange.watch_ticker("BTC/USDT") for _ in range(3)]
    finally:
        await exchange.close()
    assert {t["symbol"] for t in tickers} == {"BTC/USDT"}
    assert all(t["last"] > 0 for t in tickers)
    if name == "kraken":  # ccxt reads no event time from Kraken v2 tickers; the raw one moves on
        assert len({t["info"]["timestamp"] for t in tickers}) == 3
    else:  # three pushes, not one thrice, stamped with the server's clock
        assert tickers[0]["timestamp"] < tickers[1]["timestamp"] < tickers[2]["timestamp"]
        assert abs(tickers[-1]["timestamp"] - time.time() * 1000) < 5_000
    assert sim.streams.connections_opened(name) == 1


async def test_every_exchange_has_a_stream_endpoint(sim):
    assert set(ALL) == set(sim.exchanges)
    for name in ALL:
        assert sim.streams._protocol(sim.exchange(name).ctx) is not None
