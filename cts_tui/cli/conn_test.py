"""``cts-tui conn test``: test connections from the shell (cron, scripts).

Runs the same stack as the TUI and ``serve`` (store, limiter, hub, coordinator), so a test from
cron respects the rate limits and records its result where the TUI shows it. Exit 0 when every
connection passed, 1 when any failed.
"""

from __future__ import annotations

import argparse
import time

from cts_tui.cli.conn import resolve
from cts_tui.cli.context import config_from_args, db_path_from_args, print_json
from cts_tui.models import BatchResult, TestResult


def register(conn_actions: argparse._SubParsersAction) -> None:
    test = conn_actions.add_parser("test", help="test connections against their exchanges")
    target = test.add_mutually_exclusive_group(required=True)
    target.add_argument("refs", metavar="ID", nargs="*", default=[], help="connection ids or names")
    target.add_argument("--all", action="store_true", help="test every stored connection")
    test.add_argument("--json", action="store_true", help="the batch-test JSON of the REST API")
    test.set_defaults(func=test_connections)


async def test_connections(args: argparse.Namespace) -> int:
    # Imported here: the runtime pulls in ccxt (~1 s), which no other command should pay for.
    from cts_tui.core.runtime import open_runtime

    config = config_from_args(args)
    started = time.monotonic()
    async with open_runtime(config, db_path_from_args(args)) as runtime:
        if args.all:
            ids = [c.id for c in await runtime.store.list()]
        else:
            ids = [(await resolve(runtime.store, ref)).id for ref in args.refs]
        ids = list(dict.fromkeys(ids))
        names = {c.id: c for c in runtime.coordinator.get_all_connections()}
        results: dict[str, TestResult] = {}
        chunk = config.batch.max_per_request
        for start in range(0, len(ids), chunk):
            batch = await runtime.coordinator.test_connections(ids[start : start + chunk])
            results.update(batch.results)
    outcome = BatchResult.of(results, int((time.monotonic() - started) * 1000))
    if args.json:
        print_json(outcome.wire())
    else:
        _print_table(outcome, names)
    return 0 if outcome.success else 1


def _print_table(outcome: BatchResult, connections: dict) -> None:
    header = ["ID", "NAME", "EXCHANGE", "RESULT", "BALANCE", "MS", "ERROR"]
    rows = [header]
    for cid, result in outcome.results.items():
        connection = connections.get(cid)
        balance = f"{result.balance:,.2f} {result.quote}" if result.balance is not None else ""
        rows.append(
            [
                cid,
                connection.name if connection else "",
                connection.exchange.value if connection else "",
                "ok" if result.success else f"FAIL ({result.error_kind.value if result.error_kind else 'error'})",
                balance,
                str(result.duration_ms),
                result.error or "",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    print(f"{outcome.successful}/{outcome.total_connections} passed in {outcome.duration_ms} ms")
