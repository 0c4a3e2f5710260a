"""What the health screen, the REST API and the coordinator read about a stream: frozen views."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class StreamState(StrEnum):
    CONNECTING = "connecting"
    """First connection: not a single message yet."""
    LIVE = "live"
    STALLED = "stalled"
    """The socket may be open, but nothing arrived for longer than the threshold."""
    RECONNECTING = "reconnecting"
    """Lost or abandoned; waiting out the backoff or connecting again, no message yet."""
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class StreamView:
    exchange: str
    transport: str  # "ccxt.pro" or "native"
    url: str
    symbols: tuple[str, ...]
    state: StreamState
    since: float  # wall clock (s) of the last state change
    messages: int
    messages_per_s: float
    last_message_age_s: float | None  # None before the first message
    lateness_p50_ms: float | None  # receipt minus exchange event time, clock offset corrected
    lateness_p99_ms: float | None  # None where the exchange stamps no event time (Kraken via ccxt)
    stall_threshold_s: float
    stalls: int
    reconnects: int
    malformed: int  # frames that could not be read
    last_error: str | None

    @property
    def healthy(self) -> bool:
        return self.state is StreamState.LIVE
