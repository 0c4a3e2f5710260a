"""Key hygiene through the coordinator: facts read at each test and on demand, kept in the
store for other processes, judged into risks that reach the views, the alerts and the metrics."""

from __future__ import annotations

import time

from prometheus_client import generate_latest

from cts_tui.core.runtime import open_runtime
from cts_tui.key_facts import IntendedUse
from cts_tui.models import ConnectionPatch

from .helpers import eventually

RISKY = dict(permissions=frozenset({"read", "trade", "withdraw"}), ip_whitelist=())


def _expiring_in(days: float) -> int:
    return int((time.time() + days * 86_400) * 1000)


async def test_a_test_reads_the_key_and_its_risks_reach_views_store_and_metrics(coordinator, draft, sim_key):
    sim_key("binance", **RISKY, expires_at_ms=_expiring_in(3))
    view = await coordinator.add_connection(draft("binance"), source="cli")
    await eventually(lambda: coordinator.get_connection(view.id).key.profile is not None)

    key = coordinator.get_connection(view.id).key
    assert [r.risk for r in key.risks] == ["withdrawals", "expiring", "no_ip_whitelist"]
    assert 2 * 86_400 < key.expires_in_s <= 3 * 86_400
    stored = (await coordinator.store.key_profiles(view.id))[view.id]
    assert stored.permissions == key.profile.permissions and stored.read_at == key.profile.read_at

    exposition = generate_latest(coordinator.metrics.registry).decode()
    assert f'cts_key_risk{{connection="{view.id}",risk="withdrawals"}} 4.0' in exposition
    assert f'cts_key_expiry_seconds{{connection="{view.id}"}}' in exposition


async def test_a_monitor_key_that_can_trade_and_the_fix_of_each_risk(coordinator, draft):
    view = await coordinator.add_connection(draft("okx", intended_use="monitor"), source="cli")
    await eventually(lambda: coordinator.get_connection(view.id).key.profile is not None)
    [audit] = [a for a in coordinator.key_audit() if a.connection_id == view.id]
    assert [r.risk for r in audit.risks] == ["excess_permissions"]
    assert "OKX" in audit.risks[0].fix and audit.unknown == "expiry not reported by OKX"

    await coordinator.update_connection(view.id, ConnectionPatch(intended_use=IntendedUse.TRADE), source="cli")
    assert [a.risks for a in coordinator.key_audit() if a.connection_id == view.id] == [()]


async def test_reading_on_demand_sees_a_new_permission_and_alerts(coordinator, draft, sim_key, events):
    view = await coordinator.add_connection(draft("bybit"), source="cli")
    await eventually(lambda: coordinator.get_connection(view.id).key.profile is not None)
    sim_key("bybit", permissions=frozenset({"read", "trade", "withdraw"}), expires_at_ms=_expiring_in(2))

    assert await coordinator.read_keys([view.id]) == {view.id: None}
    assert coordinator.get_connection(view.id).key.profile.permissions_added == ["withdraw"]
    key_alerts = {"key expiring", "key permission added"}
    await eventually(lambda: {a.rule for a in coordinator.alerts.firing()} >= key_alerts)

    sim_key("bybit", expires_at_ms=None)
    await coordinator.read_keys([view.id])  # nothing new: the "added" alert resolves
    await eventually(lambda: not {a.rule for a in coordinator.alerts.firing()} & key_alerts)


async def test_a_key_read_elsewhere_shows_here_and_the_same_key_twice_is_flagged(runtime, coordinator, draft, config):
    first = await coordinator.add_connection(draft("coinbase", name="cb-1"), source="cli")
    second = await coordinator.add_connection(draft("coinbase", name="cb-2"), source="cli")
    async with open_runtime(config, runtime.store.path, kind="serve", scheduled=False) as other:
        await eventually(lambda: other.coordinator.get_connection(first.id).key is not None
                         and other.coordinator.get_connection(first.id).key.profile is not None)
        assert {r.risk for r in other.coordinator.get_connection(second.id).key.risks} == {"duplicate"}

        await other.coordinator.read_keys([first.id])
        read_there = (await other.store.key_profiles(first.id))[first.id].read_at
        await eventually(lambda: coordinator.get_connection(first.id).key.profile.read_at == read_there)


async def test_a_failed_read_says_why_and_keeps_the_last_facts(coordinator, draft, sim):
    view = await coordinator.add_connection(draft("binance"), source="cli")
    await eventually(lambda: coordinator.get_connection(view.id).key.profile is not None)
    before = coordinator.get_connection(view.id).key.profile
    await sim.set_fault("binance", maintenance=True)

    [error] = (await coordinator.read_keys([view.id])).values()
    assert error is not None and error.endswith("[maintenance]")
    assert coordinator.get_connection(view.id).key.profile == before
