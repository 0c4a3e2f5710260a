"""Opening a store: file modes, foreign and damaged files, schema versions and migrations."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest

from cts_tui.errors import StoreError
from cts_tui.store import ConnectionStore
from cts_tui.store.database import connect, migrate
from cts_tui.store.schema import MIGRATIONS, SCHEMA_VERSION


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_new_store_and_key_file_are_private(db_path, key_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        await store.add(make_connection())
        # while open in WAL mode the side files exist and must be as private as the file
        for side in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
            assert mode(side) == 0o600, side
    assert mode(key_path) == 0o600
    assert mode(db_path.parent) == 0o700
    assert mode(key_path.parent) == 0o700


async def test_store_uses_wal_and_a_busy_timeout(store, db_path):
    with closing(sqlite3.connect(db_path)) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    busy = await store._db.execute_fetchall("PRAGMA busy_timeout")
    assert busy[0][0] >= 1000


@pytest.mark.parametrize(
    "content",
    [b"name,exchange\nmain,bybit\n", b"\x00" * 4096, b"SQLite format 2\x00" + b"\x00" * 200],
    ids=["csv", "zeros", "near-miss-header"],
)
async def test_foreign_file_is_refused_by_path_and_left_untouched(db_path, key_path, content):
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    with pytest.raises(StoreError) as caught:
        await ConnectionStore.open(db_path)
    assert str(db_path) in str(caught.value)
    assert "not an SQLite database" in str(caught.value)
    assert "\n" not in str(caught.value)
    assert db_path.read_bytes() == content
    assert not Path(f"{db_path}-wal").exists()
    assert not key_path.exists()


async def test_damaged_store_is_refused_by_path_and_left_untouched(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        for _ in range(40):
            await store.add(make_connection(tags=["padding-" + "x" * 20] * 10))
    data = bytearray(db_path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for start in range(page, len(data), page):  # scribble over every page but the header page
        data[start + 8 : start + 120] = b"A" * 112
    db_path.write_bytes(bytes(data))
    before = digest(db_path)

    with pytest.raises(StoreError) as caught:
        await ConnectionStore.open(db_path)
    message = str(caught.value)
    assert str(db_path) in message and "left untouched" in message and "\n" not in message
    assert digest(db_path) == before


async def test_directory_in_place_of_the_file_is_refused(tmp_path):
    with pytest.raises(StoreError, match="is a directory"):
        await ConnectionStore.open(tmp_path)


async def test_empty_file_becomes_a_store(db_path, make_connection):
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    async with await ConnectionStore.open(db_path) as store:
        added = await store.add(make_connection())
        assert await store.get(added.id) == added


async def test_migrates_from_version_zero_to_current(db_path):
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()  # a version-0 SQLite file
    async with await ConnectionStore.open(db_path):
        pass
    with closing(sqlite3.connect(db_path)) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in plain.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "connections", "test_results", "batch_results", "audit_log"} <= tables


async def test_migrations_run_forward_from_the_stored_version_only(db_path):
    """A later release appends a migration: a store at the previous version gets just that one."""
    db_path.parent.mkdir(parents=True)
    async with await ConnectionStore.open(db_path):
        pass
    later = (*MIGRATIONS, ("ALTER TABLE connections ADD COLUMN note TEXT",))
    db = await connect(db_path, later)
    try:
        columns = {r[1] for r in await db.execute_fetchall("PRAGMA table_info(connections)")}
        assert "note" in columns
        assert (await db.execute_fetchall("PRAGMA user_version"))[0][0] == SCHEMA_VERSION + 1
        assert await migrate(db, db_path, later) == SCHEMA_VERSION + 1  # idempotent
    finally:
        await db.close()


async def test_failed_migration_leaves_the_version_and_schema_unchanged(db_path):
    db_path.parent.mkdir(parents=True)
    broken = (*MIGRATIONS, ("CREATE TABLE extra (a)", "THIS IS NOT SQL"))
    with pytest.raises(StoreError, match=str(db_path)):
        await connect(db_path, broken)
    with closing(sqlite3.connect(db_path)) as plain:
        assert plain.execute("PRAGMA user_version").fetchone()[0] == 0
        assert plain.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


async def test_newer_schema_is_refused_and_left_untouched(db_path):
    db_path.parent.mkdir(parents=True)
    with closing(sqlite3.connect(db_path)) as plain:
        plain.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
        plain.commit()
    before = digest(db_path)
    with pytest.raises(StoreError, match="newer than this cts-tui"):
        await ConnectionStore.open(db_path)
    assert digest(db_path) == before


async def test_stores_opening_a_new_file_at_once_all_succeed_and_migrate_it_once(tmp_path):
    """The TUI and `serve` started together on a fresh file. The race is narrow, so it is run
    on many fresh files."""
    for round_ in range(25):
        path = tmp_path / f"fresh-{round_}.db"
        stores = await asyncio.gather(*(ConnectionStore.open(path) for _ in range(4)), return_exceptions=True)
        failures = [s for s in stores if isinstance(s, BaseException)]
        for store in stores:
            if isinstance(store, ConnectionStore):
                await store.close()
        assert failures == []
        with closing(sqlite3.connect(path)) as plain:
            assert plain.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
            assert plain.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
