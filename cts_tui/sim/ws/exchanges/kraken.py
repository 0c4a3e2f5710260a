"""Kraken spot WebSocket v2: ``/v2``.

``{"method": "subscribe", "params": {"channel": "ticker", "symbol": ["BTC/USD"]}, "req_id": n}``
is answered once per symbol (``success`` true, or false with an ``error``). Symbols are spelled
``BASE/QUOTE`` with common asset names. The client pings with ``{"method": "ping"}``; the server
sends a ``heartbeat`` message every second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol, iso_ms
from cts_tui.sim.ws.session import WsSession


class KrakenStreams(WsProtocol):
    exchange_id = "kraken"
    heartbeat_s = 1.0

    def routes(self) -> tuple[str, ...]:
        return ("/v2",)

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        return ((f"{m.base}/{m.quote}", m) for m in markets if m.is_spot)

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        method, req_id = frame.get("method"), frame.get("req_id")
        stamp = iso_ms(session.now_ms())
        times = {"time_in": stamp, "time_out": stamp}
        if method == "ping":
            await session.send({"method": "pong", "req_id": req_id, **times})
            return
        params = frame.get("params") or {}
        channel = str(params.get("channel"))
        for symbol in [str(s) for s in params.get("symbol") or []]:
            topic = f"{channel}:{symbol}"
            if method == "unsubscribe":
                ok = session.unsubscribe(topic)
            else:
                ok = method == "subscribe" and channel == "ticker" and session.subscribe(topic, symbol)
            reply = {"method": method, "req_id": req_id, "success": ok, **times}
            if ok:
                reply["result"] = {"channel": channel, "symbol": symbol, "snapshot": True, "event_trigger": "trades"}
            else:
                reply |= {"error": f"Currency pair not supported {symbol}", "symbol": symbol}
            await session.send(reply)

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        d = q.decimals
        data = {"symbol": sub.market_id, "bid": round(q.bid, d), "bid_qty": 1.0, "ask": round(q.ask, d),
                "ask_qty": 1.0, "last": round(q.last, d), "volume": round(q.volume, 4), "vwap": round(q.last, d),
                "low": round(q.low, d), "high": round(q.high, d), "change": round(q.change, d),
                "change_pct": round(q.change_pct, 2), "timestamp": iso_ms(now_ms)}
        return {"channel": "ticker", "type": "update", "data": [data]}

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        return {"channel": "heartbeat"}
