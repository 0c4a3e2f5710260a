"""What the failover benchmarks watch while they fault an exchange: when the coordinator first
calls it unhealthy, measured from the moment the fault was set."""

from __future__ import annotations

import asyncio
import time

from cts_tui.core.coordinator import ConnectionCoordinator


async def mark_detection(coordinator: ConnectionCoordinator, exchange: str, marks: dict[str, float]) -> None:
    """Sets ``marks["detected"]`` once ``marks["fault"]`` is set and ``exchange`` reads unhealthy."""
    while "fault" not in marks or coordinator.exchange_health(exchange).healthy:
        await asyncio.sleep(0.002)
    marks["detected"] = time.perf_counter()
