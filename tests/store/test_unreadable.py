"""One damaged secret does not take the store down: the row is listed as unreadable and can be
removed; every other connection keeps working."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from cts_tui.store import ConnectionStore


async def test_a_row_whose_keys_do_not_decrypt_is_listed_apart_and_can_be_removed(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        good = await store.add(make_connection(name="good"))
        bad = await store.add(make_connection(name="bad"))
    with closing(sqlite3.connect(db_path)) as plain:
        plain.execute("UPDATE connections SET secrets = 'gAAAAAgarbage' WHERE id = ?", (bad.id,))
        plain.commit()
    async with await ConnectionStore.open(db_path) as store:
        assert [c.id for c in await store.list()] == [good.id]
        [unreadable] = await store.unreadable()
        assert (unreadable.id, unreadable.name, unreadable.public_dict()["state"]) == (bad.id, "bad", "unreadable")
        assert "cannot decrypt" in unreadable.reason
        assert await store.find_id("bad") == bad.id
        removed = await store.delete(bad.id)
        assert removed.id == bad.id
        assert await store.unreadable() == []
        assert (await store.audit_log(limit=1))[0].connection_name == "bad"
        assert (await store.get(good.id)).name == "good"
