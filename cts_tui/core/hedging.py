"""Hedged reads: a read still unanswered after its exchange's hedge delay is sent on another
eligible connection too; the first answer wins and the other request is cancelled.

The delay is the exchange's recent ``hedge_percentile`` latency within ``hedge_min_ms`` ..
``hedge_max_ms``, so only the slowest few percent of reads are hedged. The budget keeps a slow
exchange from doubling the load: hedges sent over the last minute stay under ``hedge_max_share``
of the requests of that minute (per exchange of the original request). A hedge goes only to a
connection whose rate-limit budget can send it now, and it is charged like any request (it
goes through the client and its limiter). State-changing calls are never hedged: they are not
in the registry the watchdog reads.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum
from typing import Any, NamedTuple

WINDOW_S = 60.0


class Outcome(StrEnum):
    WON = "won"
    """The hedge answered first: the original was cancelled."""
    LOST = "lost"
    """The original answered first: the hedge was cancelled."""
    FAILED = "failed"
    """The hedge failed; the original went on."""


class Won(NamedTuple):
    """What the watchdog hands to a caller whose hedge answered first."""

    result: Any


class Rescued(NamedTuple):
    """What the watchdog hands to a caller whose connection became suspect: retry elsewhere."""

    reason: str


def delay_s(percentile_ms: float | None, min_ms: float, max_ms: float) -> float:
    if percentile_ms is None:
        return max_ms / 1000
    return min(max(percentile_ms, min_ms), max_ms) / 1000


class HedgeBudget:
    """Hedges sent per exchange over the last minute (timestamps, bounded by the cap)."""

    def __init__(self) -> None:
        self._sent: dict[str, deque[float]] = {}

    def sent(self, exchange: str, now: float) -> int:
        times = self._sent.get(exchange)
        if not times:
            return 0
        while times and times[0] <= now - WINDOW_S:
            times.popleft()
        return len(times)

    def allows(self, exchange: str, now: float, requests: int, share: float) -> bool:
        """One more hedge keeps them within ``share`` of ``requests`` over the last minute."""
        return self.sent(exchange, now) + 1 <= share * requests

    def spend(self, exchange: str, now: float) -> None:
        self._sent.setdefault(exchange, deque()).append(now)
