"""One exchange's stream: the state machine, reconnects with backoff and jitter, stall checks.

States move connecting -> live on the first message; live -> stalled when nothing arrived for
longer than the threshold (the socket may well be open: that is the case worth catching);
stalled -> live on the next message, or, after a second threshold of silence, the connection is
abandoned and the stream reconnects. Any failure moves to reconnecting, counts a reconnect,
waits a doubling, jittered delay (reset once the stream was live again), and runs the feed
again, which subscribes afresh on a new socket.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from cts_tui.errors import scrub
from cts_tui.streams.feed import Feed
from cts_tui.streams.stats import StreamStats
from cts_tui.views.streams import StreamState, StreamView

FIRST_MESSAGE_GRACE_S = 10.0  # a connection attempt may take this long (market loading) before
                              # silence counts against it


@dataclass(frozen=True, slots=True)
class StreamPolicy:
    stall_factor: float = 3.0
    stall_after_s: float | None = None
    expected_interval_s: float = 1.0
    reconnect_after_stall: bool = True
    reconnect_min_s: float = 0.5
    reconnect_max_s: float = 30.0


class Stream:
    def __init__(self, feed: Feed, policy: StreamPolicy, on_change: Callable[[Stream], None],
                 clock_offset_ms: Callable[[str], float | None] | None = None,
                 rng: random.Random | None = None) -> None:
        self.feed = feed
        self.policy = policy
        self.stats = StreamStats()
        self.state = StreamState.CONNECTING
        self.since = time.time()
        self.stalls = 0
        self.reconnects = 0
        self.last_error: str | None = None
        self._on_change = on_change
        self._clock_offset_ms = clock_offset_ms
        self._rng = rng or random.Random()
        self._task: asyncio.Task[None] | None = None
        self._run: asyncio.Task[None] | None = None
        self._attempt_mono = time.monotonic()
        self._changed_mono = time.monotonic()
        self._abandon_reason: str | None = None
        feed.on_malformed = self._malformed

    @property
    def exchange(self) -> str:
        return self.feed.exchange

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._supervise(), name=f"stream:{self.exchange}")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.feed.close()
        self._set(StreamState.CLOSED)

    # -- the hot path ------------------------------------------------------------------------

    def _deliver(self, symbol: str, event_ms: int | float | None) -> None:
        self.stats.record(symbol, event_ms)
        if self.state is not StreamState.LIVE:
            self._set(StreamState.LIVE)

    def _malformed(self, reason: str) -> None:
        self.stats.malformed += 1
        self.last_error = f"malformed frame: {reason}"

    # -- watchdog ----------------------------------------------------------------------------

    def threshold_s(self) -> float:
        policy = self.policy
        if policy.stall_after_s is not None:
            return policy.stall_after_s
        return policy.stall_factor * (self.stats.interval_s or policy.expected_interval_s)

    def check(self, now: float) -> None:
        """Called by the monitor's watchdog a few times per threshold."""
        if self._clock_offset_ms is not None:
            self.stats.offset_ms = self._clock_offset_ms(self.exchange) or 0.0
        threshold = self.threshold_s()
        age = self.stats.age_s(now)
        if self.state is StreamState.LIVE and age is not None and age > threshold:
            self.stalls += 1
            self._set(StreamState.STALLED)
        elif self.state is StreamState.STALLED and self.policy.reconnect_after_stall \
                and now - self._changed_mono > threshold:
            self._abandon(f"stalled: no message for {age:.1f} s with the socket open")
        elif self.state in (StreamState.CONNECTING, StreamState.RECONNECTING) and self._run is not None \
                and now - self._attempt_mono > max(2 * threshold, FIRST_MESSAGE_GRACE_S):
            self._abandon(f"no message within {now - self._attempt_mono:.1f} s of connecting")

    def _abandon(self, reason: str) -> None:
        if self._run is not None and not self._run.done():
            self._abandon_reason = reason
            self._run.cancel()

    # -- supervision -------------------------------------------------------------------------

    async def _supervise(self) -> None:
        failures = 0
        me = asyncio.current_task()
        while True:
            self._attempt_mono = time.monotonic()
            self._abandon_reason = None
            self._run = asyncio.ensure_future(self.feed.run(self._deliver))
            try:
                await self._run
                error = "the exchange closed the connection"
            except asyncio.CancelledError:
                if me is not None and me.cancelling():
                    raise
                error = self._abandon_reason or "cancelled"
            except Exception as exc:  # every failure of a feed is a reason to reconnect
                error = _describe(exc)
            finally:
                run, self._run = self._run, None
                if not run.done():  # the supervisor itself is being cancelled: let the feed clean up
                    run.cancel()
                await asyncio.gather(run, return_exceptions=True)
            was_live = self.stats.last_mono is not None and self.stats.last_mono >= self._attempt_mono
            failures = 1 if was_live else failures + 1
            self.last_error = error
            self.reconnects += 1
            self.stats.forget_symbols()
            self._set(StreamState.RECONNECTING)
            await asyncio.sleep(self._backoff_s(failures))

    def _backoff_s(self, failures: int) -> float:
        policy = self.policy
        delay = min(policy.reconnect_max_s, policy.reconnect_min_s * 2 ** (failures - 1))
        return delay * (0.5 + self._rng.random())

    def _set(self, state: StreamState) -> None:
        if state is self.state:
            return
        self.state = state
        self.since = time.time()
        self._changed_mono = time.monotonic()
        self._on_change(self)

    def view(self) -> StreamView:
        now = time.monotonic()
        p50, p99 = self.stats.lateness(now)
        feed = self.feed
        return StreamView(
            exchange=self.exchange, transport=feed.transport, url=feed.url, symbols=feed.symbols,
            state=self.state, since=self.since, messages=self.stats.messages,
            messages_per_s=round(self.stats.messages_per_s(now), 2), last_message_age_s=self.stats.age_s(now),
            lateness_p50_ms=p50, lateness_p99_ms=p99, stall_threshold_s=self.threshold_s(), stalls=self.stalls,
            reconnects=self.reconnects, malformed=self.stats.malformed, last_error=self.last_error,
        )


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return scrub(f"{exc.__class__.__name__}: {text}"[:300])
