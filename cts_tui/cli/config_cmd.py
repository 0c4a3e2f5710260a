"""``cts-tui config``: check a config file, show where every file lives, print the defaults."""

from __future__ import annotations

import argparse
import os
import sys
from importlib import resources
from pathlib import Path

from cts_tui import paths
from cts_tui.cli.context import print_json, store_location
from cts_tui.config import explain_config
from cts_tui.store import ENV_MASTER_KEY


def register(subparsers: argparse._SubParsersAction) -> None:
    config = subparsers.add_parser("config", help="check and locate configuration")
    actions = config.add_subparsers(dest="config_action", required=True, metavar="ACTION")

    check = actions.add_parser("check", help="validate a config file (exit 2 when invalid)")
    check.add_argument("path", nargs="?", type=Path, help="default: --config, CTS_CONFIG, CONFIG_PATH, then the user file")
    check.add_argument(
        "--explain", action="store_true",
        help="print where each setting of the file (and of the environment) goes: given -> native = value",
    )
    check.set_defaults(func=check_config)

    where = actions.add_parser("path", help="print where each file lives")
    where.add_argument("--json", action="store_true")
    where.set_defaults(func=show_paths)

    defaults = actions.add_parser("defaults", help="print the default configuration as YAML")
    defaults.set_defaults(func=print_defaults)


def _config_path(args: argparse.Namespace) -> Path:
    return getattr(args, "path", None) or args.config or paths.default_config_path()


def check_config(args: argparse.Namespace) -> int:
    target = _config_path(args)
    explicit = args.path is not None or args.config is not None or paths.config_path_named()
    if not explicit and not target.exists():
        print(f"{target}: no such file; the defaults apply")
        return 0
    config, mapped = explain_config(target)
    if args.explain:
        for mapping in mapped:
            print(mapping.line())
    print(f"{target}: ok")
    from cts_tui.core.documented import beyond_documented

    for note in beyond_documented(config):
        print(f"{target}: warning: {note}")
    return 0


def show_paths(args: argparse.Namespace) -> int:
    key_path = paths.master_key_path()
    key_note = f"overridden by env {ENV_MASTER_KEY}" if os.environ.get(ENV_MASTER_KEY) else None
    entries = {
        "config": (_config_path(args), None),
        "database": (store_location(args), None),
        "master_key": (key_path, key_note),
        "api_token": (paths.api_token_path(), None),
    }
    if args.json:
        print_json(
            {name: {"path": str(p), "exists": p.exists(), "note": note} for name, (p, note) in entries.items()}
        )
        return 0
    for name, (path, note) in entries.items():
        state = "" if path.exists() else " (not created yet)"
        print(f"{name + ':':12} {path}{state}" + (f" [{note}]" if note else ""))
    return 0


def print_defaults(args: argparse.Namespace) -> int:
    """The shipped, commented defaults file (configs/cts.yaml links to it): a starting point to
    copy and trim."""
    sys.stdout.write(resources.files("cts_tui").joinpath("defaults", "cts.yaml").read_text(encoding="utf-8"))
    return 0
