"""Shared builders for the rate-limit tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from cts_tui.config import Config
from cts_tui.ratelimit import RateLimiter
from cts_tui.ratelimit.shared import SharedBackend


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


@asynccontextmanager
async def shared_limiter(config: Config) -> AsyncIterator[tuple[SharedBackend, RateLimiter]]:
    """A started limiter on Redis (``config.rate_limiting``) and its backend, closed afterwards:
    the tests that ask the backend directly need both."""
    backend = SharedBackend(config.rate_limiting)
    limiter = RateLimiter(config, backend)
    await limiter.start()
    try:
        yield backend, limiter
    finally:
        await limiter.close()
