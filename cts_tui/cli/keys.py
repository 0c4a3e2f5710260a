"""``cts-tui keys rotate`` and ``keys confirm``: move the store to a new master key, and let go
of the old one once the store is seen to open with the new."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cts_tui.cli import key_audit
from cts_tui.cli.context import db_path_from_args, print_json
from cts_tui.store.rotation import confirm_rotation, rotate_master_key


def register(subparsers: argparse._SubParsersAction) -> None:
    keys = subparsers.add_parser("keys", help="manage the master key; audit the API keys")
    actions = keys.add_subparsers(dest="keys_action", required=True, metavar="ACTION")
    rotate = actions.add_parser(
        "rotate",
        help="re-encrypt every connection under a new master key",
        description="All rows move to the new key in one transaction; if anything fails, the old "
        "key stays valid. The old key is kept beside the key file until `keys confirm`.",
    )
    rotate.add_argument(
        "--key-out",
        type=Path,
        help="write the new key here (required when the key file exists and CTS_MASTER_KEY is set)",
    )
    rotate.add_argument(
        "--allow-shared-key",
        action="store_true",
        help="rotate even though the key file also opens other stores (they stay on the previous key)",
    )
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(func=rotate_keys)
    confirm = actions.add_parser(
        "confirm",
        help="check that the rotated store opens with the new key, then delete the previous key",
        description="Every store the last rotation applied to must open under the key file and "
        "every connection must decrypt; the previous key is deleted only then, and not while it "
        "still opens another store the key file has opened.",
    )
    confirm.add_argument("--json", action="store_true")
    confirm.set_defaults(func=confirm_keys)
    key_audit.register(actions)


async def rotate_keys(args: argparse.Namespace) -> int:
    rotation = await rotate_master_key(
        db_path_from_args(args), key_out=args.key_out, allow_shared_key=args.allow_shared_key, source="cli"
    )
    if args.json:
        print_json(
            {
                "store": str(rotation.store_path),
                "connections": rotation.connections,
                "new_key_path": str(rotation.new_key_path),
                "new_key_id": rotation.new_key_id,
                "old_key_source": rotation.old_key_source,
                "previous_key_path": str(rotation.previous_key_path) if rotation.previous_key_path else None,
                "left_on_previous_key": [str(path) for path in rotation.left_on_previous_key],
            }
        )
    else:
        print(rotation.describe())
    return 0


async def confirm_keys(args: argparse.Namespace) -> int:
    confirmation = await confirm_rotation()
    if args.json:
        print_json(
            None
            if confirmation is None
            else {
                "previous_key_path": str(confirmation.previous_key_path),
                "key_id": confirmation.key_id,
                "completed": confirmation.completed,
                "stores": {str(path): count for path, count in confirmation.checked},
            }
        )
    elif confirmation is None:
        print("nothing to confirm: no key rotation is waiting", file=sys.stderr)
    else:
        print(confirmation.describe())
    return 0
