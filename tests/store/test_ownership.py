"""A SQLite file is ours only if it is new or carries our application id (or, made before the
id existed, our tables): anything else is refused before a single byte changes, WAL included."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from cts_tui.errors import StoreError
from cts_tui.store import ConnectionStore
from cts_tui.store.database import APPLICATION_ID


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "schema",
    [
        "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)",
        "CREATE TABLE connections (id TEXT PRIMARY KEY, host TEXT)",  # a name we use, not our store
    ],
    ids=["unrelated-table", "own-connections-table"],
)
async def test_another_applications_database_is_left_untouched(tmp_path, schema):
    path = tmp_path / "theirs.sqlite"
    with closing(sqlite3.connect(path)) as plain:
        plain.execute(schema)
        plain.commit()
    before = _digest(path)
    with pytest.raises(StoreError) as caught:
        await ConnectionStore.open(path)
    assert str(caught.value) == f"{path} is not a cts-tui store (it belongs to another application); it was left untouched"
    assert _digest(path) == before
    assert not Path(f"{path}-wal").exists()
    with closing(sqlite3.connect(path)) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


async def test_a_new_store_carries_our_application_id_and_a_store_made_before_it_is_adopted(tmp_path):
    path = tmp_path / "cts.sqlite"
    async with await ConnectionStore.open(path):
        pass
    with closing(sqlite3.connect(path)) as plain:
        assert plain.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        plain.execute("PRAGMA application_id = 0")  # as stores were before the id
        plain.commit()
    async with await ConnectionStore.open(path):
        pass
    with closing(sqlite3.connect(path)) as plain:
        assert plain.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
