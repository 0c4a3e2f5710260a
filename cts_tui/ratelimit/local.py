"""The in-process backend: exact windows in memory, for one process or as the fallback share of
a budget that Redis normally shares."""

from __future__ import annotations

import math
import time
from collections import defaultdict
from typing import Protocol

from cts_tui.ratelimit.plan import Charge, Plan
from cts_tui.ratelimit.policy import WindowSpec
from cts_tui.ratelimit.windows import AlignedWindow, RollingWindow, Window
from cts_tui.views.limits import BackendName, BackendState


class Clock(Protocol):
    """The two clocks windows read: rolling windows the monotonic one, aligned windows the wall
    clock (the exchange's minute). The ``time`` module itself is the real one."""

    def monotonic(self) -> float: ...
    def time(self) -> float: ...


Receipt = list[tuple[Window, bool, object]]
"""What a grant charged, so that the request's end can settle it."""

_Compiled = tuple[tuple[Window, int, tuple[float, float, float], bool, str], ...]


class LocalBackend:
    """``share`` scales every cap: 1 alone, 1/N as one of N processes that lost their Redis."""

    def __init__(self, share: float = 1.0, clock: Clock | None = None) -> None:
        self.share = share
        self._clock: Clock = clock or time
        self.state = BackendState("local", self._clock.time())
        self._windows: dict[str, Window] = {}
        self._instances: dict[tuple[str, str], list[Window]] = defaultdict(list)
        self._compiled: dict[Plan, _Compiled] = {}

    @property
    def name(self) -> BackendName:
        return "local"

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def set_share(self, share: float) -> None:
        if share != self.share:
            self.share = share
            self._compiled.clear()

    def forget_plans(self) -> None:
        self._compiled.clear()

    def _window(self, exchange: str, charge: Charge) -> Window:
        window = self._windows.get(charge.key)
        if window is None:
            spec = charge.spec
            window = AlignedWindow(spec.period_s) if spec.aligned else RollingWindow(spec.period_s)
            self._windows[charge.key] = window
            self._instances[(exchange, spec.name)].append(window)
        return window

    def _compile(self, plan: Plan) -> _Compiled:
        share = self.share
        compiled = tuple(
            (
                self._window(plan.exchange, c),
                c.units,
                (c.caps[0] * share, c.caps[1] * share, c.caps[2] * share),
                c.spec.aligned,
                c.key,
            )
            for c in plan.charges
        )
        self._compiled[plan] = compiled
        return compiled

    def take_now(self, plan: Plan, priority: int) -> tuple[float, str | None, Receipt | None]:
        """Charge every window of ``plan`` or none; else how long until the tightest frees up.
        Every request takes this path: each window is asked once, and the rare refusal undoes
        what the windows before it granted."""
        compiled = self._compiled.get(plan) or self._compile(plan)
        mono = self._clock.monotonic()
        wall = self._clock.time()
        receipt: Receipt = []
        for window, units, caps, aligned, key in compiled:
            entry = window.try_take(wall if aligned else mono, units, caps[priority])
            if entry is None:
                for granted, _aligned, granted_entry in receipt:
                    granted.untake(granted_entry)  # type: ignore[arg-type]
                return self._blocked(compiled, priority, mono, wall, key)
            receipt.append((window, aligned, entry))
        return 0.0, None, receipt

    @staticmethod
    def _blocked(
        compiled: _Compiled, priority: int, mono: float, wall: float, refused: str
    ) -> tuple[float, str, None]:
        longest = 0.0
        blocking = refused
        for window, units, caps, aligned, key in compiled:
            wait = window.wait(wall if aligned else mono, units, caps[priority])
            if wait > longest:
                longest, blocking = wait, key
        return longest, blocking, None

    def wait_now(self, plan: Plan, priority: int) -> float:
        """Seconds until ``take_now`` would grant ``plan`` (0.0: now); charges nothing."""
        compiled = self._compiled.get(plan) or self._compile(plan)
        mono = wall = 0.0
        longest = 0.0
        for window, units, caps, aligned, _key in compiled:
            if aligned:
                now = wall or (wall := self._clock.time())
            else:
                now = mono or (mono := self._clock.monotonic())
            wait = window.wait(now, units, caps[priority])
            if wait > longest:
                longest = wait
        return longest

    async def take(self, plan: Plan, priority: int, ahead_s: float = 0.0) -> tuple[float, str | None, Receipt | None]:
        """Never grants ahead: in memory, asking again when the room frees costs nothing."""
        return self.take_now(plan, priority)

    def settle(self, receipt: Receipt) -> None:
        mono = self._clock.monotonic()
        wall = None
        for window, aligned, entry in receipt:
            if aligned:
                window.settle(entry, wall or (wall := self._clock.time()))  # type: ignore[arg-type]
            else:
                window.settle(entry, mono)  # type: ignore[arg-type]

    def remaining_now(self, plan: Plan, priority: int) -> int:
        compiled = self._compiled.get(plan) or self._compile(plan)
        mono, wall = self._clock.monotonic(), self._clock.time()
        return max(
            0,
            min(
                int((caps[priority] - window.used(wall if aligned else mono)) // units)
                for window, units, caps, aligned, _key in compiled
            ),
        )

    async def remaining(self, plan: Plan, priority: int) -> int:
        return self.remaining_now(plan, priority)

    def used(self, exchange: str, spec: WindowSpec) -> int:
        now = self._clock.time() if spec.aligned else self._clock.monotonic()
        return max((w.used(now) for w in self._instances.get((exchange, spec.name), ())), default=0)

    def used_at(self, key: str, spec: WindowSpec) -> int:
        window = self._windows.get(key)
        if window is None:
            return 0
        return window.used(self._clock.time() if spec.aligned else self._clock.monotonic())

    def raise_usage(
        self, exchange: str, charge: Charge, used: int, observed_at: float, tolerance: float = 0
    ) -> None:
        """``observed_at`` (epoch seconds) dates the count: a rolling window frees it when its
        own period ends, an aligned one ignores a count from a period that is over."""
        window = self._windows.get(charge.key) or self._window(exchange, charge)
        wall = self._clock.time()
        if isinstance(window, AlignedWindow):
            window.raise_to(wall, used, tolerance, observed_at)
        else:
            mono = self._clock.monotonic()
            window.raise_to(mono, used, tolerance, mono - max(0.0, wall - observed_at))

    def shadow(self, plan: Plan, ahead_s: float = 0.0) -> Receipt:
        """Count a grant made elsewhere (by Redis) at no cap: if Redis goes away, this
        process's own spending is here already (``ahead_s`` from now for a grant ahead, whose
        request waits that long). Settling the receipt dates it when its request ended, as
        the exchange may have counted it that late: a held request is sent when its sleep
        ends, a few milliseconds after the moment it was granted for."""
        mono, wall = self._clock.monotonic() + ahead_s, self._clock.time() + ahead_s
        receipt: Receipt = []
        for charge in plan.charges:
            window = self._windows.get(charge.key) or self._window(plan.exchange, charge)
            aligned = charge.spec.aligned
            receipt.append((window, aligned, window.try_take(wall if aligned else mono, charge.units, math.inf)))
        return receipt

    def spent(self, key: str) -> list[tuple[float, int]]:
        """A rolling window's grants still in it, as (age in seconds, units), youngest first (a
        grant ahead has a negative age)."""
        window = self._windows.get(key)
        if not isinstance(window, RollingWindow):
            return []
        return window.spent(self._clock.monotonic())

    async def share_pause(self, key: str, seconds: float, banned: bool) -> float | None:
        """Pauses are kept by the limiter itself; alone there is no one to tell."""
        return None
