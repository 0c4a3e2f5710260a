"""The stores a key file has opened, remembered beside it (``<key file>.stores``).

One key file can open several stores (every ``--db`` of a user shares it by default). Rotating
the key of one of them replaces the key file's content and would lock the others out:
``keys rotate`` reads this list to see that coming. The list only grows; a store whose file is
gone, or that another key opens now, is simply not counted.

One JSON string per line, appended: a crash in the middle of an append leaves at worst a torn last
line, which is skipped, and two processes adding the same store at once leave a duplicate, which
is harmless; so no lock is needed.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Collection
from pathlib import Path

from cts_tui.errors import StoreError
from cts_tui.store.binding import peek_binding
from cts_tui.store.secrets import MasterKey

log = logging.getLogger(__name__)


def registry_path(key_path: Path) -> Path:
    return key_path.with_name(key_path.name + ".stores")


def known_stores(key_path: Path) -> list[Path]:
    target = registry_path(key_path)
    try:
        lines = target.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StoreError(f"cannot read {target} ({exc.strerror or exc.__class__.__name__})") from None
    stores: list[Path] = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:  # torn by a crash mid-append
            continue
        if isinstance(entry, str):
            stores.append(Path(entry))
    return list(dict.fromkeys(stores))


def remember_store(key_path: Path, store_path: Path) -> None:
    """Add the store to its key file's list. Opening the store does not depend on it: a list that
    cannot be written is reported and the store opens all the same."""
    store_path = store_path.resolve()
    try:
        if store_path in known_stores(key_path):
            return
        fd = os.open(registry_path(key_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(str(store_path)) + "\n").encode())
        finally:
            os.close(fd)
    except (OSError, StoreError) as exc:
        log.warning("cannot note store %s in %s (%s)", store_path, registry_path(key_path), exc)


async def stores_opened_by(key: MasterKey, key_path: Path, *, besides: Collection[Path]) -> list[Path]:
    """The stores on the key file's list, other than ``besides``, that ``key`` opens. A store that
    cannot be read is counted: it may be bound to the key, and the caller is about to make the key
    unreachable."""
    excluded = {path.resolve() for path in besides}
    found = []
    for store in known_stores(key_path):
        if store in excluded or not store.exists():
            continue
        try:
            binding = await peek_binding(store)
        except (sqlite3.Error, StoreError, OSError):
            found.append(store)
            continue
        if binding is not None and binding.opened_by(key):
            found.append(store)
    return found
