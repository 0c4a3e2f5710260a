"""Seeded random-walk prices, advanced lazily so that a quiet symbol costs nothing.

Each symbol draws from its own generator, one draw per step of `step_s` seconds, so the price at a
given step depends only on the seed and the step, not on who asked when: runs repeat.
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

MAX_CATCH_UP = 500  # steps replayed at most on one read; a symbol left alone for hours jumps


@dataclass(slots=True)
class _Walk:
    rng: random.Random
    price: float
    open_price: float
    high: float
    low: float
    volume: float
    step: int


class PriceBook:
    def __init__(self, seed: int, step_s: float = 1.0, volatility: float = 0.0008) -> None:
        self._seed = seed
        self._step_s = step_s
        self._volatility = volatility
        self.start = time.monotonic()  # step 0 of every walk
        self._walks: dict[str, _Walk] = {}

    def quote(self, key: str, initial: float, now: float | None = None) -> _Walk:
        """The walk of one symbol (price, 24 h open/high/low, volume), advanced to `now`
        (time.monotonic() when not given)."""
        step = int(((time.monotonic() if now is None else now) - self.start) / self._step_s)
        walk = self._walks.get(key)
        if walk is None:
            rng = random.Random(f"{self._seed}:{key}")
            volume = initial and 10 ** rng.uniform(5, 8) / initial
            walk = self._walks[key] = _Walk(rng, initial, initial, initial, initial, volume, 0)
        if walk.step < step:
            self._advance(walk, min(step - walk.step, MAX_CATCH_UP))
            walk.step = step
        return walk

    def _advance(self, walk: _Walk, steps: int) -> None:
        gauss, vol = walk.rng.gauss, self._volatility
        price = walk.price
        for _ in range(steps):
            price *= math.exp(gauss(0.0, vol))
        walk.price = price
        walk.high = max(walk.high, price)
        walk.low = min(walk.low, price)
