"""``cts-tui conn test``: test connections from the shell (cron, scripts).

Runs the same stack as the TUI and ``serve`` (store, limiter, hub, coordinator), so a test from
cron respects the rate limits and records its result where the TUI shows it. Exit 0 when every
connection passed, 1 when any failed.

``--all`` skips disabled connections: someone switched them off, so a cron job must not page
anyone about them. They are listed as skipped, never as failed, and do not change the exit code.
Connections named one by one are tested whatever their state: asking for one is reason enough.
"""

from __future__ import annotations

import argparse
import time

from cts_tui.cli.context import config_from_args, db_path_from_args, print_json, resolve
from cts_tui.models import BatchResult, Connection, TestResult

SKIPPED_DISABLED = "disabled"


def register(conn_actions: argparse._SubParsersAction) -> None:
    test = conn_actions.add_parser("test", help="test connections against their exchanges")
    target = test.add_mutually_exclusive_group(required=True)
    target.add_argument("refs", metavar="ID", nargs="*", default=[], help="connection ids or names")
    target.add_argument("--all", action="store_true", help="test every enabled connection (disabled ones are skipped)")
    test.add_argument("--json", action="store_true",
                      help="the batch-test JSON of the REST API, with each connection's name and the skipped ones")
    test.set_defaults(func=test_connections)


async def test_connections(args: argparse.Namespace) -> int:
    # Imported here: the runtime pulls in ccxt (~1 s), which no other command should pay for.
    from cts_tui.core.runtime import open_runtime

    config = config_from_args(args)
    started = time.monotonic()
    async with open_runtime(config, db_path_from_args(args), kind="cli", scheduled=False) as runtime:
        if args.all:
            stored = await runtime.store.list()
            chosen = [c for c in stored if c.enabled]
            skipped = [c for c in stored if not c.enabled]
        else:
            chosen = [await resolve(runtime.store, ref) for ref in args.refs]
            skipped = []
        tested = {c.id: c for c in chosen}
        ids = list(tested)
        results: dict[str, TestResult] = {}
        chunk = config.batch.max_per_request
        for start in range(0, len(ids), chunk):
            batch = await runtime.coordinator.test_connections(ids[start : start + chunk])
            results.update(batch.results)
    outcome = BatchResult.of(results, int((time.monotonic() - started) * 1000))
    if args.json:
        print_json(_wire(outcome, tested, skipped))
    else:
        _print_table(outcome, tested, skipped)
    return 0 if outcome.success else 1


def _wire(outcome: BatchResult, tested: dict[str, Connection], skipped: list[Connection]) -> dict[str, object]:
    """The REST API's batch-test shape, each result with its connection's name, and the skipped."""
    wire = outcome.wire()
    wire["results"] = {cid: {**result.brief(), "name": tested[cid].name} for cid, result in outcome.results.items()}
    wire["skipped"] = [{"id": c.id, "name": c.name, "reason": SKIPPED_DISABLED} for c in skipped]
    return wire


def _print_table(outcome: BatchResult, tested: dict[str, Connection], skipped: list[Connection]) -> None:
    header = ["ID", "NAME", "EXCHANGE", "RESULT", "BALANCE", "MS", "ERROR"]
    rows = [header]
    for cid, result in outcome.results.items():
        connection = tested[cid]
        balance = f"{result.balance:,.2f} {result.quote}" if result.balance is not None else ""
        rows.append(
            [
                cid,
                connection.name,
                connection.exchange.value,
                "ok" if result.success else f"FAIL ({result.error_kind.value if result.error_kind else 'error'})",
                balance,
                str(result.duration_ms),
                result.error or "",
            ]
        )
    rows.extend([c.id, c.name, c.exchange.value, f"skipped ({SKIPPED_DISABLED})", "", "", ""] for c in skipped)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    also = f", {len(skipped)} skipped ({SKIPPED_DISABLED})" if skipped else ""
    print(f"{outcome.successful}/{outcome.total_connections} passed in {outcome.duration_ms} ms{also}")
