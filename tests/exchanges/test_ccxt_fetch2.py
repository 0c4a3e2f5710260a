"""ccxt's ``fetch2`` with its defaults takes our short path (stamp, sign, fetch); every option that
changes what ccxt's own does (a retry on failure, ``callerMethodName``) still gets ccxt's own,
unchanged. Unmodified ccxt against the simulator."""

from __future__ import annotations

import ccxt
import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.sim import Simulator

from .helpers import connection_for

TICKER = "/api/v3/ticker/24hr"


async def _hooked(sim: Simulator, hub: ExchangeHub):
    client = hub.client_for(connection_for(sim, ExchangeId.BINANCE, ApiType.SPOT))
    await client.load_markets()
    return await client._ccxt()  # noqa: SLF001 - the hooked ccxt instance itself is under test


def _tickers_sent(sim: Simulator) -> int:
    return len(sim.journal.entries(exchange="binance", endpoint=TICKER))


async def test_a_default_request_is_sent_once_with_ccxts_bookkeeping(sim: Simulator, hub: ExchangeHub) -> None:
    instance = await _hooked(sim, hub)
    ticker = await instance.fetch_ticker("BTC/USDT")
    assert ticker["symbol"] == "BTC/USDT"
    assert _tickers_sent(sim) == 1
    assert TICKER in instance.last_request_url and instance.lastRestRequestTimestamp > 0


async def test_ccxts_own_retry_option_still_retries(sim: Simulator, hub: ExchangeHub) -> None:
    instance = await _hooked(sim, hub)
    await sim.set_fault("binance", error_rate=1.0)
    with pytest.raises(ccxt.OperationFailed):
        await instance.fetch_ticker("BTC/USDT")
    assert _tickers_sent(sim) == 1  # the default: no retry
    instance.options["maxRetriesOnFailure"] = 2
    with pytest.raises(ccxt.OperationFailed):
        await instance.fetch_ticker("BTC/USDT")
    assert _tickers_sent(sim) == 1 + 3
    with pytest.raises(ccxt.OperationFailed):
        await instance.fetch_ticker("BTC/USDT", {"maxRetriesOnFailure": 0})  # the parameter wins
    assert _tickers_sent(sim) == 1 + 3 + 1
