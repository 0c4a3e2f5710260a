"""The TUI and the command line on one store, as two terminals would use them: what the CLI
commits shows on the open screen within the 2 s the product promises (measured from the CLI's
exit, while the app runs)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from cts_tui.tui.app import CtsApp
from cts_tui.tui.widgets.connections_table import ConnectionsTable

from .test_flows import SIZE, until

SCRIPT = Path(sys.executable).with_name("cts-tui")
SHOWS_WITHIN_S = 2.0


async def cli(db: Path, *argv: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """The console script in its own process, without blocking the loop that serves the
    simulator and the app."""
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "cts_tui"]
    process = await asyncio.create_subprocess_exec(
        *command, "--db", str(db), *argv, env={**os.environ, **(env or {})},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode in (0, 1), err.decode()
    return process.returncode, out.decode()


def shown_rows(app: CtsApp) -> dict[str, str]:
    """Row key -> the row's line, as the table draws it."""
    table = app.screen.query_one(ConnectionsTable)
    return {key: table._row(key, table._now).text for key in table.shown_keys}


async def test_the_screen_follows_the_command_line(live_app: CtsApp, runtime, sim) -> None:
    db = runtime.store.path
    account = sim.account("binance", "main")
    secrets = {"CTS_API_KEY": account.api_key, "CTS_API_SECRET": account.secret}
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        _, out = await cli(db, "conn", "add", "--name", "from-cli", "--exchange", "binance", "--api-type", "spot",
                           "--base-url", sim.base_url("binance"), "--json", env=secrets)
        connection_id = json.loads(out)["id"]
        await until(lambda: connection_id in shown_rows(live_app), pilot, SHOWS_WITHIN_S)
        # Added enabled by a process that tests nothing: this process, holding the scheduler's
        # lease, tests it.
        await until(lambda: "active" in shown_rows(live_app).get(connection_id, ""), pilot, 8)

        await cli(db, "conn", "disable", connection_id)
        await until(lambda: "disabled" in shown_rows(live_app)[connection_id], pilot, SHOWS_WITHIN_S)

        tested_before = live_app.coordinator.get_connection(connection_id).last_test
        await cli(db, "conn", "test", connection_id)
        await until(lambda: live_app.coordinator.get_connection(connection_id).last_test != tested_before,
                    pilot, SHOWS_WITHIN_S)
        assert "never" not in shown_rows(live_app)[connection_id]

        await cli(db, "conn", "rm", connection_id)
        await until(lambda: connection_id not in shown_rows(live_app), pilot, SHOWS_WITHIN_S)
        assert live_app.coordinator.get_all_connections() == []
