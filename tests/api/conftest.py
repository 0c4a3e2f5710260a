"""Fixtures of the REST API tests (the world they run in is in ``world.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .world import World, running_world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with running_world() as running:
        yield running
