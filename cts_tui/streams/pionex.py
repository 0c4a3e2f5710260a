"""Pionex's documented public stream (``wss://ws.pionex.com/wsPub``): the TRADE topic per
symbol is the price feed (Pionex publishes no ticker topic); the server's ``PING`` is answered
with a ``PONG`` carrying its timestamp, or Pionex closes the connection."""

from __future__ import annotations

from typing import Any

import aiohttp

from cts_tui.streams.feed import Sink
from cts_tui.streams.native import NativeFeed, split_symbol


class PionexFeed(NativeFeed):
    @staticmethod
    def market_id(symbol: str) -> str:
        base, quote, perpetual = split_symbol(symbol)
        return f"{base}_{quote}_PERP" if perpetual else f"{base}_{quote}"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        for market_id in map(self.market_id, self.symbols):
            await ws.send_json({"op": "SUBSCRIBE", "topic": "TRADE", "symbol": market_id})

    async def on_frame(self, ws: aiohttp.ClientWebSocketResponse, frame: Any, sink: Sink) -> None:
        if not isinstance(frame, dict):
            self.on_malformed("a frame that is not an object")
        elif frame.get("op") == "PING":
            await ws.send_json({"op": "PONG", "timestamp": frame.get("timestamp")})
        elif frame.get("topic") == "TRADE":
            symbol = self.symbol_of(str(frame.get("symbol")))
            if symbol is not None:
                sink(symbol, frame.get("timestamp"))
        elif frame.get("result") is False:
            raise ConnectionError(f"pionex refused a subscription: {frame.get('code')} {frame.get('message')}")
