"""Coinbase Advanced Trade market data: the WebSocket at the host's root.

``{"type": "subscribe", "product_ids": [...], "channel": "ticker"}`` is answered with a
``subscriptions`` message listing what the connection now carries; an unknown product is an
``error`` message. Every message has a ``timestamp`` and a per-connection ``sequence_num``. The
client keeps the socket alive with protocol pings, which the server answers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol, iso_ms
from cts_tui.sim.ws.session import WsSession


class CoinbaseStreams(WsProtocol):
    exchange_id = "coinbase"

    def routes(self) -> tuple[str, ...]:
        return ("", "/")

    def route_of(self, path: str) -> str | None:
        return "" if path in ("", "/") else None

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        return ((f"{m.base}-{m.quote}", m) for m in markets if m.is_spot)

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        kind, channel = frame.get("type"), str(frame.get("channel", ""))
        products = [str(p) for p in frame.get("product_ids") or []]
        if kind == "unsubscribe":
            for product in products:
                session.unsubscribe(f"{channel}:{product}")
        elif kind == "subscribe" and channel in ("ticker", "heartbeats"):
            bad = [p for p in products if channel == "ticker" and not session.subscribe(f"ticker:{p}", p)]
            if bad:
                await session.send({"type": "error", "message": f"Failed to subscribe: unknown product {bad[0]}"})
                return
        else:
            await session.send({"type": "error", "message": f"Failed to subscribe: unknown channel {channel}"})
            return
        carried = sorted(s.market_id for s in session.subscriptions.values())
        await session.send(self._envelope(session, "subscriptions", session.now_ms(),
                                          [{"subscriptions": {"ticker": carried}}]))

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        f = q.fmt
        ticker = {
            "type": "ticker", "product_id": sub.market_id, "price": f(q.last), "volume_24_h": f"{q.volume:.4f}",
            "low_24_h": f(q.low), "high_24_h": f(q.high), "low_52_w": f(q.low), "high_52_w": f(q.high),
            "price_percent_chg_24_h": f"{q.change_pct:.4f}", "best_bid": f(q.bid), "best_bid_quantity": "1",
            "best_ask": f(q.ask), "best_ask_quantity": "1",
        }
        return self._envelope(session, "ticker", now_ms, [{"type": "update", "tickers": [ticker]}])

    @staticmethod
    def _envelope(session: WsSession, channel: str, now_ms: int, events: list[dict]) -> dict:
        return {"channel": channel, "client_id": "", "timestamp": iso_ms(now_ms), "sequence_num": session.sequence,
                "events": events}
