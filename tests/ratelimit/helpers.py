"""Shared builders for the rate-limit tests."""

from __future__ import annotations

from typing import Any

from cts_tui.config import Config


class FakeClock:
    """Both clocks of a LocalBackend, moved by hand so counts never depend on the machine's speed."""

    def __init__(self, wall: float = 1_700_000_000.0) -> None:
        self.wall = wall
        self.mono = 1000.0

    def monotonic(self) -> float:
        return self.mono

    def time(self) -> float:
        return self.wall

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


def make_config(**exchanges: dict[str, Any]) -> Config:
    """Defaults, with some exchanges' limits replaced and rate_limiting settings from ``_rl``."""
    rate_limiting = exchanges.pop("_rl", {})
    config = Config()
    for name, limits in exchanges.items():
        for key, value in limits.items():
            setattr(config.exchanges[name], key, value)
    for key, value in rate_limiting.items():
        setattr(config.rate_limiting, key, value)
    return config
