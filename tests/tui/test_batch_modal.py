"""The batch modal while a batch runs, against the real coordinator, limiter and simulator: it
lists queued and running tasks as well as results, and says what each one waits for."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from textual.widgets import Static

from cts_tui.core.runtime import Runtime, open_runtime
from cts_tui.tui.app import CtsApp
from cts_tui.tui.modals.batch import BatchScreen, BatchTasksTable

from .conftest import fast_config
from .test_flows import until

SIZE = (80, 24)  # the narrow layout: what an SSH session shows


@pytest.fixture
async def starved(sim, tmp_path: Path) -> AsyncIterator[Runtime]:
    """Kraken with one request slot and two requests a minute: its first test soon waits for
    the budget (for the rest of the minute), and its second test waits for the slot."""
    config = fast_config()
    kraken = config.limits("kraken")
    kraken.per_second, kraken.per_minute, kraken.max_concurrent = 1, 2, 1
    config.batch.task_timeout_s = 60  # nothing times out here: the test cancels
    async with open_runtime(config, tmp_path / "cts.sqlite") as runtime:
        yield runtime


def shown_rows(table: BatchTasksTable) -> list[str]:
    """The table's rows as the terminal shows them."""
    return [table.render_line(y).text for y in range(1, table.row_count + 1)]


async def test_the_modal_shows_what_queued_and_running_tasks_wait_for(starved: Runtime, draft, sim) -> None:
    coordinator = starved.coordinator
    await coordinator.add_connection(draft("binance", name="a-binance", enabled=False), "cli")
    for name in ("main", "readonly"):
        account = sim.account("kraken", name)
        await coordinator.add_connection(draft("kraken", name=f"kraken-{name}", enabled=False,
                                               api_key=account.api_key, api_secret=account.secret), "cli")
    app = CtsApp(coordinator, starved.store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        batch = app.screen
        assert isinstance(batch, BatchScreen) and len(batch.chosen) == 3  # "All"
        await pilot.click("#start")
        table = batch.query_one(BatchTasksTable)

        def waiting_and_queued() -> bool:
            rows = shown_rows(table)
            return (any("◌  waiting" in r and "for kraken's rate-limit budget" in r for r in rows)
                    and any("·  queued: kraken's 1 concurrent slot busy" in r for r in rows)
                    and any("✔  ok, balance" in r for r in rows))

        await until(waiting_and_queued, pilot)
        waiting, queued, done = (row.split() for row in shown_rows(table))
        assert (waiting[0], queued[0], done[0]) == ("kraken-main", "kraken-readonly", "a-binance")  # names
        summary = str(batch.query_one("#batch-summary", Static).render())
        assert "1 running (1 waiting for a rate-limit budget) · 1 queued · 1 of 3 done" in summary

        await pilot.press("escape")
        await until(lambda: batch.finished, pilot)
        assert str(batch.query_one("#batch-summary", Static).render()).startswith("Cancelled:")
        assert all("cancelled" in r for r in shown_rows(table) if "kraken-" in r)


async def test_later_batches_are_listed_from_the_start_and_cancelled_with_the_rest(
    live_app: CtsApp, runtime: Runtime, draft, sim
) -> None:
    runtime.coordinator.config.batch.max_per_request = 1
    for index in range(3):
        await runtime.coordinator.add_connection(draft("binance", name=f"slow{index}", enabled=False), "cli")
    await sim.set_fault("binance", latency_ms=300)
    async with live_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        batch = live_app.screen
        assert isinstance(batch, BatchScreen)
        await pilot.click("#start")
        table = batch.query_one(BatchTasksTable)
        await until(lambda: "●  sending" in shown_rows(table)[0], pilot)
        assert [row.split()[0] for row in shown_rows(table)] == ["slow0", "slow1", "slow2"]
        assert all("queued: in a later batch (at most 1 per batch)" in row for row in shown_rows(table)[1:])
        await pilot.press("escape")
        await until(lambda: batch.finished, pilot)
        assert all("✖  cancelled" in row for row in shown_rows(table))
        summary = str(batch.query_one("#batch-summary", Static).render())
        assert summary.startswith("Cancelled: 0 successful, 3 failed of 3")
