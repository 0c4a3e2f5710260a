"""GET /api/v1/fleet and the per-process series of /metrics, with a second process sharing the
budgets through a real Redis."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cts_tui.ratelimit import Priority, RateLimiter, shared
from tests.core.helpers import eventually
from tests.ratelimit.helpers import make_config

from .world import World, running_world, small_scenario


@pytest.fixture(autouse=True)
def quick_beats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shared, "SOCKET_TIMEOUT_S", 2.0)
    monkeypatch.setattr(shared, "HEARTBEAT_S", 0.05)


async def test_the_fleet_over_rest_and_metrics(redis_server) -> None:
    shared_budgets = {"backend": "redis", "redis_url": redis_server.url, "key_prefix": "api-fleet"}
    other = RateLimiter.from_config(make_config(_rl=shared_budgets), kind="tui")
    await other.start()
    try:
        async with running_world(small_scenario(rate_limiting=shared_budgets)) as world:
            for _ in range(3):
                assert await other.acquire_permit("okx", "fetch_ticker", Priority.HIGH)
            limiter = world.runtime.limiter
            # This process's own checks spend okx too: the other's three are its entry's.
            await eventually(lambda: limiter.fleet is not None and any(
                m.kind == "tui" and m.spent.get("okx") == 3 for m in limiter.fleet.members))
            assert (await world.call("GET", "/api/v1/fleet", token=None))[0] == 401
            status, body = await world.call("GET", "/api/v1/fleet")
            assert status == 200 and body["backend"] == "redis"
            assert body["headline"] == "2 processes on 1 host share these budgets" and body["hosts"] == 1
            kinds = {p["kind"]: p for p in body["processes"]}
            assert set(kinds) == {"library", "tui"}
            assert kinds["library"]["this_process"] and not kinds["tui"]["this_process"]
            assert kinds["tui"]["spent"]["okx"] == 3
            assert body["exchanges"]["okx"]["spent"] >= 3
            assert body["exchanges"]["okx"]["shares"][kinds["tui"]["id"]] > 0
            await _metrics_name_each_process(world, kinds["tui"]["id"])
    finally:
        await other.close()


async def _metrics_name_each_process(world: World, other_id: str) -> None:
    async with world.http.get(world.url + "/metrics") as response:
        families = {f.name: f for f in text_string_to_metric_families(await response.text())}
    assert families["cts_fleet_processes"].samples[0].value == 2
    assert families["cts_fleet_hosts"].samples[0].value == 1
    spent = {(s.labels["process"], s.labels["kind"], s.labels["exchange"]): s.value
             for s in families["cts_fleet_process_requests"].samples}
    assert spent[(other_id, "tui", "okx")] == 3
    assert {s.labels["process"] for s in families["cts_fleet_process_seen_seconds"].samples} >= {other_id}


async def test_a_process_counting_alone_has_no_fleet(world: World) -> None:
    status, body = await world.call("GET", "/api/v1/fleet")
    assert status == 200
    assert body == {"backend": "local", "headline": None, "hosts": 0, "processes": [], "exchanges": {}}
    async with world.http.get(world.url + "/metrics") as response:
        assert "cts_fleet_processes" not in await response.text()
