"""`serve` and the TUI on one database at once: two runtimes (each with its own store
connection, limiter, hub and coordinator) writing concurrently never hit "database is locked"."""

from __future__ import annotations

import asyncio

import pytest

from cts_tui.core.runtime import open_runtime
from cts_tui.demo import demo_environment
from cts_tui.models import ConnectionDraft, ConnectionPatch
from cts_tui.store.store import ConnectionStore

from .world import small_scenario

ROUNDS = 8


async def test_two_coordinators_write_to_one_store_at_once(caplog: pytest.LogCaptureFixture) -> None:
    # Health checks every 0.2 s in both: background writes interleave with the foreground ones.
    async with demo_environment(small_scenario(health={"interval_s": 0.2, "jitter": 0})) as demo:
        async with (
            open_runtime(demo.config, demo.db_path, master_key=demo.master_key) as serve,
            open_runtime(demo.config, demo.db_path, master_key=demo.master_key) as tui,
        ):
            account = demo.simulator.account("binance", "main")
            ids = [c.id for c in serve.coordinator.get_all_connections()]

            async def serve_side() -> None:  # what REST clients do: add, test, delete
                for i in range(ROUNDS):
                    draft = ConnectionDraft(
                        name=f"serve-{i}", exchange="binance", api_type="spot", api_key=account.api_key,
                        api_secret=account.secret, base_url=demo.simulator.base_url("binance"),
                    )
                    view = await serve.coordinator.add_connection(draft, "api")
                    await serve.coordinator.test_connection(view.id)
                    await serve.coordinator.delete_connection(view.id, "api")

            async def tui_side() -> None:  # what a user at the screen does: rename, retest, toggle
                for i in range(ROUNDS):
                    target = ids[i % len(ids)]
                    await tui.coordinator.update_connection(target, ConnectionPatch(tags=[f"round{i}"]), "tui")
                    await tui.coordinator.test_connection(target)

            await asyncio.gather(serve_side(), tui_side())

        async with await ConnectionStore.open(demo.db_path, demo.master_key) as store:
            remaining = await store.list()
            audit = await store.audit_log(limit=1000)
    assert not [r for r in caplog.records if "locked" in r.getMessage()]
    assert sorted(c.id for c in remaining) == sorted(ids)
    sources = {entry.source for entry in audit}
    assert {"api", "tui"} <= sources
    assert sum(1 for entry in audit if entry.source == "api") >= ROUNDS * 2
