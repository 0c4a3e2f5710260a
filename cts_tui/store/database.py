"""Opening the SQLite file safely, and the transaction discipline two processes can share.

The TUI and the headless service may hold the same file at once. WAL lets readers run beside a
writer; every write transaction starts with ``BEGIN IMMEDIATE`` so that it waits (up to the busy
timeout) for the write lock up front, instead of failing with "database is locked" when a read
transaction tries to turn into a write one.

Nothing is written to a file before it has proved to be a sound SQLite database: a foreign or
damaged file is reported, naming its path, and left as it was.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from cts_tui.errors import StoreError
from cts_tui.store.schema import MIGRATIONS, Migration

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 10.0


def _prepare_file(path: Path) -> None:
    """Create a new store file with mode 0600 from the start, or check that an existing one at
    least claims to be SQLite (its first 16 bytes)."""
    if path.is_dir():
        raise StoreError(f"store {path} is a directory, not a database file")
    try:
        with open(path, "rb") as handle:
            header = handle.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:  # another process created it a moment ago
            pass
        return
    except OSError as exc:
        raise StoreError(f"cannot read store {path} ({exc.strerror or exc.__class__.__name__})") from None
    if header and header != SQLITE_MAGIC:
        raise StoreError(f"{path} is not a cts-tui store (not an SQLite database); it was left untouched")


async def _check_integrity(db: aiosqlite.Connection, path: Path) -> None:
    try:
        rows = await db.execute_fetchall("PRAGMA quick_check")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"store {path} is damaged ({exc}); it was left untouched") from None
    problems = [
        line
        for row in rows
        if row[0] != "ok"
        for line in str(row[0]).splitlines()
        if line.strip() and not line.startswith("***")
    ]
    if problems:
        raise StoreError(
            f"store {path} failed its integrity check ({problems[0][:120]}); it was left untouched"
        )


def _check_version(version: int, known: int, path: Path) -> None:
    if version > known:
        raise StoreError(
            f"store {path} has schema version {version}, newer than this cts-tui knows ({known}); "
            "upgrade cts-tui"
        )


@asynccontextmanager
async def write_transaction(db: aiosqlite.Connection) -> AsyncIterator[aiosqlite.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    await db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        await db.rollback()
        raise
    await db.commit()


async def migrate(db: aiosqlite.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema forward to ``len(migrations)`` in one transaction; returns the version.
    The version is read inside the write lock, so two processes opening a new file at once
    migrate it once."""
    async with write_transaction(db):
        version = (await (await db.execute("PRAGMA user_version")).fetchone())[0]
        _check_version(version, len(migrations), path)
        for statements in migrations[version:]:
            for statement in statements:
                await db.execute(statement)
        if version != len(migrations):
            await db.execute(f"PRAGMA user_version = {len(migrations)}")
    return len(migrations)


async def _use_wal(db: aiosqlite.Connection) -> None:
    """Switch a new file to WAL. The switch needs the file to itself and SQLite reports "locked"
    at once, without its busy handler, while another connection is opening the same new file:
    so retry, within the busy timeout. Once in WAL (persistent), this is a no-op."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.01)


async def connect(path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> aiosqlite.Connection:
    """An open, checked, migrated connection in autocommit mode (transactions are explicit)."""
    _prepare_file(path)
    db = await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        await _check_integrity(db, path)
        _check_version((await db.execute_fetchall("PRAGMA user_version"))[0][0], len(migrations), path)
        await db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        await _use_wal(db)
        # FULL: a committed key rotation must survive a power cut, or the key file and the rows
        # could disagree.
        await db.execute("PRAGMA synchronous = FULL")
        await db.execute("PRAGMA foreign_keys = ON")
        await migrate(db, path, migrations)
    except sqlite3.Error as exc:
        await db.close()
        raise StoreError(f"cannot open store {path} ({exc})") from None
    except BaseException:
        await db.close()
        raise
    return db
