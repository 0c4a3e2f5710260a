"""A real simulator (HTTP and WebSocket on loopback) and monitors pointed at it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.config import Streams
from cts_tui.sim import ExchangeScenario, Scenario, Simulator
from cts_tui.streams import StreamMonitor

PUSH_INTERVAL_S = 0.05
ALL = tuple(member.value for member in ExchangeId)


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    scenario = Scenario(exchanges={name: ExchangeScenario(markets=30) for name in ALL})
    async with Simulator(scenario) as simulator:
        simulator.streams.set_interval(PUSH_INTERVAL_S)
        yield simulator


def stream_settings(*exchanges: str, **policy: object) -> Streams:
    """Streams settings with only `exchanges` enabled and fast reconnects."""
    fields: dict[str, object] = {"enabled": True, "reconnect_min_s": 0.05, "reconnect_max_s": 0.2, **policy}
    for name in ALL:
        fields[name] = {"enabled": name in exchanges, "symbols": ["BTC/USDT", "ETH/USDT"]}
    return Streams.model_validate(fields)


def monitor(sim: Simulator, *exchanges: str, **policy: object) -> StreamMonitor:
    return StreamMonitor(stream_settings(*exchanges, **policy),
                         targets={name: sim.hosts(name) for name in exchanges})


async def eventually(predicate: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition") -> None:
    """Waits until `predicate()` holds; fails naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
