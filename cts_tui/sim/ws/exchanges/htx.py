"""HTX (Huobi) streams: ``/ws`` (spot) and ``/linear-swap-ws`` (USDT-M swaps), gzip-compressed.

``{"sub": "market.btcusdt.detail", "id": n}`` is answered ``{"id": n, "status": "ok", "subbed":
...}`` or ``status: error`` with ``bad-request``. Pushes are ``market.<id>.detail`` ticks with
numbers, not strings. The server sends ``{"ping": ts}`` every 5 s and wants ``{"pong": ts}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession

SPOT = "/ws"


class HtxStreams(WsProtocol):
    exchange_id = "htx"
    gzip = True
    heartbeat_s = 5.0

    def routes(self) -> tuple[str, ...]:
        return (SPOT, "/linear-swap-ws")

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        if route == SPOT:
            return ((m.base.lower() + m.quote.lower(), m) for m in markets if m.is_spot)
        return ((f"{m.base}-{m.quote}", m) for m in markets if m.kind == "linear_swap")

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict) or "pong" in frame:
            return
        request_id, now = frame.get("id"), session.now_ms()
        if "unsub" in frame:
            session.unsubscribe(str(frame["unsub"]))
            await session.send({"id": request_id, "status": "ok", "unsubbed": frame["unsub"], "ts": now})
            return
        topic = str(frame.get("sub", ""))
        parts = topic.split(".")
        if len(parts) == 3 and parts[0] == "market" and parts[2] == "detail" and session.subscribe(topic, parts[1]):
            await session.send({"id": request_id, "status": "ok", "subbed": topic, "ts": now})
        else:
            await session.send({"id": request_id, "status": "error", "err-code": "bad-request",
                                "err-msg": f"invalid topic {topic}", "ts": now})

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        d = q.decimals
        tick = {"id": session.sequence, "low": round(q.low, d), "high": round(q.high, d), "open": round(q.open, d),
                "close": round(q.last, d),
                "vol": round(q.volume * q.last, 4), "amount": round(q.volume, 4), "version": session.sequence,
                "count": session.sequence}
        return {"ch": sub.topic, "ts": now_ms, "tick": tick}

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        return {"ping": now_ms}


PROTOCOL = HtxStreams
