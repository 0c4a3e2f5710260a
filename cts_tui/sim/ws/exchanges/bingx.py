"""BingX streams: ``/market`` (spot) and ``/swap-market`` (USDT-M perpetuals), every server
frame gzip-compressed.

``{"id": uuid, "dataType": "BTC-USDT@ticker"}`` (swap adds ``"reqType": "sub"``) is answered
``{"code": 0, "id": uuid, "msg": "SUCCESS"}``, or code 100400 for an unknown symbol. The server
beats the heart: spot sends ``{"ping": id, "time": ...}`` and wants ``{"pong": ...}``; swap
sends the text ``Ping`` and wants ``Pong``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession

SPOT = "/market"
CHINA = dt.timezone(dt.timedelta(hours=8))


class BingxStreams(WsProtocol):
    exchange_id = "bingx"
    gzip = True
    heartbeat_s = 5.0

    def routes(self) -> tuple[str, ...]:
        return (SPOT, "/swap-market")

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        wanted = "spot" if route == SPOT else "linear_swap"
        return ((f"{m.base}-{m.quote}", m) for m in markets if m.kind == wanted)

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict) or "dataType" not in frame:
            return  # pongs and anything else need no answer
        data_type, request_id = str(frame["dataType"]), frame.get("id")
        if frame.get("reqType") == "unsub":
            session.unsubscribe(data_type)
            ok = True
        else:
            market_id, _, channel = data_type.partition("@")
            ok = channel == "ticker" and session.subscribe(data_type, market_id)
        if ok:
            await session.send({"code": 0, "id": request_id, "msg": "SUCCESS", "timestamp": session.now_ms()})
        else:
            await session.send({"code": 100400, "id": request_id, "msg": f"{data_type} is not a valid dataType",
                                "timestamp": session.now_ms()})

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        f = q.fmt
        data = {
            "e": "24hTicker", "E": now_ms, "s": sub.market_id, "p": f(q.change), "P": f"{q.change_pct:.2f}%",
            "o": f(q.open), "h": f(q.high), "l": f(q.low), "c": f(q.last), "v": f"{q.volume:.4f}",
            "q": f"{q.volume * q.last:.4f}", "O": now_ms - 86_400_000, "C": now_ms,
            "B": f(q.bid), "b": "1", "A": f(q.ask), "a": "1",
        }
        return {"code": 0, "timestamp": now_ms, "dataType": sub.topic, "data": data}

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        if session.route != SPOT:
            return "Ping"
        moment = dt.datetime.fromtimestamp(now_ms / 1000, CHINA)
        return {"ping": secrets.token_hex(16), "time": moment.isoformat(timespec="milliseconds")}


PROTOCOL = BingxStreams
