"""Kraken spot WebSocket v2: ``/v2`` on ws.kraken.com.

On connect the server sends a ``status`` update (system, api_version, connection_id, version).
``{"method": "subscribe", "params": {"channel": "ticker", "symbol": ["BTC/USD"]}, "req_id": n}``
is answered once per symbol (``success`` true, or false with an ``error``), then a ``snapshot``
of each new subscription comes before its ``update``s. Symbols are spelled ``BASE/QUOTE`` with
common asset names. ``req_id`` is echoed only when the client sent one. The client pings with
``{"method": "ping"}`` (answered ``pong``); once subscribed, the server sends a ``heartbeat``
message every second.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol, iso_ms
from cts_tui.sim.ws.session import WsSession


VERSION = "2.0.10"


class KrakenStreams(WsProtocol):
    exchange_id = "kraken"
    heartbeat_s = 1.0

    def routes(self) -> tuple[str, ...]:
        return ("/v2",)

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        return ((f"{m.base}/{m.quote}", m) for m in markets if m.is_spot)

    async def on_open(self, session: WsSession) -> None:
        status = {"api_version": "v2", "connection_id": session.number, "system": "online", "version": VERSION}
        await session.send({"channel": "status", "type": "update", "data": [status]})

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        method = frame.get("method")
        stamp = iso_ms(session.now_ms())
        echo = {"req_id": frame["req_id"]} if "req_id" in frame else {}
        times = {"time_in": stamp, "time_out": stamp}
        if method == "ping":
            await session.send({"method": "pong", **echo, **times})
            return
        params = frame.get("params") or {}
        channel = str(params.get("channel"))
        for symbol in [str(s) for s in params.get("symbol") or []]:
            topic = f"{channel}:{symbol}"
            if method == "unsubscribe":
                ok = session.unsubscribe(topic)
            else:
                ok = method == "subscribe" and channel == "ticker" and session.subscribe(topic, symbol)
            reply: dict[str, Any] = {"method": method}
            if ok:
                reply["result"] = {"channel": channel, "symbol": symbol}
                if method == "subscribe":
                    reply["result"] |= {"event_trigger": "trades", "snapshot": True}
            else:
                reply |= {"error": f"Currency pair not supported {symbol}", "symbol": symbol}
            await session.send(reply | {"success": ok, **echo, **times})
            if ok and method == "subscribe":
                await session.send(self._ticker(session.subscriptions[topic], session.now_ms(), "snapshot"))

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        return self._ticker(sub, now_ms, "update")

    def _ticker(self, sub: Subscription, now_ms: int, kind: str) -> Frame:
        q = self.quote(sub.market)
        d = q.decimals
        data = {"symbol": sub.market_id, "bid": round(q.bid, d), "bid_qty": 1.0, "ask": round(q.ask, d),
                "ask_qty": 1.0, "last": round(q.last, d), "volume": round(q.volume, 4), "vwap": round(q.last, d),
                "low": round(q.low, d), "high": round(q.high, d), "change": round(q.change, d),
                "change_pct": round(q.change_pct, 2), "timestamp": iso_ms(now_ms)}
        return {"channel": "ticker", "type": kind, "data": [data]}

    def beats(self, session: WsSession) -> bool:
        return bool(session.subscriptions)

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        return {"channel": "heartbeat"}


PROTOCOL = KrakenStreams
