"""OrangeX's WebSocket (``wss://api.orangex.com/ws/api/v1``): JSON-RPC 2.0, the same methods as
its HTTP API. The feed asks for heartbeats (`/public/set_heartbeat`), answers each
``test_request`` with `/public/test`, and subscribes to ``ticker.<instrument>.raw``."""

from __future__ import annotations

import itertools
from typing import Any

import aiohttp

from cts_tui.streams.feed import Sink
from cts_tui.streams.native import NativeFeed, split_symbol

HEARTBEAT_S = 10


class OrangexFeed(NativeFeed):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ids = itertools.count(1)

    @staticmethod
    def market_id(symbol: str) -> str:
        base, quote, perpetual = split_symbol(symbol)
        return f"{base}-{quote}-{'PERPETUAL' if perpetual else 'SPOT'}"

    async def subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        await self._call(ws, "/public/set_heartbeat", {"interval": HEARTBEAT_S})
        channels = [f"ticker.{self.market_id(symbol)}.raw" for symbol in self.symbols]
        await self._call(ws, "/public/subscribe", {"channels": channels})

    async def on_frame(self, ws: aiohttp.ClientWebSocketResponse, frame: Any, sink: Sink) -> None:
        if not isinstance(frame, dict):
            self.on_malformed("a frame that is not an object")
            return
        method, params = frame.get("method"), frame.get("params") or {}
        if method == "subscription":
            data = params.get("data") or {}
            symbol = self.symbol_of(str(data.get("instrument_name")))
            if symbol is not None:
                sink(symbol, data.get("timestamp"))
        elif method == "heartbeat" and params.get("type") == "test_request":
            await self._call(ws, "/public/test", {})
        elif "error" in frame:
            error = frame["error"] or {}
            raise ConnectionError(f"orangex refused a request: {error.get('code')} {error.get('message')}")

    async def _call(self, ws: aiohttp.ClientWebSocketResponse, method: str, params: dict[str, Any]) -> None:
        await ws.send_json({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
