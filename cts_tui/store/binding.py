"""Where a store records the master key that opens it: two rows of its ``meta`` table, the key
check and the key's id (see ``secrets.KeyBinding``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiosqlite

from cts_tui.store.database import peeking
from cts_tui.store.secrets import KeyBinding, SecretCipher

KEY_CHECK = "key_check"
KEY_ID = "key_id"


async def _meta(db: aiosqlite.Connection, name: str) -> str | None:
    row = await (await db.execute("SELECT value FROM meta WHERE key = ?", (name,))).fetchone()
    return row[0] if row else None


async def read_binding(db: aiosqlite.Connection) -> KeyBinding | None:
    check = await _meta(db, KEY_CHECK)
    return KeyBinding(check, await _meta(db, KEY_ID)) if check is not None else None


async def peek_binding(path: Path) -> KeyBinding | None:
    """The binding of a store this process has not opened (another store of the same key file);
    None for a store with no binding or no schema yet."""
    async with peeking(path) as db:
        try:
            return await read_binding(db)
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise


async def bind(db: aiosqlite.Connection, cipher: SecretCipher) -> KeyBinding:
    """Inside a write transaction: bind a store that has no binding to this key, and give a store
    bound to it before ids were kept its id. Returns the binding, which is another key's when
    another process bound the store first."""
    await db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (KEY_CHECK, cipher.key_check()))
    binding = await read_binding(db)
    assert binding is not None
    if binding.key_id is None and binding.opened_by(cipher.master):
        await db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (KEY_ID, cipher.master.id))
        binding = KeyBinding(binding.check, cipher.master.id)
    return binding


async def rebind(db: aiosqlite.Connection, cipher: SecretCipher) -> str:
    """Inside the transaction that re-encrypts every row: bind the store to the new key. Returns
    the new key check."""
    check = cipher.key_check()
    await db.executemany(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
        ((KEY_CHECK, check), (KEY_ID, cipher.master.id)),
    )
    return check
