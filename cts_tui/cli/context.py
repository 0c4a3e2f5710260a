"""What the command modules share: the global options turned into a config and a store, JSON
output, and optional extension modules."""

from __future__ import annotations

import argparse
import json
import sys
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any

from cts_tui import paths
from cts_tui.config import Config, load_config
from cts_tui.store import ConnectionStore


def config_from_args(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def db_path_from_args(args: argparse.Namespace) -> Path:
    return getattr(args, "db", None) or paths.default_db_path()


async def open_store(args: argparse.Namespace) -> ConnectionStore:
    """The store named by ``--db`` / ``CTS_DB``, keeping as many test results as the config says."""
    config = config_from_args(args)
    return await ConnectionStore.open(db_path_from_args(args), results_kept=config.store.results_kept)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def optional_module(name: str) -> ModuleType | None:
    """``cts_tui.cli.<name>`` if that module exists in this build, else None (an import error
    inside an existing module still raises)."""
    qualified = f"cts_tui.cli.{name}"
    try:
        return import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            return None
        raise
