"""The demo: its scenario ships with the package, and within seconds every screen has
something to show (a wrong key, maintenance, a flapping exchange, one running hot, live market
streams and one of them stalling)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from cts_tui.capabilities import ExchangeId
from cts_tui.core.runtime import open_runtime
from cts_tui.core.snapshots import Snapshot
from cts_tui.demo import demo_environment, load_demo_scenario
from cts_tui.errors import ConfigError
from cts_tui.exchanges.hosts import base_url_in
from cts_tui.models import ConnectionState, ErrorKind
from cts_tui.store.store import ConnectionStore
from cts_tui.views.streams import StreamState

REPO = Path(__file__).resolve().parents[1]
LIVE_WITHIN_S = 20  # the scenario is tuned for 10 s; twice that on a loaded 2-core CI box


def test_configs_demo_yaml_is_the_packaged_scenario() -> None:
    documented = (REPO / "configs" / "demo.yaml").read_text(encoding="utf-8")
    packaged = (REPO / "cts_tui" / "defaults" / "demo.yaml").read_text(encoding="utf-8")
    assert documented == packaged
    assert load_demo_scenario(documented) == load_demo_scenario()


def test_the_scenario_covers_every_exchange_and_several_api_types() -> None:
    scenario = load_demo_scenario()
    assert {c.exchange for c in scenario.connections} == set(ExchangeId)
    assert len({c.api_type for c in scenario.connections}) >= 4
    assert sum(c.wrong_secret for c in scenario.connections) == 1
    assert scenario.activity.flap is not None and scenario.activity.hot is not None
    assert scenario.activity.stream_stall is not None and scenario.build_config().streams.enabled
    assert any(ex.faults.maintenance for ex in scenario.simulator.exchanges.values())
    assert scenario.build_config().health.interval_s <= 5


def test_a_broken_scenario_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"connections\.0\.exchange"):
        load_demo_scenario("connections:\n  - {exchange: nasdaq, api_type: spot}\n")


async def test_the_throwaway_store_holds_the_simulators_keys() -> None:
    async with demo_environment() as demo:
        async with await ConnectionStore.open(demo.db_path, demo.master_key) as store:
            stored = await store.list()
        assert len(stored) == len(demo.scenario.connections)
        for connection in stored:
            hosts = demo.simulator.hosts(connection.exchange.value)
            assert connection.base_url == base_url_in(hosts, connection.exchange, connection.api_type,
                                                       connection.api_passphrase is not None)
            assert demo.config.streams.for_exchange(connection.exchange).hosts == hosts
            keys = {a.api_key for a in demo.simulator.accounts(connection.exchange.value)}
            assert connection.api_key.get_secret_value() in keys
            assert demo.hosts()[connection.exchange] == hosts  # the add form's defaults
        path = demo.db_path
    assert not path.exists()  # throwaway: gone with the demo


# The demo's risky keys: connection name -> risks its key must show.
RISKY_KEYS = {
    "Binance spot (main)": {"withdrawals", "no_ip_whitelist"},
    "Bybit unified (main)": {"expiring", "no_ip_whitelist", "duplicate"},
    "Bingx spot (readonly)": {"excess_permissions"},
    "Coinbase spot (main)": {"withdrawals"},
}


def _risky_keys_flagged(views) -> bool:
    risks = {v.name: {r.risk for r in v.key.risks} for v in views if v.key is not None}
    return all(expected <= risks.get(name, set()) for name, expected in RISKY_KEYS.items())


def _what_is_live(snapshot: Snapshot) -> dict[str, bool]:
    views = snapshot.connections
    wrong_key = [v for v in views if "wrong-key" in v.tags]
    htx = [v for v in views if v.exchange is ExchangeId.HTX]
    return {
        "wrong key refused": bool(wrong_key)
        and all(v.state is ConnectionState.ERROR and v.last_test is not None
                and v.last_test.error_kind is ErrorKind.AUTH for v in wrong_key),
        "htx in maintenance": all(
            v.last_test is not None and v.last_test.error_kind is ErrorKind.MAINTENANCE for v in htx
        ),
        "kraken flapping": snapshot.exchanges[ExchangeId.KRAKEN].failures_by_kind.get("network", 0) > 0,
        "bingx under load": snapshot.exchanges[ExchangeId.BINGX].requests >= 20,
        "alerts firing": bool(snapshot.alerts),
        "most connections work": sum(v.state is ConnectionState.ACTIVE for v in views) >= 18,
        "streams live": sum(s.state is StreamState.LIVE for s in snapshot.streams) >= 7,
        "binance stream stalled": any(a.rule == "stream stalled" and a.subject == "binance" for a in snapshot.alerts),
        "risky keys flagged": _risky_keys_flagged(views),
        "expiring key alert": any(a.rule == "key expiring" for a in snapshot.alerts),
    }


async def test_every_kind_of_trouble_shows_within_seconds() -> None:
    async with demo_environment() as demo:
        async with open_runtime(demo.config, demo.db_path, master_key=demo.master_key) as runtime:
            async with demo.activity(runtime):
                deadline = time.monotonic() + LIVE_WITHIN_S
                seen: dict[str, bool] = {}
                while time.monotonic() < deadline:
                    live = _what_is_live(runtime.coordinator.snapshot())
                    seen = {k: seen.get(k, False) or v for k, v in live.items()}
                    if all(seen.values()):
                        break
                    await asyncio.sleep(0.25)
    assert all(seen.values()), seen
