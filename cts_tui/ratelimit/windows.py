"""In-process window counters, one per window instance (exchange, key or IP, endpoint).

``try_take`` records a grant when ``units`` more fit under ``cap`` and ``untake`` undoes it, so a
request charged to several windows is granted by all of them or by none; ``wait`` answers "how
long until they fit" for one that was refused. A grant's receipt is what ``settle`` moves to the
time the request was done: the exchange counts a request when it arrives, which is after the grant and before the
answer, so counting it until the answer never lets a burst granted early and sent late overlap
the next window's burst at the exchange. A window that is empty admits one request whatever its cost: a request
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
        self._log: deque[list[float]] = deque()
        """Grants as mutable [time, units] so that ``settle`` can move one later."""

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
        latest = now - self.period  # settled grants may sit ahead of younger ones: take the latest
        for granted_at, granted in self._log:
            latest = max(latest, granted_at)
            excess -= granted
            if excess <= 0:
                break
        return latest + self.period - now

    def try_take(self, now: float, units: int, cap: float) -> list[float] | None:
        """``take`` if ``wait`` would say 0, else None: the grant path in one call."""
        log = self._log
        edge = now - self.period
        while log and log[0][0] <= edge:
            self.total -= log.popleft()[1]
        total = self.total
        if total + units > cap and total != 0:
            return None
        entry = [now, units]
        log.append(entry)
        self.total = total + units
        return entry

    def untake(self, receipt: list[float]) -> None:
        """Undo a ``try_take`` whose request another window refused (it is the newest grant)."""
        log = self._log
        if log and log[-1] is receipt:
            log.pop()
        else:
            log.remove(receipt)
        self.total -= int(receipt[1])

    def settle(self, receipt: list[float], now: float) -> None:
        """Count the grant from ``now`` on. The log may be briefly out of order after this;
        that only keeps younger grants a little longer, never forgets one early."""
        if now > receipt[0]:
            receipt[0] = now

    def raise_to(self, now: float, used: int, tolerance: float = 0) -> None:
        """Another client spent what we did not see: count the difference as spent now. Gaps
        within ``tolerance`` are timing (the exchange counts arrivals, we count grants)."""
        self._evict(now)
        if used > self.total + tolerance:
            self._log.append([now, used - self.total])
            self.total = used


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

    def try_take(self, now: float, units: int, cap: float) -> tuple[float, int] | None:
        """``take`` if ``wait`` would say 0, else None: the grant path in one call."""
        start = now - now % self.period
        if start != self._start:
            self._start = start
            self.total = 0
        total = self.total
        if total + units > cap and total != 0:
            return None
        self.total = total + units
        return (start, units)

    def untake(self, receipt: tuple[float, int]) -> None:
        if receipt[0] == self._start:
            self.total -= receipt[1]

    def settle(self, receipt: tuple[float, int], now: float) -> None:
        """A request granted in one window and done in the next may have arrived in either:
        count it in both."""
        if self._roll(now) != receipt[0]:
            self.total += receipt[1]

    def raise_to(self, now: float, used: int, tolerance: float = 0) -> None:
        self._roll(now)
        if used > self.total + tolerance:
            self.total = used


Window = RollingWindow | AlignedWindow
