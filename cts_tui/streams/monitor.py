"""`StreamMonitor`: every configured exchange's public ticker stream, watched.

    monitor = StreamMonitor(config, targets={"binance": sim.hosts("binance")},
                            clock_offset_ms=hub.clock_offset_ms)
    await monitor.start()
    unsubscribe = monitor.subscribe(on_stream_change)   # called with a StreamView on each change
    views = monitor.snapshot()                          # tuple[StreamView, ...], cheap
    await monitor.close()

Callbacks run on the monitor's loop on state changes only (never per message) and must not
block. One watchdog task checks every stream for stalls; each stream has one supervising task.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping

import aiohttp

from cts_tui.capabilities import CCXT_EXCHANGES, ExchangeId
from cts_tui.config import Config, Streams
from cts_tui.errors import CtsError
from cts_tui.exchanges.hosts import Target
from cts_tui.streams.ccxt_feed import CcxtFeed
from cts_tui.streams.feed import Feed
from cts_tui.streams.native import NativeFeed
from cts_tui.streams.orangex import OrangexFeed
from cts_tui.streams.pionex import PionexFeed
from cts_tui.streams.stream import Stream, StreamPolicy
from cts_tui.views.streams import StreamView

NATIVE_FEEDS: dict[ExchangeId, type[NativeFeed]] = {ExchangeId("pionex"): PionexFeed, ExchangeId("orangex"): OrangexFeed}
WATCH_TICK_MAX_S = 0.25

StreamCallback = Callable[[StreamView], None]


class StreamMonitor:
    def __init__(self, config: Config | Streams, *, targets: Mapping[str, Target] | None = None,
                 clock_offset_ms: Callable[[str], float | None] | None = None,
                 exchanges: set[ExchangeId] | None = None) -> None:
        """`targets` (exchange -> a base URL or a host map, `cts_tui.exchanges.hosts.Target`)
        override each exchange's configured `hosts` / `base_url`;
        `clock_offset_ms(exchange)` (exchange clock minus local, ms; e.g. `ExchangeHub.clock_offset_ms`)
        corrects lateness; `exchanges` limits the streams to some exchanges (default: all the
        configured ones that are enabled)."""
        self._settings = config.streams if isinstance(config, Config) else config
        self._targets = dict(targets or {})
        self._clock_offset_ms = clock_offset_ms
        self._only = exchanges
        self._streams: dict[str, Stream] = {}
        self._callbacks: list[StreamCallback] = []
        self._session: aiohttp.ClientSession | None = None
        self._watchdog: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StreamMonitor:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        if self._watchdog is not None:
            raise CtsError("the stream monitor is already running")
        policy = self._policy()
        for exchange in ExchangeId:
            settings = self._settings.for_exchange(exchange)
            if (self._only is not None and exchange not in self._only) or not settings.enabled \
                    or not settings.symbols:
                continue
            feed = self._feed(exchange, settings.symbols,
                              self._targets.get(exchange.value, settings.hosts or settings.base_url))
            self._streams[exchange.value] = Stream(feed, policy, self._changed, self._clock_offset_ms)
        for stream in self._streams.values():
            stream.start()
        self._watchdog = asyncio.get_running_loop().create_task(self._watch(), name="streams:watchdog")

    async def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            await asyncio.gather(self._watchdog, return_exceptions=True)
            self._watchdog = None
        await asyncio.gather(*(stream.close() for stream in self._streams.values()))
        if self._session is not None:
            await self._session.close()
            self._session = None

    def subscribe(self, callback: StreamCallback) -> Callable[[], None]:
        """`callback(view)` on every state change of any stream; returns the unsubscriber."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None

    def snapshot(self) -> tuple[StreamView, ...]:
        return tuple(stream.view() for stream in self._streams.values())

    def stream(self, exchange: ExchangeId | str) -> StreamView:
        try:
            return self._streams[ExchangeId(exchange).value].view()
        except (KeyError, ValueError):
            raise CtsError(f"no stream for exchange {exchange!r}") from None

    # -- internals -----------------------------------------------------------------------------

    def _policy(self) -> StreamPolicy:
        s = self._settings
        return StreamPolicy(s.stall_factor, s.stall_after_s, s.expected_interval_s, s.reconnect_after_stall,
                            s.reconnect_min_s, s.reconnect_max_s)

    def _feed(self, exchange: ExchangeId, symbols: list[str], target: Target | None) -> Feed:
        if exchange in CCXT_EXCHANGES:
            return CcxtFeed(exchange, symbols, target)
        return NATIVE_FEEDS[exchange](exchange.value, symbols, self._shared_session, target)

    def _shared_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _changed(self, stream: Stream) -> None:
        if not self._callbacks:
            return
        view = stream.view()
        for callback in list(self._callbacks):
            callback(view)

    async def _watch(self) -> None:
        while True:
            now = time.monotonic()
            tick = WATCH_TICK_MAX_S
            for stream in self._streams.values():
                stream.check(now)
                tick = min(tick, stream.threshold_s() / 4)
            await asyncio.sleep(tick)
