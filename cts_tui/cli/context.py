"""What the command modules share: the global options turned into a config and a store, JSON
output, finding a connection by id or name, and reading secrets (from the environment or a prompt
that does not echo, never from argv: shell history, ``ps``).

Which commands may create a store: ``conn add``, and the app and ``serve`` on a first run at the
default location. Any other command, or an explicit ``--db`` / ``CTS_DB`` that names no file,
is refused before anything is touched: a mistyped path must not leave an empty store, a new key
and new directories behind, nor look like a store with no connections.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Literal

from cts_tui import paths
from cts_tui.config import Config, load_config
from cts_tui.errors import CtsError, NotFoundError, StoreError
from cts_tui.models import Connection
from cts_tui.store import ConnectionStore, UnreadableConnection
from cts_tui.store.env_connections import with_env_connections

ENV_API_KEY = "CTS_API_KEY"
ENV_API_SECRET = "CTS_API_SECRET"
ENV_API_PASSPHRASE = "CTS_API_PASSPHRASE"

StoreUse = Literal["existing", "first-run", "create"]
"""``existing``: the store must be there; ``first-run``: created only at the default location;
``create``: created wherever it is named."""


def config_from_args(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def watched_config_path(args: argparse.Namespace) -> Path | None:
    """The config file a long-running process (``serve``, the TUI) reloads when it changes:
    ``--config``, else the default; None while there is no such file."""
    path = getattr(args, "config", None) or paths.default_config_path()
    return path if path.exists() else None


def store_location(args: argparse.Namespace) -> Path:
    """Where the store is, or would be: ``--db``, else ``CTS_DB``, else the user data dir."""
    return getattr(args, "db", None) or paths.default_db_path()


def db_path_from_args(args: argparse.Namespace, use: StoreUse = "existing") -> Path:
    """The store's location, once it is clear that opening it may go ahead (see above)."""
    path = store_location(args)
    named = getattr(args, "db", None) is not None or bool(os.environ.get("CTS_DB"))
    creates = use == "create" or (use == "first-run" and not named)
    if not creates and not path.exists():
        raise StoreError(f"no store at {path} (cts-tui conn add creates one)")
    return path


async def open_store(args: argparse.Namespace, use: StoreUse = "existing") -> ConnectionStore:
    """The store named by ``--db`` / ``CTS_DB``, keeping as many test results as the config says."""
    config = config_from_args(args)
    store = await ConnectionStore.open(db_path_from_args(args, use), results_kept=config.store.results_kept)
    return with_env_connections(store, config)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def report(args: argparse.Namespace, connection: Connection | UnreadableConnection, text: str) -> None:
    """What a command did to one connection: its masked JSON with ``--json``, else ``text``."""
    if args.json:
        print_json(connection.public_dict())
    else:
        print(text)


def read_secret(env: str, label: str, *, required: bool) -> str | None:
    """From ``env``, else a prompt that does not echo (only on a terminal)."""
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        if required:
            raise CtsError(f"{label} missing: set {env} or run in a terminal to be asked for it")
        return None
    suffix = "" if required else " (Enter for none)"
    entered = getpass.getpass(f"{label}{suffix}: ").strip()
    if required and not entered:
        raise CtsError(f"{label} missing")
    return entered or None


async def resolve(store: ConnectionStore, ref: str) -> Connection:
    """A connection by id, else by name."""
    try:
        return await store.get(ref)
    except NotFoundError:
        try:
            return await store.get_by_name(ref)
        except NotFoundError:
            raise NotFoundError(f"no connection with id or name {ref!r}") from None
