"""A store that is read-only, on a full disk or locked: one line on stderr, exit 2, nothing lost.

Root ignores file modes, and these tests may run as root: a read-only store is made with what
stops root too (a read-only mount, an immutable file or directory), and a full disk with a tiny
tmpfs. Where the machine does not allow that, the test is skipped and says why.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from cts_tui import paths
from cts_tui.errors import StoreError
from cts_tui.models import Connection
from cts_tui.store import ConnectionStore, database
from cts_tui.store.schema import MIGRATIONS

from .helpers import add, names, one_line_error


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.fixture
def mount(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """``mount("ro", size="256k")`` -> a fresh tmpfs directory; ``remount(dir, "ro")`` flips it."""
    mounted: list[Path] = []

    def make(name: str, size: str = "1m") -> Path:
        target = tmp_path / name
        target.mkdir()
        done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(target))
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or done.returncode})")
        mounted.append(target)
        return target

    yield make
    for target in reversed(mounted):
        _run("umount", "-l", str(target))


def remount(target: Path, mode: str) -> None:
    done = _run("mount", "-o", f"remount,{mode}", str(target))
    assert done.returncode == 0, done.stderr


@pytest.fixture
def immutable() -> Iterator[Callable[[Path], None]]:
    """``immutable(path)``: chattr +i, which stops root from writing it (undone afterwards)."""
    made: list[Path] = []

    def make(path: Path) -> None:
        done = _run("chattr", "+i", str(path)) if shutil.which("chattr") else None
        if done is None or done.returncode != 0:
            pytest.skip(f"cannot make {path} immutable here ({done.stderr.strip() if done else 'no chattr'})")
        made.append(path)

    yield make
    for path in reversed(made):
        _run("chattr", "-i", str(path))


# --- a store that cannot be written ------------------------------------------------------------


def _writes(db: Path) -> list[list[str]]:
    return [
        ["--db", str(db), "conn", "rm", "main"],
        ["--db", str(db), "conn", "disable", "main"],
        ["--db", str(db), "conn", "add", "--name", "more", "--exchange", "bybit", "--api-type", "spot"],
        ["--db", str(db), "keys", "rotate"],
    ]


def test_read_only_mount_is_listed_and_every_write_is_one_line(cli, api_env, mount):
    where = mount("ro")
    db = where / "store.db"
    assert add(cli, "main", db=db).code == 0
    before = db.read_bytes()
    key_files = {p.name: p.read_bytes() for p in paths.master_key_path().parent.iterdir()}
    remount(where, "ro")

    assert names(cli, db) == ["main"]
    for argv in _writes(db):
        line = one_line_error(cli(*argv))
        assert line == f"cts-tui: store {db} is read-only (no write access to it or its directory); nothing was changed"
    # the rotation that could not happen left no key behind
    assert {p.name: p.read_bytes() for p in paths.master_key_path().parent.iterdir()} == key_files
    remount(where, "rw")
    assert db.read_bytes() == before and sorted(p.name for p in where.iterdir()) == ["store.db"]
    assert names(cli, db) == ["main"]


def test_read_only_file_in_a_writable_directory(cli, api_env, tmp_path, immutable):
    db = tmp_path / "store.db"
    assert add(cli, "main", db=db).code == 0
    immutable(db)
    assert names(cli, db) == ["main"]
    for argv in _writes(db):
        assert "is read-only" in one_line_error(cli(*argv))


def test_read_only_directory_with_a_writable_file(cli, api_env, tmp_path, immutable):
    folder = tmp_path / "folder"
    db = folder / "store.db"
    assert add(cli, "main", db=db).code == 0
    immutable(folder)
    assert names(cli, db) == ["main"]
    assert "is read-only" in one_line_error(cli("--db", str(db), "conn", "rm", "main"))
    assert sorted(p.name for p in folder.iterdir()) == ["store.db"]


def test_read_only_store_that_needs_upgrading_says_so(cli, tmp_path, immutable):
    db = tmp_path / "old.db"
    with closing(sqlite3.connect(db)) as old:  # a store written by a cts-tui one schema behind
        for statement in MIGRATIONS[0]:
            old.execute(statement)
        old.execute("PRAGMA user_version = 1")
        old.commit()
    immutable(db)
    line = one_line_error(cli("--db", str(db), "conn", "list"))
    assert line == (
        f"cts-tui: store {db} is read-only and needs upgrading (schema version 1 to {len(MIGRATIONS)}); "
        "open it once with write access"
    )


# --- a full disk, a lock held too long ---------------------------------------------------------


def fill(where: Path) -> Path:
    filler = where / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def connection(name: str) -> Connection:
    return Connection(
        name=name, exchange="bybit", api_type="unified", api_key="KeyKeyKey0123456789",
        api_secret="SecretSecret0123456789",
    )


def test_full_disk_is_one_line_and_loses_nothing(cli, api_env, mount):
    where = mount("full", size="512k")
    db = where / "store.db"
    assert add(cli, "main", db=db).code == 0
    filler = fill(where)
    line = one_line_error(add(cli, "more", db=db))
    assert line == f"cts-tui: the disk holding store {db} is full; nothing was changed"
    filler.unlink()
    assert names(cli, db) == ["main"]


async def test_disk_filling_up_under_an_open_store(mount):
    where = mount("fills", size="512k")
    async with await ConnectionStore.open(where / "store.db") as store:
        await store.add(connection("main"))
        filler = fill(where)
        with pytest.raises(StoreError, match=f"^the disk holding store {where / 'store.db'} is full; nothing"):
            for n in range(200):  # what SQLite has already allocated takes a few rows
                await store.add(connection(f"more-{n}"))
        filler.unlink()
        stored = [c.name for c in await store.list()]
    assert stored[0] == "main" and len(stored) < 200


def test_lock_held_past_the_busy_timeout_is_one_line(cli, api_env, tmp_path, monkeypatch):
    db = tmp_path / "store.db"
    assert add(cli, "main", db=db).code == 0
    monkeypatch.setattr(database, "BUSY_TIMEOUT_S", 0.2)
    with closing(sqlite3.connect(db, isolation_level=None)) as holder:
        holder.execute("BEGIN EXCLUSIVE")
        line = one_line_error(cli("--db", str(db), "conn", "rm", "main"))
        holder.execute("ROLLBACK")
    assert line == f"cts-tui: store {db} is locked by another process (waited 0.2 s); nothing was changed"
    assert names(cli, db) == ["main"]
