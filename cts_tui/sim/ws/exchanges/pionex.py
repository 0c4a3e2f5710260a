"""Pionex public stream: ``/wsPub``, as Pionex documents it.

Topics are ``TRADE`` and ``DEPTH`` per symbol (``BTC_USDT``); Pionex has no ticker topic, so the
trade stream is the price feed. ``{"op": "SUBSCRIBE", "topic": "TRADE", "symbol": "BTC_USDT"}``
is answered ``{"type": "SUBSCRIBED", "topic": "TRADE", "symbol": "BTC_USDT"}`` (and an
unsubscribe ``{"type": "UNSUBSCRIBED", ...}``), an unknown symbol with ``{"result": false,
"code": "SYMBOL_INVALID", ...}``. Every server frame is a binary frame of plain JSON, as Pionex
sends them. The server sends ``{"op": "PING", "timestamp": ms}``; the client must
answer ``{"op": "PONG", "timestamp": ms}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession


class PionexStreams(WsProtocol):
    exchange_id = "pionex"
    binary = True
    heartbeat_s = 15.0

    def routes(self) -> tuple[str, ...]:
        return ("/wsPub",)

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        for m in markets:
            if m.is_spot:
                yield f"{m.base}_{m.quote}", m
            elif m.kind == "linear_swap":
                yield f"{m.base}_{m.quote}_PERP", m

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        op, topic, symbol = frame.get("op"), str(frame.get("topic")), str(frame.get("symbol"))
        now = session.now_ms()
        if op == "PONG":
            session.pongs += 1
        elif op == "SUBSCRIBE" and topic == "TRADE" and session.subscribe(f"TRADE:{symbol}", symbol):
            await session.send({"type": "SUBSCRIBED", "topic": topic, "symbol": symbol})
        elif op == "UNSUBSCRIBE":
            session.unsubscribe(f"{topic}:{symbol}")
            await session.send({"type": "UNSUBSCRIBED", "topic": topic, "symbol": symbol})
        else:
            await session.send({"result": False, "code": "SYMBOL_INVALID", "message": f"invalid {topic} {symbol}",
                                "timestamp": now})

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        trade = {"symbol": sub.market_id, "tradeId": str(session.sequence), "price": q.fmt(q.last),
                 "size": f"{sub.market.min_qty:.{sub.market.qty_decimals}f}",
                 "side": "BUY" if session.sequence % 2 else "SELL", "timestamp": now_ms}
        return {"topic": "TRADE", "symbol": sub.market_id, "data": [trade], "timestamp": now_ms}

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        return {"op": "PING", "timestamp": now_ms}


PROTOCOL = PionexStreams
