"""Connections in and out of a real store: CRUD, filters, state, audit."""

from __future__ import annotations

import re

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.errors import CtsError, NotFoundError
from cts_tui.models import ConnectionPatch, ConnectionState, TestResult
from cts_tui.store import ConnectionStore


async def test_added_connection_reads_back_equal_by_id_and_by_name(store, make_connection):
    added = await store.add(make_connection(exchange="okx", api_type="spot", api_passphrase="pass-phrase-1"))
    by_id = await store.get(added.id)
    by_name = await store.get_by_name(added.name)
    assert by_id == by_name == added
    assert by_id.api_passphrase.get_secret_value() == "pass-phrase-1"


async def test_connections_survive_reopening(db_path, make_connection):
    async with await ConnectionStore.open(db_path) as first:
        added = await first.add(make_connection(tags=["main", "bot-1"], weight=7))
    async with await ConnectionStore.open(db_path) as second:
        assert await second.get(added.id) == added


async def test_enabled_connection_is_due_for_a_test_and_disabled_one_is_disabled(store, make_connection):
    enabled = await store.add(make_connection())
    disabled = await store.add(make_connection(enabled=False))
    assert enabled.state is ConnectionState.TESTING
    assert disabled.state is ConnectionState.DISABLED


async def test_list_filters_combine(store, make_connection):
    spot = await store.add(make_connection(exchange="binance", api_type="spot"))
    perp = await store.add(make_connection(exchange="binance", api_type="perpetual_futures"))
    off = await store.add(make_connection(exchange="bybit", api_type="spot", enabled=False))
    await store.set_state(perp.id, ConnectionState.ACTIVE)

    def ids(found):
        return {c.id for c in found}

    assert ids(await store.list()) == {spot.id, perp.id, off.id}
    assert ids(await store.list(exchange="binance")) == {spot.id, perp.id}
    assert ids(await store.list(api_type="spot")) == {spot.id, off.id}
    assert ids(await store.list(exchange="binance", api_type="spot")) == {spot.id}
    assert ids(await store.list(enabled=False)) == {off.id}
    assert ids(await store.list(enabled=True)) == {spot.id, perp.id}
    assert ids(await store.list(active=True)) == {perp.id}
    assert ids(await store.list(active=False)) == {spot.id, off.id}


async def test_list_refuses_unknown_filters_naming_the_known_ones(store):
    known = ", ".join(exchange.value for exchange in ExchangeId)
    with pytest.raises(CtsError, match=re.escape(f"unknown exchange 'mtgox' (one of {known})")):
        await store.list(exchange="mtgox")
    with pytest.raises(CtsError, match="unknown API type 'rest'"):
        await store.list(api_type="rest")


async def test_duplicate_name_is_refused_and_first_is_kept(store, make_connection):
    first = await store.add(make_connection(name="main"))
    with pytest.raises(CtsError, match="named 'main' already exists"):
        await store.add(make_connection(name="main"))
    assert await store.list() == [first]


async def test_rename_onto_a_taken_name_is_refused(store, make_connection):
    await store.add(make_connection(name="a"))
    b = await store.add(make_connection(name="b"))
    with pytest.raises(CtsError, match="already exists"):
        await store.update(b.id, ConnectionPatch(name="a"))
    assert (await store.get(b.id)).name == "b"


async def test_update_changes_only_patched_fields(store, make_connection):
    added = await store.add(make_connection())
    updated = await store.update(added.id, ConnectionPatch(weight=5, tags=["x"]), source="tui")
    assert (updated.weight, updated.tags) == (5, ["x"])
    assert updated.api_key == added.api_key and updated.name == added.name
    assert updated.updated_at >= added.updated_at
    assert await store.get(added.id) == updated


async def test_update_that_breaks_validation_keeps_the_stored_row(store, make_connection):
    added = await store.add(make_connection(exchange="bybit", api_type="unified"))
    with pytest.raises(CtsError, match="bybit has no futures API"):
        await store.update(added.id, ConnectionPatch(api_type="futures"))
    assert await store.get(added.id) == added


async def test_disabling_and_enabling_move_the_state(store, make_connection):
    added = await store.add(make_connection())
    await store.set_state(added.id, ConnectionState.ACTIVE)
    disabled = await store.update(added.id, ConnectionPatch(enabled=False))
    assert (disabled.enabled, disabled.state) == (False, ConnectionState.DISABLED)
    enabled = await store.update(added.id, ConnectionPatch(enabled=True))
    assert (enabled.enabled, enabled.state) == (True, ConnectionState.TESTING)
    via_state = await store.set_state(added.id, ConnectionState.DISABLED)
    assert via_state.enabled is False


async def test_unknown_ids_raise_not_found(store):
    for call in (
        store.get("nope"),
        store.get_by_name("nope"),
        store.update("nope", ConnectionPatch(weight=1)),
        store.set_state("nope", ConnectionState.ACTIVE),
        store.delete("nope"),
    ):
        with pytest.raises(NotFoundError):
            await call


async def test_delete_removes_connection_and_its_results(store, make_connection):
    added = await store.add(make_connection())
    await store.record_test(TestResult(connection_id=added.id, success=True))
    await store.delete(added.id)
    assert await store.list() == []
    assert await store.test_results(added.id) == []


async def test_unknown_source_is_refused(store, make_connection):
    with pytest.raises(CtsError, match="source"):
        await store.add(make_connection(), source="cron")
    assert await store.list() == []


async def test_system_changes_are_audited_as_such(store, make_connection):
    added = await store.add(make_connection())
    await store.set_state(added.id, ConnectionState.ACTIVE, source="system")
    [latest, _] = await store.audit_log()
    assert (latest.action, latest.source, latest.details) == ("state", "system", {"from": "testing", "to": "active"})


async def test_every_change_is_audited_with_its_source(store, make_connection):
    added = await store.add(make_connection(name="audited"), source="cli")
    await store.update(added.id, ConnectionPatch(weight=3), source="tui")
    await store.update(added.id, ConnectionPatch(api_key="NEWKEYnewkey123456"), source="api")
    await store.set_state(added.id, ConnectionState.DISABLED, source="tui")
    await store.set_state(added.id, ConnectionState.TESTING, source="api")
    await store.update(added.id, ConnectionPatch(enabled=False), source="cli")
    await store.delete(added.id, source="api")

    log = await store.audit_log()
    assert [(e.action, e.source) for e in reversed(log)] == [
        ("add", "cli"),
        ("edit", "tui"),
        ("rotate_keys", "api"),
        ("disable", "tui"),
        ("enable", "api"),
        ("disable", "cli"),
        ("delete", "api"),
    ]
    assert all(e.connection_id == added.id and e.connection_name == "audited" for e in log)
    edit = next(e for e in log if e.action == "edit")
    assert edit.details == {"fields": ["weight"], "values": {"weight": 3}}
    rotation = next(e for e in log if e.action == "rotate_keys")
    assert rotation.details == {"fields": ["api_key"], "values": {}}
    assert await store.audit_log(limit=2) == log[:2]
    assert await store.audit_log(connection_id="other") == []
