"""Master key rotation, ordered so that a crash at any point leaves a store that opens.

1. The new key is written, and synced, to a file of its own: the key file's pending twin
   (``master.key.new``) or, when the current key came from the environment, a new key file.
2. One SQLite transaction re-encrypts every row and the key check.
3. The pending file replaces the key file (an atomic rename).

A crash before 2 commits leaves the old key valid (the pending file is ignored, then replaced by
the next rotation). A crash between 2 and 3 is finished by the next open, which finds that the
pending key, not the old one, opens the store (``secrets.resolve_master_key``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cts_tui import paths
from cts_tui.errors import StoreError
from cts_tui.store.secrets import (
    ENV_MASTER_KEY,
    MasterKey,
    generate_key,
    key_from_env,
    pending_key_path,
    write_key_file,
)
from cts_tui.store.store import ConnectionStore, Source


@dataclass(frozen=True)
class Rotation:
    store_path: Path
    connections: int
    new_key_path: Path
    old_key_source: str
    key_from_env: bool

    def describe(self) -> str:
        """What the user must know: where the new key is, and what to do when it came from env."""
        line = (
            f"re-encrypted {self.connections} connection(s) in {self.store_path}; "
            f"the new master key is in {self.new_key_path}"
        )
        if self.key_from_env:
            line += f"; set {ENV_MASTER_KEY} to its contents (or unset {ENV_MASTER_KEY} to use the file)"
        elif self.new_key_path != paths.master_key_path():
            line += f"; set {ENV_MASTER_KEY} to its contents to open the store"
        return line


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def rotate_master_key(
    store_path: Path | None = None,
    *,
    key_path: Path | None = None,
    key_out: Path | None = None,
    source: Source = "cli",
) -> Rotation:
    """Re-encrypt the store under a fresh key; see the module docstring for the crash story."""
    key_path = key_path or paths.master_key_path()
    env_key: MasterKey | None = key_from_env()
    in_place = env_key is None and key_out is None
    destination = pending_key_path(key_path) if in_place else (key_out or key_path)
    if not in_place and destination.exists():
        raise StoreError(f"{destination} already exists; choose where the new key goes with --key-out PATH")

    async with await ConnectionStore.open(store_path, key_path=key_path) as store:
        old_source = store.key_source
        if in_place:
            destination.unlink(missing_ok=True)  # left by a rotation that never committed
        new_key = generate_key(f"key file {destination}")
        write_key_file(destination, new_key)
        try:
            count = await store.rekey(new_key, source)
        except BaseException:
            destination.unlink(missing_ok=True)
            raise
        if in_place:
            os.replace(destination, key_path)
            _sync_directory(key_path.parent)
        return Rotation(
            store_path=store.path,
            connections=count,
            new_key_path=key_path if in_place else destination,
            old_key_source=old_source,
            key_from_env=env_key is not None,
        )
