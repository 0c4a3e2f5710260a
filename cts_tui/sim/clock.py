"""The server clock of one simulated exchange, with the skew a fault may put on it."""

from __future__ import annotations

import time


class ServerClock:
    __slots__ = ("skew_ms",)

    def __init__(self, skew_ms: int = 0) -> None:
        self.skew_ms = skew_ms

    def now_ms(self) -> int:
        return int(time.time() * 1000) + self.skew_ms

    def now_s(self) -> float:
        return time.time() + self.skew_ms / 1000
