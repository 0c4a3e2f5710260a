"""Helpers shared by the coordinator tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from cts_tui.config import Config
from cts_tui.core.events import Event

ROOMY_EXCHANGES = ("binance", "htx", "kraken")
"""Exchanges whose own budgets in the tests are roomy (the others keep the shipped limits,
which match their simulators). The simulator still enforces each exchange's real limits: for
Kraken its call counter (15, draining 0.33 a second) holds the few calls a test makes, while the
shipped 1 a second made every Kraken connection added by a test wait a second (half the time of
tests/core/test_batches_and_config.py)."""


def fast_config() -> Config:
    """Roomy limits and short timers, so tests exercise behaviour, not waiting."""
    config = Config()
    for exchange in ROOMY_EXCHANGES:
        limits = config.limits(exchange)
        limits.per_second, limits.per_minute, limits.max_concurrent = 200, 10_000, 20
    for limits in config.exchanges.values():
        limits.timeout_ms = 2000  # roomy: a loaded 2-core CI box must not turn a slow answer into a failure
    health = config.health
    health.interval_s, health.timeout_s, health.cooldown_s, health.cooldown_max_s = 3600, 2.0, 0.2, 0.8
    config.load_balancing.retry_backoff_ms = 0
    config.batch.task_timeout_s = 3
    return config


class EventLog:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``predicate()`` holds (the condition under test, not a timing assertion): the
    deadline only marks a condition that never comes, so it is roomy for a loaded machine and
    costs nothing when the condition holds early."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)
