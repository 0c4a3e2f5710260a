"""Known secrets for the store tests, a reader of every byte a store keeps on disk, and the
damage that makes a row unreadable."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

SECRET_KEY = "KEYkeyKEYkey0123456789abcdef"
SECRET = "SECRETsecretSECRET0123456789"
PASSPHRASE = "Pass-Phrase-0123456789"


def raw_bytes(db_path: Path) -> bytes:
    """Everything SQLite keeps on disk for this store: the file, its WAL and shared memory."""
    return b"".join(
        p.read_bytes() for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")) if p.exists()
    )


def damage(db_path: Path, connection_id: str) -> None:
    """What a damaged disk or a foreign master key leaves: a secrets token that does not open."""
    with closing(sqlite3.connect(db_path, timeout=30)) as plain:  # a live store may be writing
        plain.execute("UPDATE connections SET secrets = 'gAAAAAgarbage' WHERE id = ?", (connection_id,))
        plain.commit()
