"""The circuit breaker of one connection, and the rule that keeps failover somewhere to go.

closed --(threshold consecutive failures that count)--> open
open --(cooldown elapsed)--> half_open: the health monitor sends one probe, with a timeout
half_open --probe succeeds--> closed;  half_open --probe fails--> open, with a longer cooldown

The cooldown doubles with each opening that follows another without a close in between
(cooldown_s, 2x, 4x, ... capped at cooldown_max_s); a close starts the series again. Rate-limit
answers never count: they mean "slow down", which the limiter handles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from cts_tui.config import Health
from cts_tui.core.stats import Clock
from cts_tui.errors import ErrorKind


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """``on_change`` is called after every change of state (who routes traffic keeps its
    choices until then)."""

    def __init__(
        self, settings: Health, clock: Clock = time.monotonic, on_change: Callable[[], None] | None = None
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._on_change = on_change
        self.state = BreakerState.CLOSED
        self.failures = 0
        self.openings = 0
        self.open_until: float | None = None

    def _set(self, state: BreakerState) -> None:
        self.state = state
        if self._on_change is not None:
            self._on_change()

    @property
    def allows_traffic(self) -> bool:
        """Live requests go only through a closed breaker; half-open belongs to the probe."""
        return self.state is BreakerState.CLOSED

    def cooldown_s(self) -> float:
        """The cooldown of the current (or next) opening."""
        base = self.settings.cooldown_s * 2 ** max(0, self.openings - 1)
        return min(base, self.settings.cooldown_max_s)

    def record_success(self) -> bool:
        """Returns True when this success closed the breaker."""
        self.failures = 0
        if self.state is BreakerState.CLOSED:
            return False
        self.openings = 0
        self.open_until = None
        self._set(BreakerState.CLOSED)
        return True

    def record_failure(self, kind: ErrorKind, *, may_open: bool = True) -> bool:
        """Count a failure; returns True when the breaker should open now. ``may_open`` False
        (too many of the exchange's connections are already ejected) keeps it closed but
        counting, so it opens on a later failure once there is room."""
        if not kind.counts_for_breaker:
            return False
        self.failures += 1
        if self.state is BreakerState.HALF_OPEN:
            return True
        return self.state is BreakerState.CLOSED and may_open and self.failures >= self.settings.breaker_threshold

    def open(self) -> float:
        """Open (or re-open) now; returns the cooldown in seconds."""
        self.openings += 1
        cooldown = self.cooldown_s()
        self.open_until = self._clock() + cooldown
        self._set(BreakerState.OPEN)
        return cooldown

    def half_open(self) -> None:
        self._set(BreakerState.HALF_OPEN)

    def remaining_s(self) -> float:
        if self.open_until is None:
            return 0.0
        return max(0.0, self.open_until - self._clock())


def ejection_allowed(open_count: int, total: int, max_share: float) -> bool:
    """Whether one more of an exchange's ``total`` connections may be ejected when
    ``open_count`` already are. At least one may always go (as Envoy's outlier detection does):
    an exchange with a single dead connection must still be taken out of rotation, failover
    then goes to the other exchanges."""
    allowed = max(1, int(total * max_share))
    return open_count < allowed
