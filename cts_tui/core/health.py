"""Health: the score formula, and the scheduler of periodic checks.

Health score (0-100), one number for sorting and colouring::

    score = 100 * E * S * (0.60 * U + 0.25 * L + 0.15 * R)     and 0 while the breaker is not closed
                                                            or the connection is in error

    U  uptime: share of successful requests and checks over the rolling window
       (``health.uptime_window_s``; 1 before anything was measured)
    L  latency: 1000 / (1000 + EWMA latency in ms): 1 at 0 ms, 0.5 at 1 s, 0.33 at 2 s
       (1 before anything was measured)
    R  rate-limit headroom: 1 - usage% / 100 of the exchange's budget
    E  error streak: 1 - consecutive_errors / breaker_threshold (0 once the breaker would open)
    S  market stream: 1 without one, while it is live or making its first connection; 0.6 while
       the exchange's stream is stalled or reconnecting (``core.streams.stream_factor``), for
       every connection of that exchange: the keys still work, but the exchange has gone quiet

Availability dominates; latency and headroom separate connections that all work. Rate-limit
answers are not failures of the connection, so they lower R, never U or E.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from cts_tui.config import Health
from cts_tui.stopping import cancel_and_wait, wait_set

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """The score's factors, each 0-1 (the TUI's detail shows why a score is what it is)."""

    uptime: float
    latency: float
    headroom: float
    streak: float
    stream: float
    zero_because: str | None
    """Why the score is 0 whatever the factors: "in error" or "breaker not closed"."""

    @property
    def points(self) -> tuple[float, float, float]:
        """What uptime, latency and headroom each add, out of 60, 25 and 15."""
        return (100 * 0.60 * self.uptime, 100 * 0.25 * self.latency, 100 * 0.15 * self.headroom)

    @property
    def score(self) -> float:
        if self.zero_because is not None:
            return 0.0
        return round(self.streak * self.stream * sum(self.points), 1)


def score_parts(
    *,
    uptime_pct: float | None,
    latency_ms: float | None,
    usage_pct: float,
    consecutive_errors: int,
    threshold: int,
    breaker_closed: bool,
    in_error: bool = False,
    stream: float = 1.0,
) -> ScoreParts:
    zero_because = "in error" if in_error else None if breaker_closed else "breaker not closed"
    return ScoreParts(
        uptime=1.0 if uptime_pct is None else uptime_pct / 100,
        latency=1.0 if latency_ms is None else 1000 / (1000 + max(0.0, latency_ms)),
        headroom=1.0 - min(100.0, max(0.0, usage_pct)) / 100,
        streak=max(0.0, 1.0 - consecutive_errors / threshold),
        stream=stream,
        zero_because=zero_because,  # in error: its last test failed, the keys do not work
    )


def health_score(**inputs: Any) -> float:
    """``score_parts(**inputs).score``: the one number for sorting and colouring."""
    return score_parts(**inputs).score


class HealthScheduler:
    """Runs ``check(id)`` for every id in ``due_ids()`` every ``interval_s`` (jittered by
    ``jitter``), at most ``concurrency`` at once. New ids get their first check at a random
    point of the first jitter span, so a hundred connections loaded together do not all fire in
    the same second."""

    def __init__(
        self,
        settings: Health,
        check: Callable[[str], Awaitable[object]],
        due_ids: Callable[[], Collection[str]],
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._check = check
        self._due_ids = due_ids
        self._rng = rng or random.Random()
        self._due: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.semaphore = asyncio.Semaphore(settings.concurrency)

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="cts-health-scheduler")

    async def close(self) -> None:
        if self._task is not None:
            await cancel_and_wait([self._task])
            self._task = None

    def reconfigure(self, settings: Health) -> None:
        """New interval/jitter/concurrency: every connection is rescheduled from now."""
        self.settings = settings
        self.semaphore = asyncio.Semaphore(settings.concurrency)
        self._due.clear()
        self.wake()

    def wake(self) -> None:
        """The set of connections changed: look at it again now."""
        self._wake.set()

    def _next_interval(self) -> float:
        jitter = self.settings.jitter
        return self.settings.interval_s * (1 + self._rng.uniform(-jitter, jitter))

    def _first_delay(self) -> float:
        span = self.settings.interval_s * max(self.settings.jitter, 0.01)
        return self._rng.uniform(0, span)

    async def _run(self) -> None:
        while True:
            now = time.monotonic()
            ids = set(self._due_ids())
            for stale in self._due.keys() - ids:
                del self._due[stale]
            for new in ids - self._due.keys():
                self._due[new] = now + self._first_delay()
            due = [cid for cid, at in self._due.items() if at <= now]
            if due:
                for cid in due:
                    self._due[cid] = now + self._next_interval()
                await asyncio.gather(*(self._guarded(cid) for cid in due))
                continue
            timeout = min(self._due.values(), default=now + 3600) - now
            self._wake.clear()
            await wait_set(self._wake, timeout)

    async def _guarded(self, connection_id: str) -> None:
        async with self.semaphore:
            try:
                await self._check(connection_id)
            except Exception:  # one broken check must not stop the schedule
                log.exception("health check of %s failed unexpectedly", connection_id)
