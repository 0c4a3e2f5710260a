"""What the rate-limit gauges show, as a plain snapshot that is cheap to build."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BackendName = Literal["local", "redis", "fallback"]


@dataclass(frozen=True, slots=True)
class BackendState:
    """Where budgets are counted now, since when, and why there (``fallback``: Redis was
    unreachable and this process counts its share alone)."""

    name: BackendName
    since: float
    """Epoch seconds of the last switch (or of the start)."""
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class WindowUsage:
    name: str
    period_s: float
    used: float
    """The fullest instance of this window (busiest key or endpoint), in its units."""
    limit: int
    """The configured limit, before headroom."""

    @property
    def fraction(self) -> float:
        return self.used / self.limit if self.limit else 0.0


@dataclass(frozen=True, slots=True)
class ExchangeUsage:
    exchange: str
    windows: tuple[WindowUsage, ...]
    concurrent_in_use: int
    concurrent_limit: int
    queued: tuple[int, int, int]
    """Waiting requests per priority, indexed by Priority (HIGH, NORMAL, LOW)."""
    paused_until: float | None
    """Epoch seconds, when a 429 or an exhausted quota stopped us."""
    banned_until: float | None
    backend: BackendName

    @property
    def fraction(self) -> float:
        """The fullest window, 0..1+ of its configured limit: what a single gauge shows."""
        return max((w.fraction for w in self.windows), default=0.0)
