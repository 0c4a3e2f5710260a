"""Per-connection measurements: latency (EWMA and percentiles), outcome windows, streaks.

Everything here is O(1) per recorded request and bounded in memory, because live traffic
records into it at thousands of requests per second.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime

from cts_tui.errors import ErrorKind

Clock = Callable[[], float]

EWMA_ALPHA = 0.2
"""Weight of the newest sample: about the last ten requests dominate the average."""
LATENCY_SAMPLES = 512
HISTORY_POINTS = 60
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds of the latency histogram (seconds) that the Prometheus exposition serves."""


class LatencyStats:
    """EWMA plus percentiles over the most recent samples (milliseconds)."""

    def __init__(self, samples: int = LATENCY_SAMPLES) -> None:
        self.ewma_ms: float | None = None
        self._samples: deque[float] = deque(maxlen=samples)
        self._sorted: list[float] | None = None

    def record(self, ms: float) -> None:
        self.ewma_ms = ms if self.ewma_ms is None else EWMA_ALPHA * ms + (1 - EWMA_ALPHA) * self.ewma_ms
        self._samples.append(ms)
        self._sorted = None

    def percentile(self, q: float) -> float | None:
        """Nearest-rank percentile (q in 0..100) of the recent samples."""
        if not self._samples:
            return None
        if self._sorted is None:
            self._sorted = sorted(self._samples)
        rank = max(1, math.ceil(q / 100 * len(self._sorted)))
        return self._sorted[rank - 1]

    def history(self, points: int = HISTORY_POINTS) -> tuple[float, ...]:
        return tuple(list(self._samples)[-points:])


def success_pct(ok: int, failed: int) -> float | None:
    """The share of successes in percent; None when nothing was counted (not 0%: no news)."""
    return None if ok + failed == 0 else 100.0 * ok / (ok + failed)


class RollingCounts:
    """Successes and failures over a rolling window, in fixed time buckets (bounded memory)."""

    def __init__(self, window_s: float, buckets: int = 60, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._bucket_s = window_s / buckets
        self._buckets: deque[list[int]] = deque()  # [bucket index, ok, failed]
        self._size = buckets
        self._edge = -math.inf
        """Where the newest bucket ends: a request before it only adds to that bucket."""

    def resize(self, window_s: float) -> None:
        self._bucket_s = window_s / self._size
        self._buckets.clear()
        self._edge = -math.inf

    def record(self, ok: bool, now: float | None = None) -> None:
        """``now``: the clock read once by a caller recording in several windows."""
        if now is None:
            now = self._clock()
        buckets = self._buckets
        if now >= self._edge:
            index = int(now / self._bucket_s)
            self._edge = (index + 1) * self._bucket_s
            buckets.append([index, 0, 0])
            if len(buckets) > self._size:
                buckets.popleft()
        buckets[-1][1 if ok else 2] += 1

    def totals(self, span_s: float | None = None) -> tuple[int, int]:
        """(ok, failed) within the last ``span_s`` seconds (default: the whole window)."""
        now_index = int(self._clock() / self._bucket_s)
        span = self._size if span_s is None else max(1, math.ceil(span_s / self._bucket_s))
        ok = failed = 0
        for index, good, bad in self._buckets:
            if now_index - index < span:
                ok += good
                failed += bad
        return ok, failed

    def rate_pct(self) -> float | None:
        return success_pct(*self.totals())

    def per_second(self, span_s: float = 10.0) -> float:
        ok, failed = self.totals(span_s)
        covered = max(self._bucket_s, math.ceil(span_s / self._bucket_s) * self._bucket_s)
        return (ok + failed) / covered


class ConnectionStats:
    """What the coordinator knows about one connection's recent behaviour, recorded once per
    request in one call: the counters the screens and the Prometheus exposition read (this is
    their only copy), and the latency also goes to the exchange's own ``LatencyStats``, whose
    percentiles the exchange view shows."""

    def __init__(
        self, uptime_window_s: float, clock: Clock = time.monotonic, exchange_latency: LatencyStats | None = None
    ) -> None:
        self._clock = clock
        self._exchange_latency = exchange_latency
        self.latency = LatencyStats()
        self.recent = RollingCounts(60.0, 60, clock)
        self.uptime = RollingCounts(uptime_window_s, 60, clock)
        self.requests = 0
        self.successes = 0
        self.failures_by_kind: Counter[str] = Counter()
        self.latency_buckets = [0] * (len(LATENCY_BUCKETS_S) + 1)
        """Requests per latency bucket (not cumulative); the last one is above every bound."""
        self.latency_sum_s = 0.0
        self.consecutive_errors = 0
        self.consecutive_successes = 0
        self.in_flight = 0
        self.last_check: datetime | None = None
        self.last_error: str | None = None
        self.last_error_kind: ErrorKind | None = None

    def record_success(self, latency_s: float, *, check: bool = False) -> None:
        now = self._clock()
        self.requests += 1
        self.latency_buckets[bisect_left(LATENCY_BUCKETS_S, latency_s)] += 1
        self.latency_sum_s += latency_s
        self.successes += 1
        self.consecutive_successes += 1
        self.consecutive_errors = 0
        latency_ms = latency_s * 1000
        self.latency.record(latency_ms)
        if self._exchange_latency is not None:
            self._exchange_latency.record(latency_ms)
        self.recent.record(True, now)
        self.uptime.record(True, now)
        if check:
            self.last_check = datetime.now(UTC)

    def record_failure(self, kind: ErrorKind, message: str, latency_s: float = 0.0, *, check: bool = False) -> None:
        """Count a failure; rate-limit answers are not the connection's fault, so they neither
        break a success streak's meaning for uptime nor count as downtime."""
        now = self._clock()
        self.requests += 1
        self.latency_buckets[bisect_left(LATENCY_BUCKETS_S, latency_s)] += 1
        self.latency_sum_s += latency_s
        self.failures_by_kind[kind.value] += 1
        self.last_error = message
        self.last_error_kind = kind
        if kind.counts_for_breaker:
            self.consecutive_errors += 1
            self.consecutive_successes = 0
            self.uptime.record(False, now)
        self.recent.record(False, now)
        if check:
            self.last_check = datetime.now(UTC)

    @property
    def failures(self) -> int:
        return self.requests - self.successes
