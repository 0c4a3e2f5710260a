"""Known secrets for the store tests, and a reader of every byte a store keeps on disk."""

from __future__ import annotations

from pathlib import Path

SECRET_KEY = "KEYkeyKEYkey0123456789abcdef"
SECRET = "SECRETsecretSECRET0123456789"
PASSPHRASE = "Pass-Phrase-0123456789"


def raw_bytes(db_path: Path) -> bytes:
    """Everything SQLite keeps on disk for this store: the file, its WAL and shared memory."""
    return b"".join(
        p.read_bytes() for p in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")) if p.exists()
    )
