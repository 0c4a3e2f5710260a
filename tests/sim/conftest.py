"""Fixtures of the simulator's own tests: a started simulator and ccxt clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from cts_tui.sim import Simulator


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with Simulator() as sim:
        yield sim
