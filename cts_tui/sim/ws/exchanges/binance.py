"""Binance market streams: ``/ws`` (spot) and ``/market/ws`` (USD-M, where ccxt puts tickers).

Subscribe with ``{"method": "SUBSCRIBE", "params": ["btcusdt@ticker"], "id": n}``, answered
``{"result": null, "id": n}``; a stream name of no market is accepted and stays silent, as on
Binance. Pushes are ``24hrMiniTicker`` or ``24hrTicker`` events, as the stream
name asks; the server pings with protocol ping frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession

SPOT, FUTURES = "/ws", "/market/ws"


class BinanceStreams(WsProtocol):
    exchange_id = "binance"
    heartbeat_s = 20.0

    def routes(self) -> tuple[str, ...]:
        return (SPOT, FUTURES, "/public/ws")

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        wanted = "spot" if route == SPOT else "linear_swap"
        return ((m.base + m.quote, m) for m in markets if m.kind == wanted)

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        method, request_id = frame.get("method"), frame.get("id")
        names = [str(n) for n in frame.get("params") or []]
        if method == "SUBSCRIBE":
            for name in names:
                session.subscribe(name, name.partition("@")[0].upper())
        elif method == "UNSUBSCRIBE":
            for name in names:
                session.unsubscribe(name)
        elif method == "LIST_SUBSCRIPTIONS":
            await session.send({"result": sorted(session.subscriptions), "id": request_id})
            return
        else:
            await session.send({"error": {"code": 2, "msg": f"Invalid request: unknown method {method}"},
                                "id": request_id})
            return
        await session.send({"result": None, "id": request_id})

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        f = q.fmt
        mini = {"E": now_ms, "s": sub.market_id, "c": f(q.last), "o": f(q.open), "h": f(q.high), "l": f(q.low),
                "v": f"{q.volume:.4f}", "q": f"{q.volume * q.last:.4f}"}
        if sub.topic.endswith("@miniTicker"):
            return {"e": "24hrMiniTicker", **mini}
        return {
            "e": "24hrTicker", **mini, "p": f(q.change), "P": f"{q.change_pct:.3f}", "w": f(q.last), "x": f(q.open),
            "Q": "1", "b": f(q.bid), "B": "1", "a": f(q.ask), "A": "1", "O": now_ms - 86_400_000, "C": now_ms,
            "F": 0, "L": session.sequence, "n": session.sequence,
        }


PROTOCOL = BinanceStreams
