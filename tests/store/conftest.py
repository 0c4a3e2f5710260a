"""Fixtures for the store tests: real SQLite files in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from cts_tui import paths
from cts_tui.models import Connection
from cts_tui.store import ConnectionStore

from .helpers import SECRET, SECRET_KEY


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "cts.db"


@pytest.fixture
def key_path() -> Path:
    return paths.master_key_path()


@pytest.fixture
def make_connection() -> Callable[..., Connection]:
    counter = iter(range(1_000_000))

    def make(**overrides: Any) -> Connection:
        n = next(counter)
        fields: dict[str, Any] = {
            "name": f"conn-{n}",
            "exchange": "bybit",
            "api_type": "unified",
            "api_key": f"{SECRET_KEY}{n}",
            "api_secret": f"{SECRET}{n}",
        }
        fields.update(overrides)
        return Connection(**fields)

    return make


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[ConnectionStore]:
    async with await ConnectionStore.open(db_path, results_kept=3) as opened:
        yield opened

