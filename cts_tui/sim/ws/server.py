"""The simulator's WebSocket side: upgrades below each exchange's base URL become streams.

The HTTP framework hands every upgrade request to `StreamServer.serve` with the exchange's
context; the exchange's protocol module decides whether the path is one of its stream endpoints.
Tests and benchmarks drive it through `set_interval`, `set_fault`, `drop` and read the server's
view of the world through `sessions` (live connections and their subscriptions) and
`connections_opened`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from typing import Any

from aiohttp import web

from cts_tui.sim.exchange import ExchangeContext
from cts_tui.sim.ws.exchanges import PROTOCOLS
from cts_tui.sim.ws.faults import StreamFaults
from cts_tui.sim.ws.protocol import WsProtocol
from cts_tui.sim.ws.session import WsSession

CLOSE_TIMEOUT_S = 1.0


class StreamServer:
    def __init__(self, interval_s: float = 0.5) -> None:
        self._initial_interval_s = interval_s
        self._default_interval_s = interval_s
        self._intervals: dict[str, float] = {}
        self._faults: dict[str, StreamFaults] = {}
        self._heartbeats: dict[str, float] = {}
        self._protocols: dict[str, WsProtocol] = {}
        self._sessions: dict[str, set[WsSession]] = {}
        self._opened: Counter[str] = Counter()
        self.pushed: Counter[str] = Counter()
        """Ticker frames sent per exchange (benchmarks compare it with what clients received)."""

    # -- control ------------------------------------------------------------------------------

    def interval_s(self, exchange: str) -> float:
        return self._intervals.get(exchange, self._default_interval_s)

    def set_interval(self, seconds: float, exchange: str | None = None) -> None:
        """Push period per subscription, for one exchange or (None) for all."""
        if seconds <= 0:
            raise ValueError("the push interval must be positive")
        if exchange is None:
            self._default_interval_s = seconds
            self._intervals.clear()
        else:
            self._intervals[exchange] = seconds

    def heartbeat_s(self, exchange: str, requested: float | None) -> float | None:
        """The server heartbeat interval of a connection: the override, else what was asked."""
        return self._heartbeats.get(exchange, requested)

    def set_heartbeat(self, exchange: str, seconds: float) -> None:
        """Overrides the exchange's heartbeat interval (tests need seconds, not minutes)."""
        if seconds <= 0:
            raise ValueError("the heartbeat interval must be positive")
        self._heartbeats[exchange] = seconds

    def faults(self, exchange: str) -> StreamFaults:
        return self._faults.get(exchange, StreamFaults())

    def set_fault(self, exchange: str, **fields: Any) -> StreamFaults:
        """Changes some fault fields of one exchange's streams, keeping the others."""
        faults = dataclasses.replace(self.faults(exchange), **fields)
        self._faults[exchange] = faults
        return faults

    def clear_faults(self, exchange: str | None = None) -> None:
        if exchange is None:
            self._faults.clear()
        else:
            self._faults.pop(exchange, None)

    def reset(self) -> None:
        """Push intervals, heartbeat overrides and faults back to what they were at start."""
        self._default_interval_s = self._initial_interval_s
        self._intervals.clear()
        self._heartbeats.clear()
        self._faults.clear()

    def drop(self, exchange: str) -> int:
        """Cuts every live connection of `exchange`; returns how many were cut."""
        live = list(self._sessions.get(exchange, ()))
        for session in live:
            session.abort()
        return len(live)

    # -- the server's view --------------------------------------------------------------------

    def sessions(self, exchange: str) -> tuple[WsSession, ...]:
        return tuple(self._sessions.get(exchange, ()))

    def connections_opened(self, exchange: str) -> int:
        return self._opened[exchange]

    # -- serving --------------------------------------------------------------------------------

    async def serve(self, ctx: ExchangeContext, route: str, request: web.BaseRequest,
                    headers: dict[str, str]) -> web.StreamResponse:
        """Upgrades `request` to a stream of `route` (the host's table resolved its path)."""
        protocol = self._protocol(ctx)
        if protocol is None:
            return web.Response(status=404, headers=headers)
        if self.faults(ctx.exchange_id).refuse:
            return web.Response(status=503, headers=headers)
        ws = web.WebSocketResponse(autoping=True, compress=False, timeout=CLOSE_TIMEOUT_S)
        ws.headers.update(headers)
        await ws.prepare(request)
        session = WsSession(self, protocol, route, request, ws)
        live = self._sessions.setdefault(ctx.exchange_id, set())
        live.add(session)
        self._opened[ctx.exchange_id] += 1
        try:
            await session.run()
        finally:
            live.discard(session)
        return ws

    async def close(self) -> None:
        live = [s for sessions in self._sessions.values() for s in sessions]
        await asyncio.gather(*(s.close() for s in live), return_exceptions=True)

    def _protocol(self, ctx: ExchangeContext) -> WsProtocol | None:
        protocol = self._protocols.get(ctx.exchange_id)
        if protocol is None:
            cls = PROTOCOLS.get(ctx.exchange_id)
            if cls is None:
                return None
            protocol = self._protocols[ctx.exchange_id] = cls(ctx)
        return protocol
