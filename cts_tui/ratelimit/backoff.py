"""How long to stop after a 429 or 418 that did not say: exponential, with jitter so that many
processes told "slow down" at once do not come back at once."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class Backoff:
    base_s: float = 1.0
    cap_s: float = 60.0
    ban_base_s: float = 120.0
    """Binance's shortest IP ban; repeated bans double, as the exchanges escalate theirs."""
    ban_cap_s: float = 3 * 24 * 3600.0
    strikes: dict[str, int] = field(default_factory=dict)
    """Pauses in a row per key, forgotten at the key's next success."""
    _bans: dict[str, int] = field(default_factory=dict)
    _rng: random.Random = field(default_factory=random.Random)

    def pause_for(self, key: str) -> float:
        strikes = self.strikes.get(key, 0)
        self.strikes[key] = strikes + 1
        delay = min(self.cap_s, self.base_s * 2**strikes)
        return delay * (1.0 + 0.25 * self._rng.random())

    def ban_for(self, key: str) -> float:
        bans = self._bans.get(key, 0)
        self._bans[key] = bans + 1
        return min(self.ban_cap_s, self.ban_base_s * 2**bans)

    def succeeded(self, key: str) -> None:
        self.strikes.pop(key, None)
