"""``cts-tui keys audit`` and ``keys use``: every key's risks from the shell (cron, CI), and what
a key is meant for.

``audit`` judges what the exchanges last reported about each key (read at every test; ``--read``
asks them again first). With ``--fail-on SEVERITY`` it exits 1 when any risk is at least that
severe, so a cron job or a CI step can page someone.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cts_tui.cli.context import config_from_args, db_path_from_args, open_store, print_json, resolve
from cts_tui.key_facts import IntendedUse, Severity
from cts_tui.models import ConnectionPatch

if TYPE_CHECKING:
    from cts_tui.core.key_policy import KeyAssessment


def register(keys_actions: argparse._SubParsersAction) -> None:
    audit = keys_actions.add_parser(
        "audit",
        help="list each connection's key risks (withdrawals, no IP whitelist, expiry, ...)",
        description="Judges what each exchange last reported about each key (read at every "
        "connection test). Exit 1 with --fail-on when a risk at or above that severity exists.",
    )
    audit.add_argument("--read", action="store_true", help="ask the exchanges about every key first")
    audit.add_argument("--fail-on", choices=[s.value for s in Severity], metavar="SEVERITY",
                       help="exit 1 when a risk of this severity or worse exists (info, low, medium, high, critical)")
    audit.add_argument("--json", action="store_true")
    audit.set_defaults(func=audit_keys)

    use = keys_actions.add_parser("use", help="set what a connection's key is meant for (monitor or trade)")
    use.add_argument("ref", metavar="ID", help="connection id (or name)")
    use.add_argument("intended_use", choices=[u.value for u in IntendedUse], metavar="USE", help="monitor or trade")
    use.add_argument("--json", action="store_true")
    use.set_defaults(func=set_use)


async def audit_keys(args: argparse.Namespace) -> int:
    # Imported here: the runtime pulls in ccxt (~1 s), which no other command should pay for.
    from cts_tui.core.key_policy import audit_wire
    from cts_tui.core.runtime import open_runtime

    async with open_runtime(config_from_args(args), db_path_from_args(args), kind="cli", scheduled=False) as runtime:
        errors = await runtime.coordinator.read_keys() if args.read else {}
        audit = runtime.coordinator.key_audit()
    for connection_id, error in errors.items():
        if error is not None:
            print(f"{connection_id}: key not read: {error}", file=sys.stderr)
    if args.json:
        print_json(audit_wire(audit))
    else:
        _print_table(audit)
    if args.fail_on is None:
        return 0
    bar = Severity(args.fail_on).rank
    return 1 if any(r.severity.rank >= bar for a in audit for r in a.risks) else 0


def _print_table(audit: Sequence[KeyAssessment]) -> None:
    now = datetime.now(UTC)
    for assessed in audit:
        read = assessed.profile.read_at if assessed.profile is not None else None
        age = f"read {_age(now - read)} ago" if read is not None else "never read"
        print(f"{assessed.name} ({assessed.connection_id}, {assessed.exchange}, {assessed.intended_use.value}): {age}")
        for risk in assessed.risks:
            print(f"  {risk.severity.value.upper():8} {risk.risk}: {risk.message}")
            print(f"  {'':8} fix: {risk.fix}")
        if not assessed.risks:
            print("  no risk found")
        if assessed.unknown:
            print(f"  {'':8} {assessed.unknown}")


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


async def set_use(args: argparse.Namespace) -> int:
    async with await open_store(args) as store:
        current = await resolve(store, args.ref)
        connection = await store.update(current.id, ConnectionPatch(intended_use=args.intended_use), source="cli")
    if args.json:
        print_json(connection.public_dict())
    else:
        print(f"{connection.id} ({connection.name}) is meant to {connection.intended_use.value}")
    return 0
