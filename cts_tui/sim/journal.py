"""The request journal: what every client did, as the server saw it.

Tests assert from the server's side with it (which endpoints, which key, whether a window was
ever exceeded); the control API serves it as JSON. Bounded, so a long benchmark cannot grow it
without limit; recording is one tuple-like object appended to a deque.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass


@dataclass(slots=True, frozen=True)
class JournalEntry:
    wall: float  # time.time() at arrival
    mono: float  # time.monotonic() at arrival
    exchange: str
    method: str
    endpoint: str  # path below the exchange's base URL, without the query
    account: str | None  # the account name (never a credential), None when unauthenticated
    weight: int  # what the exchange counted against its limit for this request
    status: int  # HTTP status sent; 0 when the connection was reset or refused
    outcome: str  # ok, auth_failed, permission_denied, invalid_timestamp, rate_limited, banned, ...

    def as_dict(self) -> dict:
        return asdict(self)


class Journal:
    def __init__(self, maxlen: int = 200_000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self.record = self._entries.append  # the hot path: no wrapper call

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):
        return iter(tuple(self._entries))

    def clear(self) -> None:
        self._entries.clear()

    def entries(
        self,
        exchange: str | None = None,
        endpoint: str | None = None,
        account: str | None = None,
        outcome: str | None = None,
        since_mono: float | None = None,
    ) -> list[JournalEntry]:
        return [
            e for e in tuple(self._entries)
            if (exchange is None or e.exchange == exchange)
            and (endpoint is None or e.endpoint == endpoint)
            and (account is None or e.account == account)
            and (outcome is None or e.outcome == outcome)
            and (since_mono is None or e.mono >= since_mono)
        ]

    @staticmethod
    def max_in_window(entries: Iterable[JournalEntry], window_s: float, weighted: bool = False) -> float:
        """The most requests (or weight) that arrived within any rolling `window_s` seconds."""
        ordered = sorted(entries, key=lambda e: e.mono)
        best = total = 0.0
        start = 0
        for entry in ordered:
            total += entry.weight if weighted else 1
            while ordered[start].mono <= entry.mono - window_s:
                total -= ordered[start].weight if weighted else 1
                start += 1
            best = max(best, total)
        return best
