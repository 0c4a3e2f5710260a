"""Real parts only: the simulator on loopback, the project's limiter, the hub under test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from cts_tui.config import Config
from cts_tui.exchanges.hub import ExchangeHub
from cts_tui.ratelimit import RateLimiter
from cts_tui.sim import Simulator

HANG_TIMEOUT_MS = 1000
"""The timeout of the tests that make an exchange hang (``hang_config``): short, since they wait
it out."""


def fast_config(timeout_ms: int = 5000) -> Config:
    """Limits high enough that the limiter never slows a test (the simulator still enforces the
    exchanges' own), and a short patience for the exchange's own pauses: Binance's Retry-After
    runs to the end of the minute, and a test must fail it at once rather than wait for the
    clock. The request timeout is roomy: on a loaded two-core machine a sound answer took over
    a second, and a 1 s timeout turned it into a failure."""
    config = Config()
    config.rate_limiting.acquire_timeout_s = 2
    for limits in config.exchanges.values():
        limits.per_second = 200
        limits.per_minute = 20_000
        limits.max_concurrent = 20
        limits.timeout_ms = timeout_ms
    return config


def hang_config() -> Config:
    return fast_config(HANG_TIMEOUT_MS)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
def config(request: pytest.FixtureRequest) -> Config:
    """``fast_config``; a test marked ``hangs`` gets ``hang_config``."""
    return hang_config() if request.node.get_closest_marker("hangs") else fast_config()


@pytest.fixture
async def hub(config: Config) -> AsyncIterator[ExchangeHub]:
    limiter = RateLimiter.from_config(config)
    await limiter.start()
    exchange_hub = ExchangeHub(config, limiter)
    try:
        yield exchange_hub
    finally:
        await exchange_hub.close()
        await limiter.close()


@pytest.fixture
def secrets_seen(caplog: pytest.LogCaptureFixture):
    """Captures every log record at DEBUG; call it with texts to assert no credential shows."""
    caplog.set_level(logging.DEBUG)

    def check(credentials: list[str], *texts: str) -> None:
        haystacks = [caplog.text, *texts]
        for secret in credentials:
            for text in haystacks:
                assert secret not in text

    return check
