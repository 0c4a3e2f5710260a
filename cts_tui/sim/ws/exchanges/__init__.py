"""One WebSocket protocol per simulated exchange, keyed by exchange id."""

from __future__ import annotations

from cts_tui.sim.ws.exchanges.binance import BinanceStreams
from cts_tui.sim.ws.exchanges.bingx import BingxStreams
from cts_tui.sim.ws.exchanges.bybit import BybitStreams
from cts_tui.sim.ws.exchanges.coinbase import CoinbaseStreams
from cts_tui.sim.ws.exchanges.htx import HtxStreams
from cts_tui.sim.ws.exchanges.kraken import KrakenStreams
from cts_tui.sim.ws.exchanges.okx import OkxStreams
from cts_tui.sim.ws.exchanges.orangex import OrangexStreams
from cts_tui.sim.ws.exchanges.pionex import PionexStreams
from cts_tui.sim.ws.protocol import WsProtocol

PROTOCOLS: dict[str, type[WsProtocol]] = {
    cls.exchange_id: cls
    for cls in (BinanceStreams, BingxStreams, BybitStreams, CoinbaseStreams, HtxStreams, KrakenStreams,
                OkxStreams, OrangexStreams, PionexStreams)
}
