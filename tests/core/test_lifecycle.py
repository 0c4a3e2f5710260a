"""The state machine as the coordinator drives it: persisted, audited, evented; illegal moves
refused. Against the simulator."""

from __future__ import annotations

import pytest

from cts_tui.core.events import ConnectionsChanged, StateChanged, TestFinished
from cts_tui.errors import InvalidTransition, NotFoundError
from cts_tui.core.runtime import open_runtime
from cts_tui.models import Connection, ConnectionPatch, ConnectionState

from .helpers import eventually

S = ConnectionState


def moves(events) -> list[tuple[str, str]]:
    return [(e.old.value, e.new.value) for e in events.of(StateChanged)]


async def test_add_tests_and_activates_a_working_connection(coordinator, runtime, draft, events):
    view = await coordinator.add_connection(draft("binance"), "tui")
    assert view.state is S.ACTIVE and view.last_test.success and view.balance is not None
    assert moves(events) == [("testing", "active")]
    assert events.of(ConnectionsChanged)[0].added == (view.id,)
    assert events.of(TestFinished)[0].result.success
    assert (await runtime.store.get(view.id)).state is S.ACTIVE
    audit = await runtime.store.audit_log(connection_id=view.id)
    assert {(a.action, a.source) for a in audit} >= {("add", "tui"), ("state", "tui")}
    assert (await runtime.store.test_results(view.id))[0].success


async def test_every_legal_transition_and_the_illegal_ones(coordinator, runtime, draft, events):
    view = await coordinator.add_connection(draft("binance", enabled=False), "cli")
    assert view.state is S.DISABLED
    cid = view.id
    with pytest.raises(InvalidTransition, match="cannot pause a connection that is disabled"):
        await coordinator.pause(cid, "cli")
    with pytest.raises(InvalidTransition):
        await coordinator.resume(cid, "cli")
    assert (await coordinator.enable(cid, "cli")).state is S.ACTIVE  # disabled -> testing -> active
    with pytest.raises(InvalidTransition, match="cannot resume a connection that is active"):
        await coordinator.resume(cid, "cli")
    with pytest.raises(InvalidTransition, match="cannot enable"):
        await coordinator.enable(cid, "cli")
    assert (await coordinator.pause(cid, "api")).state is S.PAUSED
    assert (await coordinator.test_connection(cid)).success  # a paused connection stays paused
    assert coordinator.get_connection(cid).state is S.PAUSED
    assert (await coordinator.resume(cid, "api")).state is S.ACTIVE
    assert (await coordinator.test_connection(cid)).success  # active -> testing -> active
    assert (await coordinator.disable(cid, "tui")).state is S.DISABLED
    assert moves(events) == [
        ("disabled", "testing"), ("testing", "active"), ("active", "paused"), ("paused", "active"),
        ("active", "testing"), ("testing", "active"), ("active", "disabled"),
    ]
    stored = await runtime.store.get(cid)
    assert stored.state is S.DISABLED and not stored.enabled


async def test_a_rejected_key_goes_to_error_and_back_after_a_key_rotation(coordinator, sim, draft, events):
    bad = draft("binance", api_secret="not-the-secret-at-all")
    view = await coordinator.add_connection(bad, "cli")
    assert view.state is S.ERROR
    assert view.last_test.error_kind == "auth"
    assert coordinator.get_connection(view.id).healthy is False
    assert coordinator.get_connection(view.id).health_score == 0
    assert (await coordinator.pause(view.id, "cli")).state is S.PAUSED  # error -> paused is legal
    await coordinator.resume(view.id, "cli")
    good = sim.account("binance", "main").secret
    fixed = await coordinator.update_connection(view.id, ConnectionPatch(api_secret=good), "cli")
    assert fixed.state is S.ACTIVE
    assert moves(events)[-2:] == [("active", "testing"), ("testing", "active")]


async def test_an_error_connection_recovers_on_a_passing_health_check(coordinator, sim, draft):
    await sim.set_fault("binance", outage="refused")
    view = await coordinator.add_connection(draft("binance"), "cli")
    assert view.state is S.ERROR and view.last_test.error_kind == "network"
    await sim.clear_faults()
    assert await coordinator.run_health_checks([view.id]) == {view.id: True}
    assert coordinator.get_connection(view.id).state is S.ACTIVE


async def test_delete_and_queries(coordinator, runtime, draft, events):
    a = await coordinator.add_connection(draft("binance"), "cli")
    b = await coordinator.add_connection(draft("htx"), "cli")
    c = await coordinator.add_connection(draft("htx", name="htx-margin", api_type="margin"), "cli")
    assert [v.id for v in coordinator.get_connections_by_exchange("htx")] == sorted([b.id, c.id], key=lambda i: coordinator.get_connection(i).name)
    assert [v.id for v in coordinator.get_connections_by_api_type("margin")] == [c.id]
    assert coordinator.exchange_health("htx").healthy == 2
    assert coordinator.api_type_health("spot").connections == 2
    await coordinator.delete_connection(a.id, "api")
    assert events.of(ConnectionsChanged)[-1].removed == (a.id,)
    with pytest.raises(NotFoundError):
        coordinator.get_connection(a.id)
    with pytest.raises(NotFoundError):
        await runtime.store.get(a.id)
    assert len(coordinator.get_all_connections()) == 2


async def test_draft_test_stores_nothing(coordinator, runtime, draft):
    result = await coordinator.test_draft(draft("kraken"))
    assert result.success and result.balance is not None
    assert await runtime.store.list() == []


async def test_connections_are_loaded_at_start_and_a_mid_test_one_is_retested(sim, tmp_path, config, draft):

    async with open_runtime(config, tmp_path / "db.sqlite") as rt:
        stuck = Connection.from_draft(draft("pionex"))
        await rt.store.add(stuck, source="cli")  # enabled: stored as testing, never tested
    async with open_runtime(config, tmp_path / "db.sqlite") as rt:
        await eventually(lambda: rt.coordinator.get_connection(stuck.id).state is S.ACTIVE)
