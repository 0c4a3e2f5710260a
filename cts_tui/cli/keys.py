"""``cts-tui keys rotate``: re-encrypt the store under a new master key."""

from __future__ import annotations

import argparse
from pathlib import Path

from cts_tui.cli.context import db_path_from_args, print_json
from cts_tui.store.rotation import rotate_master_key


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="manage the master key")
    actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate",
        help="re-encrypt every connection under a new master key",
        description="All rows move to the new key in one transaction; if anything fails, the old "
        "key stays valid.",
    )
    rotate.add_argument(
        "--key-out",
        type=Path,
        help="write the new key here (required when the key file exists and CTS_MASTER_KEY is set)",
    )
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(func=rotate_keys)


async def rotate_keys(args: argparse.Namespace) -> int:
    rotation = await rotate_master_key(db_path_from_args(args), key_out=args.key_out, source="cli")
    if args.json:
        print_json(
            {
                "store": str(rotation.store_path),
                "connections": rotation.connections,
                "new_key_path": str(rotation.new_key_path),
                "old_key_source": rotation.old_key_source,
            }
        )
    else:
        print(rotation.describe())
    return 0
