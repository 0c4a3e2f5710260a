"""Two processes writing one store file at once, the way the TUI and `cts-tui serve` do.

Prints, side by side in one run:
- read-then-write transactions from two processes with SQLite's default deferred BEGIN versus
  the store's BEGIN IMMEDIATE (same file settings: WAL, 10 s busy timeout): how many fail with
  "database is locked";
- the real ConnectionStore under the same two-process load: operations per second, failures;
- listing (decrypting) 200 connections.

Run: python benchmarks/store_concurrency.py   (about 20 s on 2 cores)
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

ROUNDS = 300


def _raw_writer(path: str, begin: str, start: multiprocessing.Event, out: multiprocessing.Queue) -> None:
    db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    start.wait()
    locked = 0
    for _ in range(ROUNDS):
        try:
            db.execute(begin)
            (value,) = db.execute("SELECT value FROM counter").fetchone()
            db.execute("UPDATE counter SET value = ?", (value + 1,))
            db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            locked += "locked" in str(exc)
    db.close()
    out.put(locked)


def raw_run(begin: str) -> tuple[int, int, float]:
    """(transactions that failed as locked, final counter, seconds) for two processes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "raw.db")
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("CREATE TABLE counter (value INTEGER)")
            db.execute("INSERT INTO counter VALUES (0)")
        start, out = multiprocessing.Event(), multiprocessing.Queue()
        workers = [multiprocessing.Process(target=_raw_writer, args=(path, begin, start, out)) for _ in range(2)]
        for w in workers:
            w.start()
        began = time.perf_counter()
        start.set()
        locked = sum(out.get(timeout=120) for _ in workers)
        for w in workers:
            w.join(timeout=120)
        elapsed = time.perf_counter() - began
        db = sqlite3.connect(path)
        (final,) = db.execute("SELECT value FROM counter").fetchone()
        db.close()
        return locked, final, elapsed


def _store_writer(path: str, key: bytes, prefix: str, start: multiprocessing.Event, out: multiprocessing.Queue) -> None:
    from cts_tui.models import Connection, ConnectionPatch
    from cts_tui.store import ConnectionStore

    async def work() -> int:
        failures = 0
        async with await ConnectionStore.open(path, key) as store:
            start.wait()
            for n in range(ROUNDS // 3):
                try:
                    c = await store.add(Connection(
                        name=f"{prefix}-{n}", exchange="binance", api_type="spot",
                        api_key=f"benchkey{prefix}{n:06d}", api_secret=f"benchsecret{prefix}{n:06d}"))
                    await store.update(c.id, ConnectionPatch(weight=n % 100), source="api")
                    await store.list(exchange="binance", active=True)
                except Exception as exc:  # counted, reported
                    failures += 1
                    print(f"{prefix}: {exc}", file=sys.stderr)
        return failures

    out.put(asyncio.run(work()))


def store_run() -> tuple[int, int, float]:
    from cts_tui.store import ConnectionStore

    key = Fernet.generate_key()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "store.db")
        asyncio.run(_touch(ConnectionStore, path, key))
        start, out = multiprocessing.Event(), multiprocessing.Queue()
        workers = [
            multiprocessing.Process(target=_store_writer, args=(path, key, p, start, out)) for p in ("tui", "serve")
        ]
        for w in workers:
            w.start()
        time.sleep(1.0)  # both open before the start signal
        began = time.perf_counter()
        start.set()
        failures = sum(out.get(timeout=120) for _ in workers)
        elapsed = time.perf_counter() - began
        for w in workers:
            w.join(timeout=120)
        ops = 2 * (ROUNDS // 3) * 3
        return failures, ops, elapsed


async def _touch(store_cls, path: str, key: bytes) -> None:
    async with await store_cls.open(path, key):
        pass


async def list_timing() -> float:
    from cts_tui.models import Connection
    from cts_tui.store import ConnectionStore

    with tempfile.TemporaryDirectory() as tmp:
        async with await ConnectionStore.open(Path(tmp) / "l.db", Fernet.generate_key()) as store:
            for n in range(200):
                await store.add(Connection(name=f"c{n}", exchange="bybit", api_type="unified",
                                           api_key=f"listkey{n:08d}", api_secret=f"listsecret{n:08d}"))
            began = time.perf_counter()
            for _ in range(10):
                assert len(await store.list()) == 200
            return (time.perf_counter() - began) / 10


def main() -> None:
    deferred = raw_run("BEGIN")
    immediate = raw_run("BEGIN IMMEDIATE")
    print(f"two processes x {ROUNDS} read-then-write transactions, WAL, busy timeout 10 s:")
    print(f"  {'BEGIN (deferred, SQLite default)':34} locked: {deferred[0]:4}   counter {deferred[1]:4} / {2 * ROUNDS}   {deferred[2]:.2f} s")
    print(f"  {'BEGIN IMMEDIATE (the store)':34} locked: {immediate[0]:4}   counter {immediate[1]:4} / {2 * ROUNDS}   {immediate[2]:.2f} s")
    failures, ops, elapsed = store_run()
    print(f"ConnectionStore, two processes (add + update + list): {ops} operations, {failures} failed, "
          f"{ops / elapsed:,.0f} ops/s")
    print(f"list() of 200 connections, decrypting every key: {asyncio.run(list_timing()) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
