"""In-process window counters, one per window instance (exchange, key or IP, endpoint).

``wait`` answers "how long until ``units`` more fit under ``cap``" without changing anything and
``take`` records a grant, so a request charged to several windows is checked against all of them
before any is charged. A window that is empty admits one request whatever its cost: a request
heavier than the whole cap could otherwise never go.
"""

from __future__ import annotations

from collections import deque


class RollingWindow:
    """Exact sliding window: a log of (time, units) grants younger than the period."""

    __slots__ = ("period", "total", "_log")

    def __init__(self, period: float) -> None:
        self.period = period
        self.total = 0
        self._log: deque[tuple[float, int]] = deque()

    def _evict(self, now: float) -> None:
        log = self._log
        edge = now - self.period
        while log and log[0][0] <= edge:
            self.total -= log.popleft()[1]

    def used(self, now: float) -> int:
        self._evict(now)
        return self.total

    def wait(self, now: float, units: int, cap: float) -> float:
        self._evict(now)
        total = self.total
        if total + units <= cap or total == 0:
            return 0.0
        excess = total + units - cap
        for granted_at, granted in self._log:
            excess -= granted
            if excess <= 0:
                return granted_at + self.period - now
        return self._log[-1][0] + self.period - now

    def take(self, now: float, units: int) -> None:
        self._log.append((now, units))
        self.total += units

    def raise_to(self, now: float, used: int) -> None:
        """Another client spent what we did not see: count the difference as spent now."""
        self._evict(now)
        if used > self.total:
            self.take(now, used - self.total)


class AlignedWindow:
    """Fixed window that resets at every multiple of the period on the wall clock (Binance's
    UTC minute)."""

    __slots__ = ("period", "total", "_start")

    def __init__(self, period: float) -> None:
        self.period = period
        self.total = 0
        self._start = 0.0

    def _roll(self, now: float) -> float:
        start = now - now % self.period
        if start != self._start:
            self._start = start
            self.total = 0
        return start

    def used(self, now: float) -> int:
        self._roll(now)
        return self.total

    def wait(self, now: float, units: int, cap: float) -> float:
        start = self._roll(now)
        if self.total + units <= cap or self.total == 0:
            return 0.0
        return start + self.period - now

    def take(self, now: float, units: int) -> None:
        self._roll(now)
        self.total += units

    def raise_to(self, now: float, used: int) -> None:
        self._roll(now)
        if used > self.total:
            self.total = used


Window = RollingWindow | AlignedWindow
