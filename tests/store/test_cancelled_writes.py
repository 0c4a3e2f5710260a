"""A write cancelled at any point (a task stopped while the coordinator closes) leaves the
connection able to write: no transaction is left open behind it."""

from __future__ import annotations

import asyncio

import pytest

from cts_tui.store import ConnectionStore
from cts_tui.store.records import ProcessIdentity


@pytest.mark.parametrize("steps", [0, 1, 2, 3, 5, 8])
async def test_a_write_cancelled_mid_way_leaves_no_transaction_open(tmp_path, steps):
    store = await ConnectionStore.open(tmp_path / "cts.sqlite")
    me = ProcessIdentity.current("test")
    try:
        task = asyncio.create_task(store.claim_lease("scheduler", me, 10))
        for _ in range(steps):  # let it get as far as BEGIN, or further
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        lease = await store.claim_lease("scheduler", me, 10)
        assert lease.holder == me
    finally:
        await store.close()
