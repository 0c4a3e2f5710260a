"""Rate-limit engines in the shapes exchanges count: clock-aligned weighted windows, rolling
windows, fixed windows that open with the first request, and bans for clients that keep going.

Each engine is keyed by whatever the exchange keys on (IP, UID, endpoint+UID); the exchange
module decides keys, weights and the answer it sends. Times are passed in so that one request
reads the clock once.
"""

from __future__ import annotations

import math
from collections import deque


class AlignedWindow:
    """Weight per clock-aligned interval (Binance: per calendar minute)."""

    def __init__(self, limit: float, interval_s: float = 60.0) -> None:
        self.limit = limit
        self.interval_s = interval_s
        self._used: dict[str, tuple[int, float]] = {}

    def add(self, key: str, weight: float, now: float) -> float:
        """Counts `weight` (rejected requests count too, as at Binance) and returns the total."""
        window = int(now // self.interval_s)
        current, used = self._used.get(key, (window, 0.0))
        used = (used if current == window else 0.0) + weight
        self._used[key] = (window, used)
        return used

    def used(self, key: str, now: float) -> float:
        current, used = self._used.get(key, (None, 0.0))
        return used if current == int(now // self.interval_s) else 0.0

    def retry_after(self, now: float) -> int:
        """Whole seconds until the next window opens (at least 1)."""
        return max(1, math.ceil(self.interval_s - now % self.interval_s))

    def reset(self) -> None:
        self._used.clear()


class RollingWindow:
    """At most `limit` requests in any `window_s` seconds per key (Bybit: 1 s per endpoint+UID)."""

    def __init__(self, limit: int, window_s: float = 1.0) -> None:
        self.limit = int(limit)
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def try_acquire(self, key: str, now: float) -> tuple[bool, int, float]:
        """(allowed, remaining after this request, when the oldest counted request expires)."""
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
        horizon = now - self.window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        if len(hits) >= self.limit:
            return False, 0, hits[0] + self.window_s
        hits.append(now)
        return True, self.limit - len(hits), hits[0] + self.window_s

    def reset(self) -> None:
        self._hits.clear()


class FixedWindow:
    """A window of `window_s` seconds opened by the first request of a key (OKX, BingX; KuCoin's
    resource pools count each request's weight)."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = int(limit)
        self.window_s = window_s
        self._windows: dict[str, list[float]] = {}  # key -> [opened_at, count]

    def try_acquire(self, key: str, now: float, weight: int = 1) -> tuple[bool, int, float]:
        """(allowed, remaining after this request, when the window closes)."""
        window = self._windows.get(key)
        if window is None or now >= window[0] + self.window_s:
            window = self._windows[key] = [now, 0]
        if window[1] + weight > self.limit:
            return False, self.limit - int(window[1]), window[0] + self.window_s
        window[1] += weight
        return True, self.limit - int(window[1]), window[0] + self.window_s

    def reset(self) -> None:
        self._windows.clear()


class BanList:
    """Bans a key that keeps sending after it was told to stop.

    `strike()` is called for every request rejected for rate limiting; `tolerance` strikes within
    one `strike_window_s` ban the key for `ban_s` seconds (doubling for each further ban, as
    Binance escalates from minutes to days).
    """

    def __init__(self, tolerance: int, ban_s: float, strike_window_s: float = 60.0, max_ban_s: float = 259_200) -> None:
        self.tolerance = int(tolerance)
        self.ban_s = ban_s
        self.strike_window_s = strike_window_s
        self.max_ban_s = max_ban_s
        self._strikes: dict[str, deque[float]] = {}
        self._banned_until: dict[str, float] = {}
        self._bans: dict[str, int] = {}

    def banned_until(self, key: str, now: float) -> float | None:
        until = self._banned_until.get(key)
        if until is None:
            return None
        if now >= until:
            del self._banned_until[key]
            return None
        return until

    def strike(self, key: str, now: float) -> float | None:
        """Records a rejected request; returns the ban's end when this strike bans the key."""
        strikes = self._strikes.setdefault(key, deque())
        strikes.append(now)
        while strikes and strikes[0] <= now - self.strike_window_s:
            strikes.popleft()
        if len(strikes) < self.tolerance:
            return None
        strikes.clear()
        count = self._bans[key] = self._bans.get(key, 0) + 1
        until = now + min(self.ban_s * 2 ** (count - 1), self.max_ban_s)
        self._banned_until[key] = until
        return until

    def reset(self) -> None:
        self._strikes.clear()
        self._banned_until.clear()
        self._bans.clear()
