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


def fast_config() -> Config:
    """Limits high enough that the limiter never slows a test (the simulator still enforces the
    exchanges' own), a short timeout so that a hung exchange costs little, and a short patience
    for the exchange's own pauses: Binance's Retry-After runs to the end of the minute, and a
    test must fail it at once rather than wait for the clock."""
    config = Config()
    config.rate_limiting.acquire_timeout_s = 2
    for limits in config.exchanges.values():
        limits.per_second = 200
        limits.per_minute = 20_000
        limits.max_concurrent = 20
        limits.timeout_ms = HANG_TIMEOUT_MS
    return config


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
def config() -> Config:
    return fast_config()


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
