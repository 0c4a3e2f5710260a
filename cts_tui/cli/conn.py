"""``cts-tui conn``: list, add, remove, enable and disable stored connections.

Secrets never come from argv (shell history, ``ps``): they come from ``CTS_API_KEY``,
``CTS_API_SECRET``, ``CTS_API_PASSPHRASE`` or a prompt that does not echo. Output shows keys
masked. ``conn test`` and ``conn edit`` live in ``conn_test`` and ``conn_edit``, registered on the
same group.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from pydantic import ValidationError

from cts_tui.capabilities import ApiType, ExchangeId, PassphrasePolicy, exchange_names, passphrase_policy
from cts_tui.cli import conn_edit, conn_test
from cts_tui.cli.context import (
    ENV_API_KEY,
    ENV_API_PASSPHRASE,
    ENV_API_SECRET,
    open_store,
    print_json,
    read_secret,
    report,
    resolve,
)
from cts_tui.errors import CtsError, describe_validation_error
from cts_tui.key_facts import IntendedUse
from cts_tui.models import (
    Connection,
    ConnectionDraft,
    ConnectionPatch,
    MarginType,
    PositionMode,
    Transition,
    check_combination,
    next_state,
    validate_base_url,
)
from cts_tui.store import UnreadableConnection


def register(subparsers: argparse._SubParsersAction) -> None:
    conn = subparsers.add_parser("conn", help="manage stored connections")
    actions = conn.add_subparsers(dest="conn_action", required=True, metavar="ACTION")

    listing = actions.add_parser("list", help="list connections (keys masked)")
    listing.add_argument("--exchange", type=exchange, choices=[e.value for e in ExchangeId], metavar=EXCHANGE_METAVAR)
    listing.add_argument("--api-type", choices=[t.value for t in ApiType])
    enabled = listing.add_mutually_exclusive_group()
    enabled.add_argument("--enabled", dest="enabled", action="store_true", default=None)
    enabled.add_argument("--disabled", dest="enabled", action="store_false")
    active = listing.add_mutually_exclusive_group()
    active.add_argument("--active", dest="active", action="store_true", default=None)
    active.add_argument("--inactive", dest="active", action="store_false")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=list_connections)

    add = actions.add_parser(
        "add",
        help="add a connection",
        description=f"Secrets come from env {ENV_API_KEY}, {ENV_API_SECRET}, {ENV_API_PASSPHRASE} "
        "or a hidden prompt, never from the command line.",
    )
    add.add_argument("--name", required=True)
    add.add_argument("--exchange", required=True, type=exchange, choices=[e.value for e in ExchangeId], metavar=EXCHANGE_METAVAR)
    add.add_argument("--api-type", required=True, choices=[t.value for t in ApiType])
    add.add_argument("--testnet", action="store_true")
    add.add_argument("--base-url", help="https URL (plain http only to a loopback address)")
    add.add_argument("--margin-type", choices=[m.value for m in MarginType])
    add.add_argument("--position-mode", choices=[p.value for p in PositionMode])
    add.add_argument("--weight", type=int, default=100, help="share in weighted load balancing")
    add.add_argument("--tag", action="append", default=[], dest="tags")
    add.add_argument("--use", choices=[u.value for u in IntendedUse], default=IntendedUse.TRADE.value,
                     help="what the key is meant for: monitor keys that may trade are flagged (default trade)")
    add.add_argument("--disabled", action="store_true", help="store it disabled (no test is due)")
    add.add_argument("--json", action="store_true")
    add.set_defaults(func=add_connection)

    for name, func, what in (
        ("rm", remove_connection, "delete a connection and its test results"),
        ("enable", enable_connection, "enable a connection (it becomes due for a test)"),
        ("disable", disable_connection, "disable a connection"),
        ("pause", pause_connection, "pause an active connection (out of rotation, not checked, kept enabled)"),
        ("resume", resume_connection, "resume a paused connection"),
    ):
        sub = actions.add_parser(name, help=what)
        sub.add_argument("ref", metavar="ID", help="connection id (or name)")
        sub.add_argument("--json", action="store_true")
        sub.set_defaults(func=func)

    conn_test.register(actions)
    conn_edit.register(actions)


# --- helpers ------------------------------------------------------------------------------------


def exchange(text: str) -> str:
    """An exchange named on the command line by any of its names (``huobi`` is htx), as ours;
    an unknown name is left for argparse's choices to refuse."""
    try:
        return ExchangeId(text).value
    except ValueError:
        return text


EXCHANGE_METAVAR = "{" + ",".join(exchange_names()) + "}"


def _row(connection: Connection) -> list[str]:
    view = connection.public_dict()
    return [
        connection.id,
        connection.name,
        connection.exchange.value,
        connection.api_type.value + (" (testnet)" if connection.is_testnet else ""),
        connection.state.value,
        str(view["api_key"]),
    ]


def _print_table(connections: list[Connection], unreadable: list[UnreadableConnection]) -> None:
    header = ["ID", "NAME", "EXCHANGE", "API TYPE", "STATE", "API KEY"]
    table = [header, *(_row(c) for c in connections), *([u.id, u.name, u.exchange, "-", "unreadable", "-"]
                                                        for u in unreadable)]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# --- commands -----------------------------------------------------------------------------------


async def list_connections(args: argparse.Namespace) -> int:
    async with await open_store(args) as store:
        connections = await store.list(
            exchange=args.exchange, api_type=args.api_type, enabled=args.enabled, active=args.active
        )
        unreadable = [u for u in await store.unreadable() if args.exchange in (None, u.exchange)]
    if args.json:
        print_json([*(c.public_dict() for c in connections), *(u.public_dict() for u in unreadable)])
    elif connections or unreadable:
        _print_table(connections, unreadable)
    else:
        print("no connections", file=sys.stderr)
    if unreadable:
        print(f"{len(unreadable)} connection(s) unreadable (their keys do not decrypt): "
              "cts-tui conn edit ID --keys enters its keys again, cts-tui conn rm ID removes it", file=sys.stderr)
    return 0


def _draft_from_args(args: argparse.Namespace) -> ConnectionDraft:
    exchange, api_type = ExchangeId(args.exchange), ApiType(args.api_type)
    policy = passphrase_policy(exchange)
    fields: dict[str, Any] = {
        "margin_type": MarginType(args.margin_type) if args.margin_type else None,
        "position_mode": PositionMode(args.position_mode) if args.position_mode else None,
    }
    try:  # refuse what cannot work before asking for secrets
        check_combination(
            exchange, api_type, has_passphrase=policy is PassphrasePolicy.REQUIRED,
            is_testnet=args.testnet, **fields,
        )
        validate_base_url(args.base_url)
    except ValueError as exc:
        raise CtsError(str(exc)) from None
    api_key = read_secret(ENV_API_KEY, "API key", required=True)
    api_secret = read_secret(ENV_API_SECRET, "API secret", required=True)
    passphrase = (
        read_secret(ENV_API_PASSPHRASE, "API passphrase", required=policy is PassphrasePolicy.REQUIRED)
        if policy is not PassphrasePolicy.NONE or os.environ.get(ENV_API_PASSPHRASE)
        else None
    )
    try:
        return ConnectionDraft(
            name=args.name,
            exchange=exchange,
            api_type=api_type,
            api_key=api_key,
            api_secret=api_secret,
            api_passphrase=passphrase,
            is_testnet=args.testnet,
            enabled=not args.disabled,
            base_url=args.base_url,
            weight=args.weight,
            tags=args.tags,
            intended_use=IntendedUse(args.use),
            **fields,
        )
    except ValidationError as exc:
        raise CtsError(describe_validation_error(exc)) from None


async def add_connection(args: argparse.Namespace) -> int:
    draft = _draft_from_args(args)
    async with await open_store(args, use="create") as store:
        connection = await store.add(Connection.from_draft(draft), source="cli")
    due = "" if args.disabled else "; it is due for a test"
    report(args, connection, f"added {connection.id} ({connection.name}), state {connection.state.value}{due}")
    return 0


async def remove_connection(args: argparse.Namespace) -> int:
    async with await open_store(args) as store:
        connection = await store.delete(await store.find_id(args.ref), source="cli")
    report(args, connection, f"removed {connection.id} ({connection.name})")
    return 0


async def _set_enabled(args: argparse.Namespace, enabled: bool) -> int:
    async with await open_store(args) as store:
        current = await resolve(store, args.ref)
        connection = current
        if current.enabled != enabled:
            connection = await store.update(current.id, ConnectionPatch(enabled=enabled), source="cli")
    word = "enabled" if enabled else "disabled"
    if current.enabled == enabled:
        text = f"{connection.id} ({connection.name}) is already {word}"
    else:
        text = _done(word, connection)
    report(args, connection, text)
    return 0


def _done(word: str, connection: Connection) -> str:
    return f"{word} {connection.id} ({connection.name}), state {connection.state.value}"


async def enable_connection(args: argparse.Namespace) -> int:
    return await _set_enabled(args, True)


async def disable_connection(args: argparse.Namespace) -> int:
    return await _set_enabled(args, False)


async def _move(args: argparse.Namespace, transition: Transition, word: str) -> int:
    """A lifecycle move, written with the state it was read in: a process that moved the
    connection meanwhile wins (the running coordinators follow the store)."""
    async with await open_store(args) as store:
        current = await resolve(store, args.ref)
        target = next_state(current.state, transition)  # an illegal move: a one-line error
        connection = await store.set_state(current.id, target, source="cli", expected=current.state)
    if connection.state is target:
        report(args, connection, _done(word, connection))
    else:
        moved = f"{connection.id} ({connection.name}) changed meanwhile: state {connection.state.value}"
        report(args, connection, moved)
    return 0


async def pause_connection(args: argparse.Namespace) -> int:
    return await _move(args, Transition.PAUSE, "paused")


async def resume_connection(args: argparse.Namespace) -> int:
    return await _move(args, Transition.RESUME, "resumed")
