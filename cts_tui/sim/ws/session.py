"""One simulated WebSocket connection: reads client frames, pushes tickers, beats the heart.

Pushes go out in rounds, one frame per subscription per interval, the way an exchange batches a
channel's updates; the faults of the exchange are read at every round, so a test can stall or
slow a live socket and let it go again.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from cts_tui.sim.ws.protocol import Frame, Subscription, WsProtocol
from cts_tui.stopping import wait_set

if TYPE_CHECKING:
    from cts_tui.sim.ws.server import StreamServer

_ids = itertools.count(1)


class WsSession:
    """Public to tests: `subscriptions` (topic -> Subscription), `subscribe_requests`,
    `duplicate_subscribes`, `route`, `conn_id`, `pongs`; to protocols, the URL's `query` too."""

    def __init__(self, server: StreamServer, protocol: WsProtocol, route: str, request: web.BaseRequest,
                 ws: web.WebSocketResponse) -> None:
        self.server = server
        self.protocol = protocol
        self.route = route
        self.number = next(_ids)
        self.conn_id = f"sim-{self.number}"
        self.subscriptions: dict[str, Subscription] = {}
        self.subscribe_requests = 0
        self.duplicate_subscribes = 0
        self.pongs = 0
        self.sequence = 0
        self.state: dict[str, Any] = {}
        """What a protocol keeps per connection (Coinbase's message sequence, its channels)."""
        self._request = request
        self._ws = ws
        self._heartbeat_s = protocol.heartbeat_s
        self._heartbeat_changed = asyncio.Event()

    @property
    def exchange(self) -> str:
        return self.protocol.exchange_id

    @property
    def query(self) -> Mapping[str, str]:
        """The connection URL's query (a token and a connection id where the exchange asks for them)."""
        return self._request.query

    # -- what protocols call ----------------------------------------------------------------

    def subscribe(self, topic: str, market_id: str) -> bool:
        """Adds a subscription; False when the market does not exist on this route."""
        self.subscribe_requests += 1
        market = self.protocol.market(self.route, market_id)
        if market is None:
            return False
        if topic in self.subscriptions:
            self.duplicate_subscribes += 1
        self.subscriptions[topic] = Subscription(topic, market_id, market)
        return True

    def unsubscribe(self, topic: str) -> bool:
        return self.subscriptions.pop(topic, None) is not None

    def set_heartbeat(self, interval_s: float | None) -> None:
        """For protocols where the client asks for heartbeats (OrangeX `set_heartbeat`)."""
        self._heartbeat_s = interval_s
        self._heartbeat_changed.set()

    def now_ms(self) -> int:
        return self.protocol.ctx.clock.now_ms()

    async def send(self, frame: Frame, *, malformed: bool = False) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame, separators=(",", ":"))
        if malformed:
            text = text[: max(1, len(text) // 2)]
        if self.protocol.gzip:
            await self._ws.send_bytes(gzip.compress(text.encode(), compresslevel=1))
        elif self.protocol.binary:
            await self._ws.send_bytes(text.encode())
        else:
            await self._ws.send_str(text)

    # -- the connection ---------------------------------------------------------------------

    async def run(self) -> None:
        tasks = [asyncio.create_task(self._push_loop()), asyncio.create_task(self._heartbeat_loop())]
        try:
            await self.protocol.on_open(self)
            async for message in self._ws:
                if message.type is WSMsgType.TEXT:
                    await self.protocol.on_frame(self, _decode(message.data))
                elif message.type is WSMsgType.PONG:
                    self.pongs += 1
        except (ConnectionError, asyncio.TimeoutError):
            pass  # the client went away; nothing is left to answer
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def abort(self) -> None:
        """Cuts the TCP connection without a close frame, as a failing network does."""
        if self._request.transport is not None:
            self._request.transport.abort()

    async def close(self) -> None:
        await self._ws.close(code=1001, message=b"server shutting down")

    async def _push_loop(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while not self._ws.closed:
            faults = self.server.faults(self.exchange)
            # Rounds keep their cadence however long sending takes (no drift below the rate).
            due = max(due + self.server.interval_s(self.exchange), loop.time()) + faults.slow_ms / 1000
            await asyncio.sleep(due - loop.time())
            faults = self.server.faults(self.exchange)
            if faults.stall or not self.subscriptions:
                continue
            now = self.now_ms()
            self.server.pushed[self.exchange] += len(self.subscriptions)
            for sub in list(self.subscriptions.values()):
                self.sequence += 1
                await self.send(self.protocol.ticker(self, sub, now), malformed=faults.malformed)

    async def _heartbeat_loop(self) -> None:
        while not self._ws.closed:
            self._heartbeat_changed.clear()
            interval = self.server.heartbeat_s(self.exchange, self._heartbeat_s)
            if await wait_set(self._heartbeat_changed, interval):
                continue  # the interval changed; start over with the new one
            if not self.protocol.beats(self):
                continue
            frame = self.protocol.heartbeat(self, self.now_ms())
            if frame is None:
                await self._ws.ping()
            else:
                await self.send(frame)


def _decode(text: str) -> Any:
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
