"""In-flight outlier detection: a connection whose requests stop being answered.

A timeout says an exchange is gone only once it fires (10 s by default), and until then every
caller routed there waits. So the coordinator's watchdog looks, every ``routing.watch_interval_ms``
(no work per request), at the reads in flight on each connection: when at least
``suspect_min_requests`` of them are older than ``max(suspect_factor x the exchange's recent p99,
suspect_floor_ms)`` and none of the connection's requests was answered in that time, the
connection is *suspect*: its breaker opens with the reason "not answering" (the half-open probe
brings it back) and its reads in flight are sent elsewhere. A slow exchange that still answers
never qualifies: each answer restarts the quiet time, and its own p99 raises the threshold.

Hedging (``core/hedging.py``) reads the same registry: a read older than its exchange's hedge
delay is sent on another connection too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

NOT_ANSWERING = "not answering"
"""The breaker's reason when suspicion opened it."""


Call = tuple[float, str, tuple[Any, ...], dict[str, Any], "str | None", int]
"""One read in flight through ``execute_request``, what a hedge needs to send it again:
(``time.perf_counter()`` when sent, method, args, kwargs, the ``exchange_id`` the caller asked
for, priority). A plain tuple: every read makes one."""
STARTED: Final = 0
METHOD: Final = 1
ARGS: Final = 2
KWARGS: Final = 3
TARGET: Final = 4
PRIORITY: Final = 5
"""A ``Call``'s fields by position (literal constants, so that each field keeps its type)."""


@dataclass(slots=True)
class WatchState:
    """What the watchdog keeps per connection between its ticks, and what it counted."""

    seen: int = -1
    """The connection's request count at the last tick: a change means something was answered."""
    quiet_since: float = 0.0
    """Since when (perf_counter) nothing was answered while requests were in flight."""
    suspects: int = 0
    hedges_sent: int = 0
    hedges_won: int = 0
    abandoned: list[float] = field(default_factory=list)
    """Start times of reads that a hedge answered first (their own request was cancelled
    unanswered): still evidence against the connection until it answers something."""

    def observe(self, answered: int, busy: bool, now: float) -> float:
        """Update at a tick; returns how long the connection has been quiet while busy."""
        if answered != self.seen or not busy:
            self.seen = answered
            self.quiet_since = now
            self.abandoned.clear()
        return now - self.quiet_since


def threshold_s(p99_ms: float | None, factor: float, floor_ms: float) -> float:
    """How long requests may stay unanswered before they count against the connection."""
    floor = floor_ms / 1000
    if p99_ms is None:
        return floor
    return max(factor * p99_ms / 1000, floor)


def unanswered(starts: Iterable[float], now: float, threshold: float) -> int:
    """How many of the requests started at ``starts`` are older than ``threshold``."""
    return sum(1 for started in starts if now - started >= threshold)


def is_suspect(quiet_s: float, old_requests: int, threshold: float, min_requests: int) -> bool:
    return quiet_s >= threshold and old_requests >= min_requests
