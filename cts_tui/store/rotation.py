"""Master key rotation, ordered so that a crash at any point leaves a store that opens and loses
no key.

1. The key in use is kept, and synced, as the key file's backup (``master.key.previous``, with
   the store it applies to), unless it came from the environment (the user holds it then).
2. The new key is written, and synced, to a file of its own: the key file's pending twin
   (``master.key.new``) or, when the current key came from the environment, a new key file.
3. One SQLite transaction re-encrypts every row and rebinds the store to the new key.
4. The pending file replaces the key file (an atomic rename).

A crash before 3 commits leaves the old key valid (the pending file and the backup, which holds
the key still in use, are replaced by the next rotation). A crash between 3 and 4 is finished by
the next open, which finds that the pending key, not the old one, opens the store
(``secrets.key_file_key``). The backup stays until ``confirm_rotation`` has seen every row of
the store decrypt under the key file's key. A rotation that fails (not a crash) removes the new
key and the backup only once the store, read afresh, shows it never committed: an interruption
at the very commit must not delete the key the store is now bound to.

The key file may open other stores too (see store/registry.py): rotating one of them in place
would lock the others out, so that is refused unless asked for. Rotations and confirmations of one
key file run one at a time (a lock on its directory): two at once could swap each other's pending
key into place.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from cts_tui import paths
from cts_tui.errors import StoreError
from cts_tui.store.binding import peek_binding
from cts_tui.store.registry import stores_opened_by
from cts_tui.store.secrets import (
    ENV_MASTER_KEY,
    MasterKey,
    generate_key,
    keep_previous_key,
    key_file_key,
    key_from_env,
    pending_key_path,
    previous_key_path,
    read_key_file,
    read_previous_key,
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
    new_key_id: str
    previous_key_path: Path | None
    """Where the replaced key is kept until ``keys confirm`` (None: it came from the environment)."""
    left_on_previous_key: tuple[Path, ...]
    """Other stores the replaced key opens, rotated anyway (``--allow-shared-key``)."""

    def describe(self) -> str:
        """What the user must know: where the new key is, what to do when it came from env, and
        how to let go of the old one."""
        line = (
            f"re-encrypted {self.connections} connection(s) in {self.store_path}; "
            f"the new master key (key {self.new_key_id}) is in {self.new_key_path}"
        )
        if self.key_from_env:
            line += f"; set {ENV_MASTER_KEY} to its contents (or unset {ENV_MASTER_KEY} to use the file)"
        elif self.new_key_path != paths.master_key_path():
            line += f"; set {ENV_MASTER_KEY} to its contents to open the store"
        if self.previous_key_path is not None:
            line += (
                f"; the previous key is kept in {self.previous_key_path} until `cts-tui keys confirm`, "
                "which checks that the store opens with the new key and then deletes it"
            )
        if self.left_on_previous_key:
            line += f"; still on the previous key: {', '.join(map(str, self.left_on_previous_key))}"
        return line


@dataclass(frozen=True)
class Confirmation:
    previous_key_path: Path
    checked: tuple[tuple[Path, int], ...]
    """Each store the rotation applied to, with how many connections decrypted under the new key."""
    key_id: str
    completed: bool
    """False: the rotation never committed, and the backup held the key still in use."""

    def describe(self) -> str:
        stores = ", ".join(f"{path} ({count} connection(s))" for path, count in self.checked)
        if not self.completed:
            return (
                f"the last rotation did not complete: {stores} still open with key {self.key_id}, "
                f"the one in the key file; removed its copy in {self.previous_key_path}"
            )
        return f"key {self.key_id} opens {stores}; removed the previous key from {self.previous_key_path}"


@contextmanager
def _one_at_a_time(key_path: Path) -> Iterator[None]:
    key_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_path.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"another `cts-tui keys rotate` or `keys confirm` is working on key file {key_path}; "
                "try again when it is done"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


async def _keep_previous(key_path: Path, store_path: Path, allow_shared_key: bool) -> tuple[Path, ...]:
    """Step 1 of an in-place rotation; returns the other stores left on the previous key."""
    current = read_key_file(key_path)  # the store just opened under it (or its pending twin, now in place)
    previous = read_previous_key(key_path)
    if previous is not None and previous.key.key != current.key:
        raise StoreError(
            f"the previous rotation of key file {key_path} awaits `cts-tui keys confirm` (its old key "
            f"is in {previous_key_path(key_path)}); confirm it first"
        )
    shared = await stores_opened_by(current, key_path, besides=[store_path])
    if shared and not allow_shared_key:
        more = f" (and {len(shared) - 1} more)" if len(shared) > 1 else ""
        raise StoreError(
            f"key file {key_path} also opens store {shared[0]}{more}: rotating it would lock that "
            "store out; pass --allow-shared-key to rotate anyway (the others keep the previous key, "
            f"saved in {previous_key_path(key_path)})"
        )
    keep_previous_key(key_path, current, [store_path.resolve()])
    return tuple(shared)


async def rotate_master_key(
    store_path: Path | None = None,
    *,
    key_path: Path | None = None,
    key_out: Path | None = None,
    allow_shared_key: bool = False,
    source: Source = "cli",
) -> Rotation:
    """Re-encrypt the store under a fresh key; see the module docstring for the crash story."""
    key_path = key_path or paths.master_key_path()
    env_key: MasterKey | None = key_from_env()
    in_place = env_key is None and key_out is None
    destination = pending_key_path(key_path) if in_place else (key_out or key_path)
    if not in_place and destination.exists():
        raise StoreError(f"{destination} already exists; choose where the new key goes with --key-out PATH")

    new_key = generate_key(f"key file {destination}")
    key_on_disk = False
    with _one_at_a_time(key_path) if in_place else nullcontext():
        try:
            async with await ConnectionStore.open(store_path, key_path=key_path) as store:
                rotated, old_source = store.path, store.key_source
                left_behind: tuple[Path, ...] = ()
                if in_place:
                    left_behind = await _keep_previous(key_path, store.path, allow_shared_key)
                    destination.unlink(missing_ok=True)  # left by a rotation that never committed
                write_key_file(destination, new_key)
                key_on_disk = True
                count = await store.rekey(new_key, source)
            if in_place:
                os.replace(destination, key_path)
                paths.sync_directory(key_path.parent)
        except BaseException:
            # The store is closed by now, so a commit that was under way has landed or never will.
            if key_on_disk and not await _bound_to(rotated, new_key):
                destination.unlink(missing_ok=True)
                if in_place:
                    previous_key_path(key_path).unlink(missing_ok=True)  # it holds the key in use
            raise
    return Rotation(
        store_path=rotated,
        connections=count,
        new_key_path=key_path if in_place else destination,
        old_key_source=old_source,
        key_from_env=env_key is not None,
        new_key_id=new_key.id,
        previous_key_path=previous_key_path(key_path) if in_place else None,
        left_on_previous_key=left_behind,
    )


async def _bound_to(store_path: Path, key: MasterKey) -> bool:
    """Whether the store is bound to ``key``; True when that cannot be read (keep the key)."""
    try:
        binding = await peek_binding(store_path)
    except (sqlite3.Error, StoreError, OSError):
        return True
    return binding is not None and binding.opened_by(key)


async def _check_store(store_path: Path, key_path: Path) -> int:
    """How many connections of the store decrypt under the key file's key (all, or it raises)."""
    if not store_path.exists():
        raise StoreError(
            f"store {store_path}, which the rotation applied to, is not there; the previous key was "
            f"kept in {previous_key_path(key_path)} (remove it by hand if that store is gone for good)"
        )
    binding = await peek_binding(store_path)
    key = key_file_key(binding, key_path)
    if key is None:
        raise StoreError(
            f"key file {key_path} does not open store {store_path}"
            + (f", which is bound to {binding.describe()}" if binding is not None else "")
            + f"; the previous key was kept in {previous_key_path(key_path)}"
        )
    async with await ConnectionStore.open(store_path, key, key_path=key_path) as store:
        return len(await store.list())


async def confirm_rotation(key_path: Path | None = None) -> Confirmation | None:
    """Check that every store the last rotation applied to opens under the key file (finishing a
    rotation interrupted after its commit) and every row decrypts, then delete the previous key;
    refused while the previous key still opens another store the key file has opened. None:
    there was no previous key to confirm."""
    key_path = key_path or paths.master_key_path()
    backup = previous_key_path(key_path)
    with _one_at_a_time(key_path):
        previous = read_previous_key(key_path)
        if previous is None:
            return None
        checked = tuple([(store_path, await _check_store(store_path, key_path)) for store_path in previous.stores])
        current = read_key_file(key_path)
        completed = current.key != previous.key.key
        if completed:
            stranded = await stores_opened_by(previous.key, key_path, besides=previous.stores)
            if stranded:
                raise StoreError(
                    f"the previous key in {backup} still opens store {stranded[0]}: save it for that "
                    f"store (e.g. as its {ENV_MASTER_KEY}) before removing {backup} by hand"
                )
        backup.unlink()
        paths.sync_directory(backup.parent)
        return Confirmation(backup, checked, current.id, completed)
