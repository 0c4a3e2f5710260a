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

import bisect
import math
from collections import deque
from operator import itemgetter


_first = itemgetter(0)

SLOTS = 1000
"""A rolling window keeps at most about this many log entries, whatever the rate."""


def _fits(total: float, units: int, cap: float) -> bool:
    """``units`` more fit under ``cap``; an empty window admits one request whatever its cost."""
    return total + units <= cap or total == 0


class RollingWindow:
    """Sliding window: a log of [time, units] slots younger than the period.

    Grants less than ``period / SLOTS`` apart share a slot stamped with the latest of them, so
    a grant is never forgotten early, at most a slot's width late, and the log stays small at
    any rate: one entry per grant meant 5,000 live entries for a 1 s window at 5,000 requests/s,
    half a megabyte walked through the CPU cache by every request.
    """

    __slots__ = ("period", "total", "_log", "_slot_s")

    def __init__(self, period: float) -> None:
        self.period = period
        self.total = 0
        self._log: deque[list[float]] = deque()
        """Slots as mutable [time, units] so that ``settle`` can move one later."""
        self._slot_s = period / SLOTS

    def _evict(self, now: float) -> None:
        log = self._log
        edge = now - self.period
        while log and log[0][0] <= edge:
            self.total -= int(log.popleft()[1])  # a slot is [time, units]: its units are whole

    def used(self, now: float) -> int:
        self._evict(now)
        return self.total

    def wait(self, now: float, units: int, cap: float) -> float:
        self._evict(now)
        total = self.total
        if _fits(total, units, cap):
            return 0.0
        excess = total + units - cap
        latest = now - self.period  # settled grants may sit ahead of younger ones: take the latest
        for granted_at, granted in self._log:
            latest = max(latest, granted_at)
            excess -= granted
            if excess <= 0:
                break
        return latest + self.period - now

    def try_take(self, now: float, units: int, cap: float) -> tuple[list[float], int] | None:
        """Grant ``units`` if they fit under ``cap`` (``wait`` would say 0), else None."""
        log = self._log
        if log and log[0][0] <= now - self.period:  # most grants find nothing to forget: no call
            self._evict(now)
        if not _fits(self.total, units, cap):
            return None
        self.total += units
        if log:
            last = log[-1]
            if now - last[0] < self._slot_s:  # close enough to the last grant to share its slot
                if now > last[0]:
                    last[0] = now
                last[1] += units
                return last, units
        slot = [now, units]
        log.append(slot)
        return slot, units

    def untake(self, receipt: tuple[list[float], int]) -> None:
        """Undo a ``try_take`` whose request another window refused."""
        slot, units = receipt
        slot[1] -= units
        self.total -= units
        if slot[1] <= 0:
            log = self._log
            if log and log[-1] is slot:
                log.pop()
            else:
                log.remove(slot)

    def settle(self, receipt: tuple[list[float], int], now: float) -> None:
        """Count the grant from ``now`` on (its slot with it). The log may be briefly out of
        order after this; that only keeps younger grants a little longer, never forgets one
        early."""
        slot = receipt[0]
        if now > slot[0]:
            slot[0] = now

    def raise_to(self, now: float, used: int, tolerance: float = 0, at: float | None = None) -> None:
        """Another client spent what we did not see: count the difference as spent ``at`` (when
        the count was observed; now by default), so that it frees when its own window ends, not
        a whole period after we learnt of it. Gaps within ``tolerance`` are timing (the exchange
        counts arrivals, we count grants)."""
        self._evict(now)
        if used <= self.total + tolerance:
            return
        if at is None or at >= now:
            self.try_take(now, used - self.total, math.inf)
            return
        if at <= now - self.period:
            return
        # At least a slot's width in the past: the grants that follow never share its slot, so
        # what was counted here stays apart from what this process spends after.
        at = min(at, now - self._slot_s)
        missing = used - self.total
        self.total += missing
        log = self._log
        log.insert(bisect.bisect_right(log, at, key=_first), [at, missing])

    def spent(self, now: float) -> list[tuple[float, int]]:
        """(age in seconds, units) of every slot still in the window, youngest first."""
        self._evict(now)
        return sorted(((now - at, int(units)) for at, units in self._log if units > 0), key=_first)


class AlignedWindow:
    """Fixed window that resets at every multiple of the period on the wall clock (Binance's
    UTC minute)."""

    __slots__ = ("period", "total", "_start", "_end")

    def __init__(self, period: float) -> None:
        self.period = period
        self.total = 0
        self._start = self._end = 0.0

    def _roll(self, now: float) -> float:
        """The start of the period ``now`` falls in. The methods every request calls check the
        current period themselves and call this only when it is over: the remainder of an
        epoch by a period is a long ``fmod``, and a call costs more than the check."""
        if self._start <= now < self._end:
            return self._start
        start = now - now % self.period
        if start != self._start:
            self._start = start
            self.total = 0
        self._end = start + self.period
        return start

    def used(self, now: float) -> int:
        self._roll(now)
        return self.total

    def wait(self, now: float, units: int, cap: float) -> float:
        start = self._roll(now)
        if _fits(self.total, units, cap):
            return 0.0
        return start + self.period - now

    def try_take(self, now: float, units: int, cap: float) -> tuple[float, int] | None:
        """Grant ``units`` if they fit under ``cap`` (``wait`` would say 0), else None."""
        start = self._start if self._start <= now < self._end else self._roll(now)
        if not _fits(self.total, units, cap):
            return None
        self.total += units
        return (start, units)

    def untake(self, receipt: tuple[float, int]) -> None:
        if receipt[0] == self._start:
            self.total -= receipt[1]

    def settle(self, receipt: tuple[float, int], now: float) -> None:
        """A request granted in one window and done in the next may have arrived in either:
        count it in both."""
        start = self._start if self._start <= now < self._end else self._roll(now)
        if start != receipt[0]:
            self.total += receipt[1]

    def raise_to(self, now: float, used: int, tolerance: float = 0, counted_at: float | None = None) -> None:
        """``counted_at``: when the exchange gave its count; a count from a period that is over
        says nothing about this one."""
        if not self._start <= now < self._end:
            self._roll(now)
        if counted_at is not None and not self._start <= counted_at < self._end:
            return
        if used > self.total + tolerance:
            self.total = used


Window = RollingWindow | AlignedWindow
