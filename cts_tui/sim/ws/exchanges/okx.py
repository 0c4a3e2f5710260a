"""OKX v5 public stream: ``/ws/v5/public``.

``{"op": "subscribe", "args": [{"channel": "tickers", "instId": "BTC-USDT"}]}`` is answered per
argument with ``{"event": "subscribe", "arg": ...}`` or an ``error`` event with code 60018.
OKX has no protocol-level ping: the client sends the text ``ping`` and gets ``pong``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession


class OkxStreams(WsProtocol):
    exchange_id = "okx"

    def routes(self) -> tuple[str, ...]:
        return ("/ws/v5/public",)

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        for m in markets:
            if m.kind == "spot":
                yield f"{m.base}-{m.quote}", m
            elif m.kind == "linear_swap":
                yield f"{m.base}-{m.quote}-SWAP", m

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if frame == "ping":
            await session.send("pong")
            return
        if not isinstance(frame, dict) or frame.get("op") not in ("subscribe", "unsubscribe"):
            await session.send({"event": "error", "code": "60012", "msg": f"Illegal request: {frame}",
                                "connId": session.conn_id})
            return
        op = frame["op"]
        for arg in frame.get("args") or []:
            channel, inst_id = str(arg.get("channel")), str(arg.get("instId"))
            topic = f"{channel}:{inst_id}"
            if op == "unsubscribe":
                session.unsubscribe(topic)
            elif channel != "tickers" or not session.subscribe(topic, inst_id):
                await session.send({"event": "error", "code": "60018", "connId": session.conn_id,
                                    "msg": f"Wrong URL or channel:{channel},instId:{inst_id} doesn't exist."})
                continue
            await session.send({"event": op, "arg": {"channel": channel, "instId": inst_id},
                                "connId": session.conn_id})

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        f = q.fmt
        return {
            "arg": {"channel": "tickers", "instId": sub.market_id},
            "data": [{
                "instType": "SPOT" if sub.market.is_spot else "SWAP", "instId": sub.market_id,
                "last": f(q.last), "lastSz": "1", "askPx": f(q.ask), "askSz": "1", "bidPx": f(q.bid), "bidSz": "1",
                "open24h": f(q.open), "high24h": f(q.high), "low24h": f(q.low), "sodUtc0": f(q.open),
                "sodUtc8": f(q.open), "volCcy24h": f"{q.volume * q.last:.4f}", "vol24h": f"{q.volume:.4f}",
                "ts": str(now_ms),
            }],
        }


PROTOCOL = OkxStreams
