"""One file, several writers at once (the TUI and `cts-tui serve`): no "database is locked"."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

from cts_tui.models import ConnectionPatch, ConnectionState, TestResult
from cts_tui.store import ConnectionStore
from cts_tui.store.registry import registry_path

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from cts_tui.models import Connection, ConnectionPatch, TestResult
    from cts_tui.store import ConnectionStore

    async def main(path, prefix, count):
        async with await ConnectionStore.open(path) as store:
            for n in range(count):
                c = await store.add(Connection(
                    name=f"{prefix}-{n}", exchange="binance", api_type="spot",
                    api_key=f"key{prefix}{n:06d}x", api_secret=f"secret{prefix}{n:06d}x"))
                await store.update(c.id, ConnectionPatch(weight=n), source="api")
                await store.record_test(TestResult(connection_id=c.id, success=True))
                await store.list(exchange="binance")

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    """
)


async def test_two_processes_and_this_one_write_one_file_at_once(db_path, make_connection):
    async with await ConnectionStore.open(db_path):  # create the file and the key first
        pass
    count = 40
    children = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), prefix, str(count)], stderr=subprocess.PIPE)
        for prefix in ("tui", "serve")
    ]
    try:
        async with await ConnectionStore.open(db_path) as store:
            for n in range(count):
                mine = await store.add(make_connection(name=f"cli-{n}"))
                await store.set_state(mine.id, ConnectionState.DISABLED, source="cli")
                await store.audit_log(limit=5)
    finally:
        errors = [child.communicate(timeout=60)[1].decode() for child in children]
    assert [child.returncode for child in children] == [0, 0], errors
    assert not any("locked" in e for e in errors)
    async with await ConnectionStore.open(db_path) as store:
        names = {c.name for c in await store.list()}
        assert names == {f"{p}-{n}" for p in ("tui", "serve", "cli") for n in range(count)}
        assert len(await store.audit_log(limit=1000)) == 6 * count


async def test_two_stores_in_one_process_interleave_writes(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as first, await ConnectionStore.open(db_path) as second:

        async def churn(store: ConnectionStore) -> None:
            for _ in range(25):
                added = await store.add(make_connection())
                await store.update(added.id, ConnectionPatch(weight=1))
                await store.record_test(TestResult(connection_id=added.id, success=True))

        await asyncio.gather(churn(first), churn(second), churn(first))
        assert len(await second.list()) == 75


OPENER = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from cts_tui.store import ConnectionStore

    async def main(path, go):
        while not os.path.exists(go):
            time.sleep(0.001)
        async with await ConnectionStore.open(path):
            pass

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_processes_starting_together_on_a_fresh_store_all_open_it_under_one_key(tmp_path, key_path):
    for round_ in range(3):
        key_path.unlink(missing_ok=True)
        db, go = tmp_path / f"fresh-{round_}.db", tmp_path / f"go-{round_}"
        children = [
            subprocess.Popen([sys.executable, "-c", OPENER, str(db), str(go)], stderr=subprocess.PIPE) for _ in range(4)
        ]
        await asyncio.sleep(0.5)  # let them all reach the starting line
        go.touch()
        errors = [child.communicate(timeout=60)[1].decode() for child in children]
        assert [child.returncode for child in children] == [0] * 4, errors
        async with await ConnectionStore.open(db) as store:  # the one key file opens it
            assert store.key_source == f"key file {key_path}"
    # no staging file left: only the key and the list of stores it opens
    assert sorted(p.name for p in key_path.parent.iterdir()) == [key_path.name, registry_path(key_path).name]
