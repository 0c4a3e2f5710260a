"""Per-exchange server-time offset, so that signed requests carry the exchange's idea of "now".

Exchanges reject signed requests whose timestamp is a few seconds off their own clock (Binance
-1021, Bybit 10002, OKX 50102, Pionex INVALID_TIMESTAMP). Trusting the local clock would fail
every request on a host (or against a server) whose clock drifts; so each exchange gets one
offset, the median of its last round-trip samples: the server's time minus the midpoint of the
request's send and receive times. The median rather than the mean keeps one slow round trip from
moving the clock.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Awaitable, Callable

from cts_tui.exchanges.shapes import MAX_TIME_MS

SAMPLES_KEPT = 5


def increasing_ms() -> Callable[[], int]:
    """A nonce source: epoch milliseconds by our own clock, never the same or smaller twice.
    Kraken wants each key's nonce to grow; one that followed the exchange's clock would fall when
    that clock moves back, and every signed call after it would be refused until ours caught up."""
    last = 0

    def nonce() -> int:
        nonlocal last
        last = max(last + 1, time.time_ns() // 1_000_000)
        return last

    return nonce


class ServerClock:
    """The offset of one exchange's clock from ours, shared by every connection to it."""

    def __init__(self, samples_kept: int = SAMPLES_KEPT) -> None:
        self._offsets: deque[float] = deque(maxlen=samples_kept)
        self._offset_ms = 0.0
        self._sampled_at: float | None = None
        self._sync_lock = asyncio.Lock()

    @property
    def offset_ms(self) -> float:
        return self._offset_ms

    @property
    def synced(self) -> bool:
        return bool(self._offsets)

    def now_ms(self) -> int:
        """The exchange's current time in epoch milliseconds, as best we know it."""
        return int(time.time() * 1000 + self._offset_ms)

    def now_s(self) -> int:
        return self.now_ms() // 1000

    def observe(self, sent_s: float, received_s: float, server_ms: float) -> None:
        """Add one sample: ``server_ms`` was read by the server between ``sent_s`` and
        ``received_s`` (local epoch seconds), so it corresponds to their midpoint. A time no
        working exchange sends (not a number, negative, after 2200) is no sample."""
        if not isinstance(server_ms, (int, float)) or not 0 <= server_ms <= MAX_TIME_MS:
            return
        midpoint_ms = (sent_s + received_s) * 500.0
        self._offsets.append(float(server_ms) - midpoint_ms)
        self._offset_ms = statistics.median(self._offsets)
        self._sampled_at = time.monotonic()

    def sample_age_s(self) -> float | None:
        """Seconds since the last sample, None before the first."""
        return None if self._sampled_at is None or not self._offsets else time.monotonic() - self._sampled_at

    def forget(self) -> None:
        """Drop every sample: the next signed request re-syncs first (after a rejection)."""
        self._offsets.clear()

    async def ensure_synced(self, sync: Callable[[], Awaitable[None]], *, force: bool = False) -> None:
        """Run ``sync`` (which calls ``observe``) unless already synced; concurrent callers wait
        for one sync instead of each sending their own."""
        if self.synced and not force:
            return
        stale = len(self._offsets), self._offset_ms
        async with self._sync_lock:
            # Another caller synced while we waited: its sample is as fresh as ours would be.
            if self.synced and (not force or (len(self._offsets), self._offset_ms) != stale):
                return
            if force:
                self.forget()
            await sync()
