"""KuCoin public streams: a server named by ``bullet-public`` (spot and futures each have theirs),
reached with its token and a connection id in the URL.

The server says ``{"id": <connectId>, "type": "welcome"}`` first (an error "token is expired" and
a close instead when the token is not one ``bullet-public`` handed out); ``{"id", "type": "subscribe", "topic": "/market/snapshot:BTC-USDT"}``
(spot; ``/market/ticker:``, too) or ``/contractMarket/ticker:XBTUSDTM`` (futures) is answered
``{"id", "type": "ack"}`` when ``response`` is true, an unknown market with an ``error`` of code
404; the client's ``{"id", "type": "ping"}`` gets a ``pong``. The server does not ping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.exchanges.kucoin import bullet_token
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession

SPOT_TOPICS = ("/market/snapshot", "/market/ticker")
FUTURES_TOPIC = "/contractMarket/ticker"


class KucoinStreams(WsProtocol):
    exchange_id = "kucoin"

    def routes(self) -> tuple[str, ...]:
        return ("/spot", "/futures")

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        for m in markets:
            if route == "/spot" and m.is_spot:
                yield f"{m.base}-{m.quote}", m
            elif route == "/futures" and m.is_swap:
                base = "XBT" if m.base == "BTC" else m.base
                yield f"{base}USDTM" if not m.is_inverse else f"{base}USDM", m

    async def on_open(self, session: WsSession) -> None:
        if session.query.get("token") != bullet_token(self.ctx.seed):
            await session.send({"id": session.conn_id, "type": "error", "code": 401, "data": "token is expired"})
            await session.close()
            return
        await session.send({"id": session.query.get("connectId", session.conn_id), "type": "welcome"})

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            await session.send({"id": session.conn_id, "type": "error", "code": 400, "data": "message invalid"})
            return
        request_id, kind = frame.get("id"), frame.get("type")
        if kind == "ping":
            await session.send({"id": request_id, "type": "pong", "timestamp": session.now_ms() * 1000})
            return
        topic = str(frame.get("topic", ""))
        prefix, _, market_id = topic.partition(":")
        if kind not in ("subscribe", "unsubscribe") or prefix not in self._topics(session):
            await session.send({"id": request_id, "type": "error", "code": 404, "topic": topic,
                                "data": f"topic {topic} is not found"})
            return
        for one in market_id.split(","):
            if kind == "unsubscribe":
                session.unsubscribe(f"{prefix}:{one}")
            elif not session.subscribe(f"{prefix}:{one}", one):
                await session.send({"id": request_id, "type": "error", "code": 404, "topic": topic,
                                    "data": f"topic {topic} is not found"})
                return
        if frame.get("response"):
            await session.send({"id": request_id, "type": "ack"})

    def _topics(self, session: WsSession) -> tuple[str, ...]:
        return SPOT_TOPICS if session.route == "/spot" else (FUTURES_TOPIC,)

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        f = q.fmt
        prefix = sub.topic.partition(":")[0]
        session.sequence += 1
        if prefix == FUTURES_TOPIC:
            return {"type": "message", "topic": sub.topic, "subject": "ticker",
                    "data": {"symbol": sub.market_id, "sequence": session.sequence, "side": "buy", "price": f(q.last),
                             "size": 1, "tradeId": str(now_ms), "bestBidSize": 3, "bestBidPrice": f(q.bid),
                             "bestAskPrice": f(q.ask), "bestAskSize": 2, "ts": now_ms * 1_000_000}}
        if prefix == "/market/ticker":
            return {"type": "message", "topic": sub.topic, "subject": "trade.ticker",
                    "data": {"sequence": str(session.sequence), "price": f(q.last), "size": "0.1", "bestAsk": f(q.ask),
                             "bestAskSize": "2", "bestBid": f(q.bid), "bestBidSize": "3", "time": now_ms}}
        m = sub.market
        return {"type": "message", "topic": sub.topic, "subject": "trade.snapshot",
                "data": {"sequence": str(session.sequence), "data": {
                    "averagePrice": f(q.last), "baseCurrency": m.base, "board": 1, "buy": f(q.bid),
                    "changePrice": f(q.change), "changeRate": f"{q.change_pct / 100:.4f}", "close": f(q.last),
                    "datetime": now_ms, "high": f(q.high), "lastTradedPrice": f(q.last), "low": f(q.low),
                    "makerCoefficient": 1, "makerFeeRate": 0.001, "marginTrade": True, "mark": 0,
                    "market": "USDS", "open": f(q.open), "quoteCurrency": m.quote, "sell": f(q.ask), "sort": 100,
                    "symbol": sub.market_id, "symbolCode": sub.market_id, "takerCoefficient": 1,
                    "takerFeeRate": 0.001, "trading": True, "vol": f"{q.volume:.4f}",
                    "volValue": f"{q.volume * q.last:.4f}"}}}


PROTOCOL = KucoinStreams
