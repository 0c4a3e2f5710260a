"""One damaged secret does not take the store down: the row is listed as unreadable and can be
removed or given its keys again; every other connection keeps working."""

from __future__ import annotations

import pytest

from cts_tui.errors import InvalidTransition
from cts_tui.models import Connection, ConnectionPatch
from cts_tui.store import ConnectionStore

from .helpers import damage


async def test_a_row_whose_keys_do_not_decrypt_is_listed_apart_and_can_be_removed(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        good = await store.add(make_connection(name="good"))
        bad = await store.add(make_connection(name="bad"))
    damage(db_path, bad.id)
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


async def test_an_unreadable_row_given_its_keys_again_is_whole(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as store:
        bad: Connection = await store.add(make_connection(name="bad", weight=7))
    damage(db_path, bad.id)
    async with await ConnectionStore.open(db_path) as store:
        with pytest.raises(InvalidTransition, match="unreadable .*enter its API key and secret again, or remove it"):
            await store.update(bad.id, ConnectionPatch(weight=3))
        with pytest.raises(InvalidTransition):
            await store.update(bad.id, ConnectionPatch(api_key="OnlyTheKey0123456789"))
        rekeyed = await store.update(
            bad.id, ConnectionPatch(api_key="NewKeyNewKey0123456789", api_secret="NewSecretNewSecret0123456789")
        )
        assert rekeyed.api_key.get_secret_value() == "NewKeyNewKey0123456789"
        assert (rekeyed.name, rekeyed.weight, rekeyed.exchange) == ("bad", 7, bad.exchange)  # the rest kept
        assert await store.unreadable() == []
        assert (await store.get(bad.id)).api_secret.get_secret_value() == "NewSecretNewSecret0123456789"
        assert (await store.audit_log(limit=1))[0].action == "rotate_keys"
