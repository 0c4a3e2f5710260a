"""Per-stream figures kept on the hot path with O(1) work per message; percentiles and rates
are computed only when a view is taken or the watchdog ticks."""

from __future__ import annotations

import time
from collections import deque

LATENESS_SAMPLES = 2048
INTERVAL_WEIGHT = 0.05  # EWMA weight of one new per-symbol gap
LATENESS_REFRESH_S = 1.0  # percentiles are re-sorted at most this often (every snapshot asks)


class StreamStats:
    __slots__ = ("messages", "malformed", "last_mono", "interval_s", "offset_ms", "_last_by_symbol",
                 "_lateness", "_rate", "_rate_mono", "_rate_messages", "_percentiles", "_percentiles_mono")

    def __init__(self) -> None:
        self.messages = 0
        self.malformed = 0
        self.last_mono: float | None = None
        self.interval_s: float | None = None  # usual gap between two messages of one symbol
        self.offset_ms = 0.0  # exchange clock minus local clock
        self._last_by_symbol: dict[str, float] = {}
        self._lateness: deque[float] = deque(maxlen=LATENESS_SAMPLES)
        self._rate = 0.0
        self._rate_mono = time.monotonic()
        self._rate_messages = 0
        self._percentiles: tuple[float | None, float | None] = (None, None)
        self._percentiles_mono: float | None = None

    def record(self, symbol: str, event_ms: int | float | None) -> None:
        now = time.monotonic()
        self.messages += 1
        self.last_mono = now
        previous = self._last_by_symbol.get(symbol)
        self._last_by_symbol[symbol] = now
        if previous is not None:
            gap = now - previous
            interval = self.interval_s
            self.interval_s = gap if interval is None else interval + INTERVAL_WEIGHT * (gap - interval)
        if event_ms:
            self._lateness.append(time.time() * 1000 - (event_ms - self.offset_ms))

    def age_s(self, now: float) -> float | None:
        return None if self.last_mono is None else now - self.last_mono

    def messages_per_s(self, now: float) -> float:
        """Rate over the last full second or more; refreshed at most once a second."""
        elapsed = now - self._rate_mono
        if elapsed >= 1.0:
            self._rate = (self.messages - self._rate_messages) / elapsed
            self._rate_mono, self._rate_messages = now, self.messages
        return self._rate

    def lateness(self, now: float | None = None) -> tuple[float | None, float | None]:
        """(p50, p99) in ms of the recent samples, sorted afresh at most once a second."""
        if not self._lateness:
            return None, None
        now = time.monotonic() if now is None else now
        if self._percentiles_mono is None or now - self._percentiles_mono >= LATENESS_REFRESH_S:
            ordered = sorted(self._lateness)
            last = len(ordered) - 1
            self._percentiles = ordered[last // 2], ordered[min(last, round(last * 0.99))]
            self._percentiles_mono = now
        return self._percentiles

    def forget_symbols(self) -> None:
        """After a reconnect the first gap per symbol spans the outage: it is no usual interval."""
        self._last_by_symbol.clear()
