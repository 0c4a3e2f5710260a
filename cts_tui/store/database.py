"""Opening the SQLite file safely, and the transaction discipline two processes can share.

The TUI and the headless service may hold the same file at once. WAL lets readers run beside a
writer; every write transaction starts with ``BEGIN IMMEDIATE`` so that it waits (up to the busy
timeout) for the write lock up front, instead of failing with "database is locked" when a read
transaction tries to turn into a write one.

Nothing is written to a file before it has proved to be a sound SQLite database: a foreign or
damaged file is reported, naming its path, and left as it was.

A store this process cannot write (a read-only file, directory or mount) is opened read-only, so
that it can still be listed. A write to it, a full disk, or a write lock another process holds
past the busy timeout fail with one line that names the store: SQLite has rolled the transaction
back, so nothing was changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosqlite

from cts_tui.errors import StoreError
from cts_tui.store.schema import MIGRATIONS, Migration

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 10.0
NEARLY_FULL_BYTES = 1 << 20
"""Below this much free space an I/O error is taken for a full disk: SQLite reports ENOSPC while
sizing its shared-memory file as a plain "disk I/O error"."""

_PATHS: weakref.WeakKeyDictionary[aiosqlite.Connection, Path] = weakref.WeakKeyDictionary()
"""The store file of each connection ``connect`` made, for the messages of ``write_transaction``
(which the store's methods call with the bare connection)."""


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


def _writable(path: Path) -> bool:
    """Whether SQLite can write the store: the file, and the directory its WAL and shared-memory
    files go in. ``os.access`` also answers for root, which a read-only mount or an immutable
    file stops as well."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _nearly_full(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def _file_failure(exc: sqlite3.Error, path: Path) -> StoreError | None:
    """The one line for a failure of the file rather than of the statement, or None."""
    primary = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if primary == sqlite3.SQLITE_READONLY:
        return StoreError(f"store {path} is read-only (no write access to it or its directory); nothing was changed")
    if primary == sqlite3.SQLITE_FULL or (primary == sqlite3.SQLITE_IOERR and _nearly_full(path)):
        return StoreError(f"the disk holding store {path} is full; nothing was changed")
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreError(
            f"store {path} is locked by another process (waited {BUSY_TIMEOUT_S:g} s); nothing was changed"
        )
    return None


def _uri(path: Path, query: str) -> str:
    return f"file:{quote(str(path.absolute()))}?{query}"


async def _open(path: Path, read_only: bool) -> aiosqlite.Connection:
    """Read-only, SQLite needs the store's -wal and -shm files to exist or to be creatable, which
    a directory it cannot write forbids: then the file alone is the whole store, unless a WAL
    with changes not yet in it was left behind, and it is read as immutable."""
    if not read_only:
        return await aiosqlite.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    db = await aiosqlite.connect(_uri(path, "mode=ro"), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        await db.execute("SELECT count(*) FROM sqlite_master")
        return db
    except sqlite3.OperationalError as exc:
        await db.close()
        if (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF != sqlite3.SQLITE_CANTOPEN:
            raise
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StoreError(
            f"store {path} is read-only and {wal} holds changes that only a writable open can apply"
        )
    return await aiosqlite.connect(
        _uri(path, "mode=ro&immutable=1"), uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )


async def pragma(db: aiosqlite.Connection, name: str) -> Any:
    """The value of a PRAGMA that answers with one value (SQLite always gives it one row)."""
    cursor = await db.execute(f"PRAGMA {name}")
    row = await cursor.fetchone()
    if row is None:
        raise StoreError(f"PRAGMA {name} gave no answer")
    return row[0]


async def is_read_only(db: aiosqlite.Connection) -> bool:
    """Whether ``connect`` opened the store read-only (its writes are refused by SQLite)."""
    return await pragma(db, "query_only") == 1


@asynccontextmanager
async def peeking(path: Path) -> AsyncIterator[aiosqlite.Connection]:
    """A connection to read an existing store without opening it as a store: no checks, no
    migration, nothing written (read-write when allowed, so that SQLite tidies its side files
    away on close)."""
    db = await _open(path, read_only=not _writable(path))
    try:
        yield db
    finally:
        await db.close()


async def _check_integrity(db: aiosqlite.Connection, path: Path) -> None:
    try:
        rows = await db.execute_fetchall("PRAGMA quick_check")
    except sqlite3.OperationalError:  # the file cannot be read (locked, disk): not damage
        raise
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
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error; a read-only store, a full
    disk or a lock held past the busy timeout become a ``StoreError`` naming the store."""
    try:
        try:
            await db.execute("BEGIN IMMEDIATE")
            yield db
            await db.commit()
        except BaseException:
            # Shielded, and also when BEGIN itself was interrupted: a task cancelled while
            # its BEGIN runs in aiosqlite's thread would otherwise leave the connection inside
            # a transaction that every later write trips over.
            with contextlib.suppress(sqlite3.Error):
                await asyncio.shield(db.rollback())
            raise
    except sqlite3.OperationalError as exc:
        path = _PATHS.get(db)
        failure = _file_failure(exc, path) if path is not None else None
        if failure is None:
            raise
        raise failure from None


async def migrate(db: aiosqlite.Connection, path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema forward to ``len(migrations)`` in one transaction; returns the version.
    The version is read inside the write lock, so two processes opening a new file at once
    migrate it once."""
    async with write_transaction(db):
        version = await pragma(db, "user_version")
        _check_version(version, len(migrations), path)
        for statements in migrations[version:]:
            for statement in statements:
                await db.execute(statement)
        if version != len(migrations):
            await db.execute(f"PRAGMA user_version = {len(migrations)}")
        if await pragma(db, "application_id") != APPLICATION_ID:
            await db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    return len(migrations)


APPLICATION_ID = 0x43545354
"""``PRAGMA application_id`` of every cts-tui store ("CTST"): what makes a file ours."""
_OUR_TABLES = frozenset({"meta", "connections", "test_results", "batch_results", "audit_log"})


async def _check_ownership(db: aiosqlite.Connection, path: Path) -> None:
    """Refuse, before anything is written (the WAL switch included), a database that is neither
    new nor ours: another application's file named by a mistyped ``--db`` stays as it was. A
    store made before stores carried the application id is recognised by its tables."""
    application_id = await pragma(db, "application_id")
    if application_id == APPLICATION_ID:
        return
    tables = {
        row[0]
        for row in await db.execute_fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    }
    if application_id == 0 and (not tables or _OUR_TABLES <= tables):
        return
    raise StoreError(f"{path} is not a cts-tui store (it belongs to another application); it was left untouched")


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


def _open_failure(exc: sqlite3.Error, path: Path) -> StoreError:
    return _file_failure(exc, path) or StoreError(f"cannot open store {path} ({exc})")


async def connect(path: Path, migrations: Sequence[Migration] = MIGRATIONS) -> aiosqlite.Connection:
    """An open, checked, migrated connection in autocommit mode (transactions are explicit). A
    store this process cannot write is opened read-only (``is_read_only``), which needs its schema
    to be current already."""
    _prepare_file(path)
    read_only = not _writable(path)
    try:
        db = await _open(path, read_only)
    except sqlite3.Error as exc:
        raise _open_failure(exc, path) from None
    _PATHS[db] = path
    try:
        await _check_integrity(db, path)
        await _check_ownership(db, path)
        version = await pragma(db, "user_version")
        _check_version(version, len(migrations), path)
        await db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        if read_only:
            if version < len(migrations):
                raise StoreError(
                    f"store {path} is read-only and needs upgrading (schema version {version} to "
                    f"{len(migrations)}); open it once with write access"
                )
            await db.execute("PRAGMA query_only = ON")
        else:
            await _use_wal(db)
            # FULL: a committed key rotation must survive a power cut, or the key file and the
            # rows could disagree.
            await db.execute("PRAGMA synchronous = FULL")
            await migrate(db, path, migrations)
        await db.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        await db.close()
        raise _open_failure(exc, path) from None
    except BaseException:
        await db.close()
        raise
    return db
