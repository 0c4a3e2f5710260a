"""Coinbase Advanced Trade market data: the WebSocket at the root of advanced-trade-ws.coinbase.com.

``{"type": "subscribe", "product_ids": [...], "channel": "ticker"}`` is answered with a
``subscriptions`` message listing what the connection now carries, then a ``snapshot`` of each
new product before its ``update``s; an unknown product or channel is an ``error`` message.
Subscribing to ``heartbeats`` makes the server send one ``heartbeats`` message a second (with a
``heartbeat_counter``) until unsubscribed. Every message has a ``timestamp`` and a
``sequence_num`` that counts the connection's messages from 0 without gaps (a gap means a message
was lost). The client keeps the socket alive with protocol pings, which the server answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol, iso_ms
from cts_tui.sim.ws.session import WsSession

HEARTBEATS = "heartbeats"


class CoinbaseStreams(WsProtocol):
    exchange_id = "coinbase"
    heartbeat_s = 1.0

    def routes(self) -> tuple[str, ...]:
        return ("/",)

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        return ((f"{m.base}-{m.quote}", m) for m in markets if m.is_spot)

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        kind, channel = frame.get("type"), str(frame.get("channel", ""))
        products = [str(p) for p in frame.get("product_ids") or []]
        channels: set[str] = session.state.setdefault("channels", set())
        fresh: list[str] = []
        if kind == "unsubscribe":
            for product in products:
                session.unsubscribe(f"{channel}:{product}")
            if channel == HEARTBEATS:
                channels.discard(HEARTBEATS)
        elif kind == "subscribe" and channel == HEARTBEATS:
            channels.add(HEARTBEATS)
        elif kind == "subscribe" and channel == "ticker":
            bad = [p for p in products if self.market(session.route, p) is None]
            if bad:
                await session.send({"type": "error", "message": f"Failed to subscribe: unknown product {bad[0]}"})
                return
            fresh = [p for p in products if f"ticker:{p}" not in session.subscriptions]
            for product in products:
                session.subscribe(f"ticker:{product}", product)
        else:
            await session.send({"type": "error", "message": f"Failed to subscribe: unknown channel {channel}"})
            return
        carried: dict[str, list[str]] = {}
        if session.subscriptions:
            carried["ticker"] = sorted(s.market_id for s in session.subscriptions.values())
        if HEARTBEATS in channels:
            carried[HEARTBEATS] = [HEARTBEATS]
        now = session.now_ms()
        await session.send(self._envelope(session, "subscriptions", now, [{"subscriptions": carried}]))
        if fresh:
            tickers = [self._ticker(session.subscriptions[f"ticker:{p}"]) for p in fresh]
            await session.send(self._envelope(session, "ticker", now, [{"type": "snapshot", "tickers": tickers}]))

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        return self._envelope(session, "ticker", now_ms, [{"type": "update", "tickers": [self._ticker(sub)]}])

    def _ticker(self, sub: Subscription) -> dict[str, str]:
        q = self.quote(sub.market)
        f = q.fmt
        return {
            "type": "ticker", "product_id": sub.market_id, "price": f(q.last), "volume_24_h": f"{q.volume:.4f}",
            "low_24_h": f(q.low), "high_24_h": f(q.high), "low_52_w": f(q.low), "high_52_w": f(q.high),
            "price_percent_chg_24_h": f"{q.change_pct:.4f}", "best_bid": f(q.bid), "best_bid_quantity": "1",
            "best_ask": f(q.ask), "best_ask_quantity": "1",
        }

    def beats(self, session: WsSession) -> bool:
        return HEARTBEATS in session.state.get("channels", ())

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        counter = session.state["heartbeat_counter"] = session.state.get("heartbeat_counter", 0) + 1
        moment = dt.datetime.fromtimestamp(now_ms / 1000, dt.UTC)
        current = moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{now_ms % 1000:03d}000000 +0000 UTC"
        return self._envelope(session, HEARTBEATS, now_ms,
                              [{"current_time": current, "heartbeat_counter": str(counter)}])

    @staticmethod
    def _envelope(session: WsSession, channel: str, now_ms: int, events: list[dict]) -> dict:
        sequence = session.state.get("sequence_num", -1) + 1
        session.state["sequence_num"] = sequence
        return {"channel": channel, "client_id": "", "timestamp": iso_ms(now_ms), "sequence_num": sequence,
                "events": events}


PROTOCOL = CoinbaseStreams
