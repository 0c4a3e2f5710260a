"""WebSocket feeds that cts-tui speaks itself (Pionex, OrangeX): one aiohttp connection per
stream, the exchange's own heartbeat answered by the feed, unreadable frames counted."""

from __future__ import annotations

import json
from abc import abstractmethod
from collections.abc import Callable, Iterable
from typing import Any

import aiohttp

from cts_tui.exchanges.hosts import Target, rehost
from cts_tui.streams.feed import Feed, Sink
from cts_tui.venues import VENUES

class NativeFeed(Feed):
    transport = "native"

    def __init__(self, exchange: str, symbols: Iterable[str], session: Callable[[], aiohttp.ClientSession],
                 target: Target | None = None) -> None:
        super().__init__(exchange, rehost(VENUES[exchange].native_stream_url, target), symbols)
        self._session = session
        self._by_id = {self.market_id(symbol): symbol for symbol in self.symbols}

    async def run(self, sink: Sink) -> None:
        timeout = aiohttp.ClientWSTimeout(ws_close=1.0)
        async with self._session().ws_connect(self.url, autoping=True, compress=0, timeout=timeout) as ws:
            await self.subscribe(ws)
            async for message in ws:
                if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):  # Pionex: binary JSON
                    try:
                        frame = json.loads(message.data)
                    except ValueError:
                        self.on_malformed("a frame that is not JSON")
                        continue
                    await self.on_frame(ws, frame, sink)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    raise ConnectionError(f"{self.exchange} stream failed: {ws.exception()}")
        raise ConnectionError(f"{self.exchange} closed the stream (code {ws.close_code})")

    def symbol_of(self, market_id: str) -> str | None:
        return self._by_id.get(market_id)

    @staticmethod
    @abstractmethod
    def market_id(symbol: str) -> str:
        """The exchange's name of a unified symbol."""

    @abstractmethod
    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None: ...

    @abstractmethod
    async def on_frame(self, ws: aiohttp.ClientWebSocketResponse, frame: Any, sink: Sink) -> None: ...


def split_symbol(symbol: str) -> tuple[str, str, bool]:
    """``BTC/USDT`` -> (BTC, USDT, False); ``BTC/USDT:USDT`` -> (BTC, USDT, True)."""
    pair, _, settle = symbol.partition(":")
    base, _, quote = pair.partition("/")
    return base, quote, bool(settle)
