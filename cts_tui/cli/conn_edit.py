"""``cts-tui conn edit``: rename a stored connection, move it, weigh it, or enter its keys again.

``--keys`` reads a new API key, secret and passphrase as ``conn add`` does (``CTS_API_KEY``,
``CTS_API_SECRET``, ``CTS_API_PASSPHRASE`` or a prompt that does not echo, never argv). It is
also the way back for a connection listed as unreadable (its stored keys do not decrypt): with
its keys entered again it is whole, instead of having to be removed and added anew.
"""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import ValidationError

from cts_tui.capabilities import ExchangeId, PassphrasePolicy, passphrase_policy
from cts_tui.cli.context import (
    ENV_API_KEY,
    ENV_API_PASSPHRASE,
    ENV_API_SECRET,
    config_from_args,
    open_store,
    read_secret,
    report,
)
from cts_tui.errors import CtsError, StoreError, describe_validation_error
from cts_tui.exchanges.hosts import check_keys_follow
from cts_tui.models import ConnectionPatch
from cts_tui.store import ConnectionStore


def register(actions: argparse._SubParsersAction) -> None:
    edit = actions.add_parser(
        "edit",
        help="edit a connection, or enter its keys again (--keys)",
        description=f"--keys reads the secrets from env {ENV_API_KEY}, {ENV_API_SECRET}, {ENV_API_PASSPHRASE} "
        "or a hidden prompt, never from the command line; it also makes an unreadable connection whole.",
    )
    edit.add_argument("ref", metavar="ID", help="connection id (or name)")
    edit.add_argument("--name")
    edit.add_argument("--base-url", help="https URL (plain http only to a loopback address); '' for the exchange's own")
    edit.add_argument("--weight", type=int, help="share in weighted load balancing")
    edit.add_argument("--keys", action="store_true", help="enter the API key, secret and passphrase again")
    edit.add_argument("--json", action="store_true")
    edit.set_defaults(func=edit_connection)


async def _exchange_of(store: ConnectionStore, connection_id: str) -> ExchangeId:
    try:
        return (await store.get(connection_id)).exchange
    except StoreError:  # its keys do not decrypt: the row still names its exchange
        return ExchangeId(next(u.exchange for u in await store.unreadable() if u.id == connection_id))


def _keys(exchange: ExchangeId) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "api_key": read_secret(ENV_API_KEY, "API key", required=True),
        "api_secret": read_secret(ENV_API_SECRET, "API secret", required=True),
    }
    policy = passphrase_policy(exchange)
    if policy is not PassphrasePolicy.NONE:
        passphrase = read_secret(ENV_API_PASSPHRASE, "API passphrase", required=policy is PassphrasePolicy.REQUIRED)
        if passphrase is not None:
            fields["api_passphrase"] = passphrase
    return fields


async def edit_connection(args: argparse.Namespace) -> int:
    fields: dict[str, Any] = {}
    if args.name is not None:
        fields["name"] = args.name
    if args.base_url is not None:
        fields["base_url"] = args.base_url or None
    if args.weight is not None:
        fields["weight"] = args.weight
    if not fields and not args.keys:
        raise CtsError("nothing to change: give --name, --base-url, --weight or --keys")
    async with await open_store(args) as store:
        connection_id = await store.find_id(args.ref)
        if args.keys:
            fields.update(_keys(await _exchange_of(store, connection_id)))
        try:
            patch = ConnectionPatch(**fields)
        except ValidationError as exc:
            raise CtsError(describe_validation_error(exc)) from None
        try:
            current = await store.get(connection_id)
        except StoreError:
            current = None  # unreadable: only an edit with its keys goes through (the store says so)
        if current is not None:
            check_keys_follow(current, patch, config_from_args(args).limits(current.exchange).allowed_hosts)
        connection = await store.update(connection_id, patch, source="cli")
    changed = [name for name in ("name", "base_url", "weight") if name in fields] + (["keys"] if args.keys else [])
    report(args, connection, f"edited {connection.id} ({connection.name}): {', '.join(changed)}")
    return 0
