"""Bybit v5 public streams: ``/v5/public/spot`` and ``/v5/public/linear``.

``{"op": "subscribe", "req_id": r, "args": ["tickers.BTCUSDT"]}`` is answered with
``{"success": true, "ret_msg": "", "op": "subscribe", ...}`` (false naming the bad topics when
a symbol does not exist); the client pings with ``{"op": "ping"}``: spot answers ``{"success":
true, "ret_msg": "pong", "conn_id", "op": "ping"}``, linear ``{"op": "pong", "args": [ms],
"conn_id"}``; ``req_id`` comes back only when one was sent. Pushes
are ``tickers.<symbol>`` snapshots; spot carries ``usdIndexPrice``, which is how ccxt tells them
apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession

SPOT = "/v5/public/spot"


class BybitStreams(WsProtocol):
    exchange_id = "bybit"

    def routes(self) -> tuple[str, ...]:
        return (SPOT, "/v5/public/linear")

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        wanted = "spot" if route == SPOT else "linear_swap"
        return ((m.base + m.quote, m) for m in markets if m.kind == wanted)

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        op = frame.get("op")
        echo = {"req_id": frame["req_id"]} if "req_id" in frame else {}
        reply = {**echo, "conn_id": session.conn_id, "op": op}
        if op == "ping" and session.route != SPOT:  # contract streams answer in another shape
            await session.send({**echo, "op": "pong", "args": [str(session.now_ms())], "conn_id": session.conn_id})
        elif op == "ping":
            await session.send({"success": True, "ret_msg": "pong", **reply})
        elif op == "subscribe":
            topics = [str(t) for t in frame.get("args") or []]
            bad = [t for t in topics if not session.subscribe(t, t.rpartition(".")[2])]
            message = f"Invalid symbol :[{','.join(bad)}]" if bad else ""
            await session.send({"success": not bad, "ret_msg": message, **reply})
        elif op == "unsubscribe":
            for topic in frame.get("args") or []:
                session.unsubscribe(str(topic))
            await session.send({"success": True, "ret_msg": "", **reply})
        else:
            await session.send({"success": False, "ret_msg": f"Invalid op: {op}", **reply})

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        f = q.fmt
        data = {
            "symbol": sub.market_id, "lastPrice": f(q.last), "highPrice24h": f(q.high), "lowPrice24h": f(q.low),
            "prevPrice24h": f(q.open), "volume24h": f"{q.volume:.4f}", "turnover24h": f"{q.volume * q.last:.4f}",
            "price24hPcnt": f"{q.change_pct / 100:.4f}",
        }
        if sub.market.is_spot:
            data["usdIndexPrice"] = f(q.last)
        else:
            data |= {"bid1Price": f(q.bid), "bid1Size": "1", "ask1Price": f(q.ask), "ask1Size": "1",
                     "markPrice": f(q.last), "indexPrice": f(q.last)}
        return {"topic": sub.topic, "ts": now_ms, "type": "snapshot", "cs": session.sequence, "data": data}


PROTOCOL = BybitStreams
