"""OrangeX WebSocket: JSON-RPC 2.0 at ``/ws/api/v1``, the same methods as its HTTP API.

``/public/subscribe`` with ``{"channels": ["ticker.BTC-USDT-SPOT.raw"]}`` answers with the list
of channels it subscribed (unknown ones are left out); pushes are ``subscription``
notifications. ``/public/set_heartbeat`` with an ``interval`` makes the server send
``heartbeat`` notifications of type ``test_request``, which the client answers with
``/public/test``; ``/public/ping`` answers ``pong``. Answers carry ``usIn``, ``usOut`` and
``usDiff`` like the HTTP API's.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.sim.ws.session import WsSession

MIN_HEARTBEAT_S = 10


class OrangexStreams(WsProtocol):
    exchange_id = "orangex"

    def routes(self) -> tuple[str, ...]:
        return ("/ws/api/v1",)

    def index(self, route: str, markets: Iterable[MarketSpec]) -> Iterable[tuple[str, MarketSpec]]:
        for m in markets:
            if m.kind in ("spot", "linear_swap"):
                yield f"{m.base}-{m.quote}-{'SPOT' if m.is_spot else 'PERPETUAL'}", m

    async def on_frame(self, session: WsSession, frame: Any) -> None:
        if not isinstance(frame, dict):
            return
        received_us = int(time.time() * 1_000_000)
        method, params = frame.get("method"), frame.get("params") or {}
        if method == "/public/subscribe":
            channels = [str(c) for c in params.get("channels") or []]
            result: Any = [c for c in channels if (ticker := _ticker_id(c)) and session.subscribe(c, ticker)]
        elif method == "/public/unsubscribe":
            result = [str(c) for c in params.get("channels") or [] if session.unsubscribe(str(c))]
        elif method == "/public/set_heartbeat":
            interval = params.get("interval")
            if not isinstance(interval, int | float) or interval < MIN_HEARTBEAT_S:
                await self._reply(session, frame, received_us, error=(11050, "bad_request: interval"))
                return
            session.set_heartbeat(float(interval))
            result = "ok"
        elif method == "/public/ping":
            result = "pong"
        elif method == "/public/test":
            session.pongs += 1
            result = {"version": "1.0.0"}
        else:
            await self._reply(session, frame, received_us, error=(1000, "No service found"))
            return
        await self._reply(session, frame, received_us, result=result)

    def ticker(self, session: WsSession, sub: Subscription, now_ms: int) -> Frame:
        q = self.quote(sub.market)
        f = q.fmt
        data = {
            "timestamp": now_ms, "instrument_name": sub.market_id, "last_price": f(q.last), "mark_price": f(q.last),
            "index_price": f(q.last), "best_bid_price": f(q.bid), "best_bid_amount": "1", "best_ask_price": f(q.ask),
            "best_ask_amount": "1",
            "stats": {"high": f(q.high), "low": f(q.low), "volume": f"{q.volume:.4f}",
                      "price_change": f"{q.change_pct:.4f}"},
        }
        return {"jsonrpc": "2.0", "method": "subscription", "params": {"channel": sub.topic, "data": data}}

    def heartbeat(self, session: WsSession, now_ms: int) -> Frame | None:
        return {"jsonrpc": "2.0", "method": "heartbeat", "params": {"type": "test_request"}}

    @staticmethod
    async def _reply(session: WsSession, frame: dict, received_us: int, *, result: Any = None,
                     error: tuple[int, str] | None = None) -> None:
        sent_us = int(time.time() * 1_000_000)
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": frame.get("id"), "usIn": received_us, "usOut": sent_us,
                                 "usDiff": sent_us - received_us}
        if error is None:
            reply["result"] = result
        else:
            reply["error"] = {"code": error[0], "message": error[1]}
        await session.send(reply)


def _ticker_id(channel: str) -> str | None:
    """``ticker.BTC-USDT-SPOT.raw`` -> ``BTC-USDT-SPOT``."""
    kind, _, rest = channel.partition(".")
    name, _, interval = rest.rpartition(".")
    return name if kind == "ticker" and name and interval in ("raw", "100ms") else None


PROTOCOL = OrangexStreams
