"""Stream faults of one exchange, as a trader meets them: the silent socket (open, answering
heartbeats, pushing nothing), pushes that come late, frames that do not parse, and a gateway
that refuses the upgrade. Dropping live connections is an action (`StreamServer.drop`), not a
state."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StreamFaults:
    stall: bool = False
    """Pushes stop; the socket stays open and heartbeats are still answered."""
    slow_ms: float = 0.0
    """Added before every round of pushes."""
    malformed: bool = False
    """Each push is cut in half, so it is no longer JSON."""
    refuse: bool = False
    """New upgrades are answered with HTTP 503."""

    def __post_init__(self) -> None:
        if self.slow_ms < 0:
            raise ValueError("slow_ms must not be negative")
