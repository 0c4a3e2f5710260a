"""One store, several processes: what one commits, the others show; tests never stay stuck.

A second ``ConnectionStore`` on the same file is, to SQLite, another process (its own connection,
its own ``data_version``); the tests that need a real second process are in test_processes.py.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from cts_tui.core.runtime import open_runtime
from cts_tui.models import Connection, ConnectionPatch, ConnectionState, TestResult
from cts_tui.store import ConnectionStore
from cts_tui.store.records import ProcessIdentity, TestClaim

from .helpers import eventually

S = ConnectionState


@pytest.fixture
async def other(runtime):
    """The same file opened a second time: another writer, as a CLI run would be."""
    store = await ConnectionStore.open(runtime.store.path)
    yield store
    await store.close()


async def test_another_writers_add_edit_test_and_delete_show_here(coordinator, other, draft):
    added = await other.add(Connection.from_draft(draft("binance")).model_copy(update={"enabled": False}))
    await eventually(lambda: any(v.id == added.id for v in coordinator.get_all_connections()))
    assert coordinator.get_connection(added.id).state is S.DISABLED

    await other.update(added.id, ConnectionPatch(name="renamed"))
    await eventually(lambda: coordinator.get_connection(added.id).name == "renamed")

    await other.record_test(TestResult(connection_id=added.id, success=True, balance=1234.5, duration_ms=7))
    await eventually(lambda: coordinator.get_connection(added.id).last_test is not None)
    view = coordinator.get_connection(added.id)
    assert (view.last_test.success, view.balance) == (True, 1234.5)

    await other.delete(added.id)
    await eventually(lambda: all(v.id != added.id for v in coordinator.get_all_connections()))


async def test_a_state_moved_elsewhere_is_not_overwritten(coordinator, other, draft):
    view = await coordinator.add_connection(draft("binance"), source="tui")
    assert view.state is S.ACTIVE
    await other.set_state(view.id, S.DISABLED)
    # This process has not seen it yet: its pause must not undo the other's disable.
    await coordinator.pause(view.id, source="tui")
    assert coordinator.get_connection(view.id).state is S.DISABLED
    assert (await other.get(view.id)).state is S.DISABLED


async def test_a_test_that_times_out_puts_back_the_state_and_says_so(coordinator, sim, draft, config):
    view = await coordinator.add_connection(draft("bybit"), source="tui")
    assert view.state is S.ACTIVE
    config.batch.task_timeout_s = 0.5
    await sim.set_fault("bybit", outage="hang")
    result = await coordinator.test_connection(view.id, source="tui")
    assert not result.success and result.error_kind.value == "timeout"
    assert result.duration_ms >= 450
    assert coordinator.get_connection(view.id).state is S.ACTIVE
    stored = (await coordinator.store.test_results(view.id))[0]
    assert (stored.success, stored.error) == (False, result.error)
    assert (await coordinator.store.get(view.id)).state is S.ACTIVE
    assert await coordinator.store.test_claims() == []


async def test_a_timeout_spent_waiting_for_budget_says_so(coordinator, draft, config):
    view = await coordinator.add_connection(draft("okx"), source="tui")
    config.batch.task_timeout_s = 0.5
    limits = config.limits("okx")
    limits.per_second, limits.per_minute = 1, 1
    await coordinator.reload_config(config)
    result = await coordinator.test_connection(view.id, source="tui")
    assert "for okx's rate-limit budget" in result.error, result.error
    assert coordinator.get_connection(view.id).state is S.ACTIVE


async def test_a_cancelled_test_puts_back_the_state(coordinator, sim, draft, config):
    view = await coordinator.add_connection(draft("bybit"), source="tui")
    await sim.set_fault("bybit", outage="hang")
    task = asyncio.create_task(coordinator.test_connection(view.id, source="tui"))
    await eventually(lambda: coordinator.get_connection(view.id).state is S.TESTING)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert coordinator.get_connection(view.id).state is S.ACTIVE
    assert (await coordinator.store.get(view.id)).state is S.ACTIVE
    latest = (await coordinator.store.test_results(view.id))[0]
    assert not latest.success and latest.error.startswith("cancelled after")


async def test_a_test_whose_tester_died_is_recovered(coordinator, other, draft):
    view = await coordinator.add_connection(draft("binance"), source="tui")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    tester = ProcessIdentity("gone", ProcessIdentity.current("x").host, int(dead.stdout), "cli")
    now = time.time()
    assert (await other.begin_test(TestClaim(view.id, tester, now, now + 3600, "active"), "cli")).state is S.TESTING

    # The lease holder recovers it as soon as the feed shows it (and in its upkeep every few
    # seconds): back to active, the interrupted attempt on record.
    async def recovered() -> bool:
        return (await other.get(view.id)).state is S.ACTIVE

    deadline = time.monotonic() + 2
    while not await recovered():
        assert time.monotonic() < deadline, "not recovered in time"
        await asyncio.sleep(0.05)
    latest = (await other.test_results(view.id))[0]
    assert latest.error.startswith("interrupted:") and f"pid {tester.pid}" in latest.error
    assert await other.test_claims() == []
    await eventually(lambda: coordinator.get_connection(view.id).state is S.ACTIVE)


async def test_one_scheduler_per_store_and_takeover(sim, tmp_path, config):
    db = tmp_path / "cts.sqlite"
    async with open_runtime(config, db, kind="tui") as first:
        async with open_runtime(config, db, kind="serve") as second:
            assert first.coordinator.scheduler().here and not second.coordinator.scheduler().here
            assert second.coordinator.scheduler().holder == first.coordinator.scheduler().holder
            assert "tui pid" in second.coordinator.snapshot().scheduler.describe()
            await first.coordinator.close()  # releases the lease
            await second.coordinator.parts.shared.lease.renew()  # its next renewal, without waiting a third of the ttl
            assert second.coordinator.scheduler().here
            assert second.coordinator.parts.health.scheduling


async def test_a_batch_task_that_times_out_leaves_the_previous_state(coordinator, sim, draft, config):
    hung = await coordinator.add_connection(draft("bybit"), source="tui")
    fine = await coordinator.add_connection(draft("binance"), source="tui")
    config.batch.task_timeout_s = 0.5
    await sim.set_fault("bybit", outage="hang")
    result = await coordinator.start_batch([hung.id, fine.id]).result()
    assert (result.results[hung.id].success, result.results[fine.id].success) == (False, True)
    assert result.results[hung.id].error_kind.value == "timeout"
    for view in (hung, fine):
        assert coordinator.get_connection(view.id).state is S.ACTIVE
        assert (await coordinator.store.get(view.id)).state is S.ACTIVE


async def test_a_watcher_the_feed_was_pruned_past_reads_everything_again(coordinator, other, draft):
    coordinator.parts.shared.feed._task.cancel()  # polled by hand below, after the pruning
    first = await other.add(Connection.from_draft(draft("binance")).model_copy(update={"enabled": False}))
    second = await other.add(Connection.from_draft(draft("htx")).model_copy(update={"enabled": False}))
    await other.update(first.id, ConnectionPatch(name="renamed"))
    assert await other.prune_changes(keep=1) == 2  # only the rename is left: the adds are gone
    await coordinator.parts.shared.feed.poll()
    names = {v.id: v.name for v in coordinator.get_all_connections()}
    assert names == {first.id: "renamed", second.id: second.name}


async def test_a_key_rotated_by_another_process_keeps_the_connections_and_says_restart(coordinator, other, draft,
                                                                                    events):
    from cts_tui.core.events import StoreProblem
    from cts_tui.store.secrets import generate_key

    views = [await coordinator.add_connection(draft(ex), source="tui") for ex in ("binance", "htx")]
    await other.rekey(generate_key("test"))
    await eventually(lambda: events.of(StoreProblem))
    await asyncio.sleep(0.6)  # more polls: still one message, and nothing left out
    [problem] = events.of(StoreProblem)
    assert "rotated by another process; restart" in problem.message
    assert {v.id for v in coordinator.get_all_connections()} == {v.id for v in views}
