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
    """The fullest instance of this window (busiest key, endpoint or pool), in its units."""
    limit: int
    """That instance's own limit, before headroom: a pool's quota, an endpoint's documented
    limit where tighter than the window's, else the configured one."""
    part: str | None = None
    """Which instance: the endpoint or pool of a window counted per endpoint or per pool."""
    by_exchange: bool = False
    """The exchange counts in this window itself (``WindowSpec.by_exchange``); otherwise it is a
    budget of ours (the config's per-second and per-minute figures)."""

    @property
    def label(self) -> str:
        return self.name if self.part is None else f"{self.name} {self.part}"

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
    instances: tuple[WindowUsage, ...] = ()
    """Every instance used so far of the windows counted per endpoint or per pool, fullest
    first (``windows`` holds the fullest of each)."""

    @property
    def fraction(self) -> float:
        """The fullest window, 0..1+ of its own limit: what a single gauge shows."""
        return max((w.fraction for w in self.windows), default=0.0)

    @property
    def tightest_by_exchange(self) -> WindowUsage | None:
        """The exchange's own window nearest its limit (None where every window is ours)."""
        return max((w for w in self.windows if w.by_exchange), key=lambda w: w.fraction, default=None)
