"""Our steps of ccxt's request path (``exchanges/ccxt_transport.py``) do what ccxt's own do:
``fetch2`` with ccxt's defaults takes our short path (stamp, sign, fetch) and every option that
changes what ccxt's own does (a retry on failure, ``callerMethodName``) still gets ccxt's own,
unchanged; an answer's body is decoded as aiohttp's ``text()`` would. Unmodified ccxt against
the simulator."""

from __future__ import annotations

import ccxt
import pytest

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges.ccxt_transport import _charset
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


@pytest.mark.parametrize(("content_type", "encoding"), [
    ("application/json", "utf-8"),
    ("application/json;charset=UTF-8", "utf-8"),
    ('text/html; Charset="ISO-8859-1"', "iso8859-1"),
    ("text/plain; charset=no-such-codec", "utf-8"),
    ("", "utf-8"),
])
def test_a_body_is_decoded_as_aiohttp_would(content_type: str, encoding: str) -> None:
    assert _charset(content_type) == encoding
