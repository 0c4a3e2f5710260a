"""Every endpoint against the simulator, answering in the specification's shapes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from cts_tui.api.app import ENDPOINTS
from cts_tui.models import ConnectionState
from tests.core.helpers import eventually

from .world import World


async def settle(world: World) -> dict[str, str]:
    """Test every connection once so states are known (all active but the wrong key's), then
    run one round of health checks so that there is traffic to count. The tests the scheduler
    starts on its own at start-up end first: a health check skips a connection under test."""
    ids = world.ids
    coordinator = world.runtime.coordinator
    await asyncio.gather(*(coordinator.test_connection(i) for i in ids.values()))
    await eventually(lambda: all(v.state is not ConnectionState.TESTING for v in coordinator.get_all_connections()))
    await coordinator.run_health_checks()
    return ids


def secrets_of(world: World) -> list[str]:
    found = []
    for exchange in world.demo.simulator.exchanges:
        for account in world.demo.simulator.accounts(exchange):
            found += [account.secret, account.api_key] + ([account.passphrase] if account.passphrase else [])
    return found


async def test_health_answers_ok(world: World) -> None:
    status, body = await world.call("GET", "/health", token=None)
    assert status == 200 and body["status"] == "ok" and body["uptime_s"] >= 0


async def test_system_status_has_the_specification_shape(world: World) -> None:
    await settle(world)
    status, body = await world.call("GET", "/api/system/status")
    assert status == 200
    assert body["status"] == "degraded"  # the wrong key never works
    assert body["connections"]["total"] == 5
    assert body["connections"]["byExchange"] == {"binance": 2, "htx": 1, "okx": 1, "pionex": 1}
    assert body["connections"]["active"] == 4
    assert body["health"]["healthy"] + body["health"]["unhealthy"] == 5
    assert set(body["metrics"]) == {"totalRequests", "successRate", "averageResponseTime"}
    assert set(body["batch"]) == {"queueLength", "activeTasks", "completedTasks"}
    assert body["features"] == {"rateLimiting": "enabled", "batchProcessing": "enabled", "healthMonitoring": "enabled"}


async def test_connection_list_is_masked_and_filtered(world: World) -> None:
    await settle(world)
    status, body = await world.call("GET", "/api/settings/connections")
    assert status == 200 and body["success"] is True and body["count"] == 5
    text = str(body)
    assert not [s for s in secrets_of(world) if s in text]
    first = body["connections"][0]
    assert first["api_secret"] == "********" and "…" in first["api_key"]
    assert {"id", "name", "exchange", "api_type", "state", "is_active", "margin_type", "health_score"} <= set(first)

    _, spot = await world.call("GET", "/api/settings/connections?apiType=spot&exchange=htx")
    assert spot["count"] == 1 and spot["connections"][0]["name"] == "htx-spot"
    assert spot["filters"] == {"exchange": "htx", "apiType": "spot", "enabled": None, "active": None}
    _, active = await world.call("GET", "/api/settings/connections?active=true")
    assert {c["name"] for c in active["connections"]} == {"binance-spot", "htx-spot", "okx-spot", "pionex-ro"}
    _, inactive = await world.call("GET", "/api/settings/connections?active=false&enabled=true")
    assert [c["name"] for c in inactive["connections"]] == ["binance-bad"]


async def test_create_update_delete_round_trip(world: World) -> None:
    sim = world.demo.simulator
    account = sim.account("binance", "main")
    draft = {
        "name": "binance-perp",
        "exchange": "binance",
        "api_type": "perpetual_futures",
        "api_key": account.api_key,
        "api_secret": account.secret,
        "margin_type": "cross",
        "position_mode": "hedge",
        "base_url": sim.base_url("binance"),
    }
    status, created = await world.call("POST", "/api/settings/connections", body=draft)
    assert status == 201, created
    connection = created["connection"]
    assert connection["name"] == "binance-perp" and connection["margin_type"] == "cross"
    assert account.secret not in str(created) and account.api_key not in str(created)

    status, updated = await world.call("PATCH", f"/api/settings/connections/{connection['id']}", body={"name": "perp 2"})
    assert status == 200 and updated["connection"]["name"] == "perp 2"
    status, _ = await world.call("PATCH", "/api/settings/connections/nope", body={"name": "x"})
    assert status == 404

    status, deleted = await world.call("DELETE", f"/api/settings/connections/{connection['id']}")
    assert status == 200 and deleted == {"success": True, "id": connection["id"]}
    status, _ = await world.call("DELETE", f"/api/settings/connections/{connection['id']}")
    assert status == 404
    _, listed = await world.call("GET", "/api/settings/connections")
    assert listed["count"] == 5


async def test_single_test_reports_balance_or_the_reason(world: World) -> None:
    ids = world.ids
    status, good = await world.call("POST", f"/api/settings/connections/{ids['binance-spot']}/test")
    assert status == 200 and good["success"] is True
    assert good["balance"] > 0 and good["log"] and isinstance(good["duration"], int)
    status, bad = await world.call("POST", f"/api/settings/connections/{ids['binance-bad']}/test")
    assert status == 200 and bad["success"] is False and bad["errorKind"] == "auth"
    assert not [s for s in secrets_of(world) if s in str(bad)]
    status, _ = await world.call("POST", "/api/settings/connections/unknown-id/test")
    assert status == 404


async def test_batch_test_has_the_specification_shape(world: World) -> None:
    ids = world.ids
    chosen = [ids["binance-spot"], ids["htx-spot"], ids["binance-bad"]]
    status, body = await world.call(
        "POST", "/api/settings/connections/batch-test", body={"connectionIds": chosen, "testType": "all"}
    )
    assert status == 200
    assert (body["totalConnections"], body["successful"], body["failed"]) == (3, 2, 1)
    # success as the specification's example has it: the batch ran (true there with one failed)
    assert body["success"] is True and isinstance(body["duration"], int)
    assert set(body["results"]) == set(chosen)
    assert body["results"][ids["binance-bad"]]["success"] is False
    assert body["results"][ids["binance-spot"]]["balance"] > 0


async def test_batch_test_refuses_too_many_and_unknown_ids(world: World) -> None:
    ids = list(world.ids.values())
    status, body = await world.call("POST", "/api/settings/connections/batch-test", body={"connectionIds": ids})
    assert status == 422 and "connectionIds" in body["error"] and "at most 4" in body["error"]
    status, body = await world.call(
        "POST", "/api/settings/connections/batch-test", body={"connectionIds": [ids[0], "ghost"]}
    )
    assert status == 404 and "ghost" in body["error"]


async def test_connection_health_summary_and_filters(world: World) -> None:
    ids = await settle(world)
    status, body = await world.call("GET", "/api/settings/connections/health")
    assert status == 200 and body["timestamp"]
    summary = body["summary"]
    assert summary["totalConnections"] == 5 and summary["activeConnections"] == 4
    assert summary["errorConnections"] == 1 and summary["totalRequests"] >= 5
    assert isinstance(summary["averageUptime"], str) and "." in summary["averageUptime"]
    _, one = await world.call("GET", f"/api/settings/connections/health?id={ids['htx-spot']}")
    assert [c["id"] for c in one["connections"]] == [ids["htx-spot"]]
    entry = one["connections"][0]
    assert {"lastCheck", "responseTime", "errorCount", "successCount", "uptime", "rateLimitUsage"} <= set(entry)
    _, by_exchange = await world.call("GET", "/api/settings/connections/health?exchange=okx")
    assert by_exchange["summary"]["totalConnections"] == 1
    status, _ = await world.call("GET", "/api/settings/connections/health?id=ghost")
    assert status == 404


async def test_exchange_status_endpoints(world: World) -> None:
    await settle(world)
    status, body = await world.call("GET", "/api/v1/exchanges/status", token=None)
    assert status == 200
    assert body["exchanges"]["htx"]["status"] == "healthy"
    assert body["exchanges"]["binance"]["status"] == "degraded"  # one of its two keys is wrong
    assert body["exchanges"]["bybit"]["status"] == "no_connections"
    status, one = await world.call("GET", "/api/v1/exchanges/htx/status")
    assert status == 200 and one["exchange"] == "htx" and one["connections_detail"][0]["name"] == "htx-spot"
    status, body = await world.call("GET", "/api/v1/exchanges/nasdaq/status")
    assert status == 404 and "binance" in body["error"]


async def test_exchange_test_connection(world: World) -> None:
    status, body = await world.call("GET", "/api/v1/exchanges/test-connection/okx")
    assert status == 200 and body["exchange"] == "okx" and body["successful"] == 1
    status, _ = await world.call("GET", "/api/v1/exchanges/test-connection/bybit")
    assert status == 404


async def test_load_balance_and_strategy(world: World) -> None:
    status, body = await world.call("GET", "/api/v1/exchanges/load-balance", token=None)
    assert status == 200 and body["strategy"] == "weighted_round_robin"
    assert "least_latency" in body["strategies"]
    status, changed = await world.call(
        "POST", "/api/v1/exchanges/load-balance/strategy", body={"strategy": "least_latency"}
    )
    assert status == 200 and changed == {"success": True, "strategy": "least_latency", "previous": "weighted_round_robin"}
    assert world.runtime.coordinator.strategy == "least_latency"
    status, body = await world.call("POST", "/api/v1/exchanges/load-balance/strategy", body={"strategy": "random"})
    assert status == 422 and body["error"].startswith("body.strategy")


async def test_health_check_runs_now(world: World) -> None:
    await settle(world)
    status, body = await world.call("POST", "/api/v1/exchanges/health-check")
    assert status == 200 and body["success"] is True and body["checked"] >= 4
    status, body = await world.call("POST", "/api/v1/exchanges/health-check?exchange=htx")
    assert status == 200 and body["checked"] == 1 and body["healthy"] == 1


async def test_disable_and_enable_an_exchange(world: World) -> None:
    await settle(world)
    status, body = await world.call("POST", "/api/v1/exchanges/okx/disable")
    assert status == 200 and len(body["changed"]) == 1
    assert [c["state"] for c in body["connections"]] == ["disabled"]
    status, body = await world.call("POST", "/api/v1/exchanges/okx/enable")
    assert status == 200 and len(body["changed"]) == 1
    assert [c["state"] for c in body["connections"]] == ["active"]
    status, _ = await world.call("POST", "/api/v1/exchanges/bybit/enable")
    assert status == 404


async def test_pause_and_resume_a_connection(world: World) -> None:
    ids = await settle(world)
    okx = ids["okx-spot"]
    status, body = await world.call("POST", f"/api/v1/connections/{okx}/pause")
    assert status == 200 and body["connection"]["state"] == "paused"
    status, body = await world.call("POST", f"/api/v1/connections/{okx}/pause")
    assert status == 409 and "cannot pause a connection that is paused" in body["error"]
    status, body = await world.call("POST", f"/api/v1/connections/{okx}/resume")
    assert status == 200 and body["connection"]["state"] == "active"
    status, _ = await world.call("POST", "/api/v1/connections/ghost/resume")
    assert status == 404
    status, _ = await world.call("POST", f"/api/v1/connections/{okx}/pause", token=None)
    assert status == 401


async def test_performance_pool_and_dashboard(world: World) -> None:
    await settle(world)
    status, perf = await world.call("GET", "/api/v1/exchanges/metrics/performance", token=None)
    assert status == 200 and perf["totals"]["requests"] >= 5 and perf["exchanges"]["binance"]["requests"] >= 1
    # OKX's windows per endpoint: the fullest endpoint against its own limit, every endpoint listed.
    okx = perf["exchanges"]["okx"]["rate_limit"]
    endpoint = okx["windows"][0]
    assert endpoint["name"] == "2s/endpoint" and endpoint["by_exchange"] is True and endpoint["part"]
    assert {(w["part"], w["limit"]) for w in okx["instances"]} >= {("get /api/v5/account/balance", 10)}
    assert endpoint in okx["instances"] and okx["windows"][1]["by_exchange"] is False  # the config's minute
    status, pool = await world.call("GET", "/api/v1/exchanges/connection-pool/binance", token=None)
    assert status == 200 and pool["exchange"] == "binance" and isinstance(pool["pool"], dict)
    binance_host = world.demo.simulator.base_url("binance").split("/")[2]
    twins = {url.split("/")[2] for url in world.demo.simulator.hosts("binance").values()}
    assert binance_host in pool["hosts"] and set(pool["hosts"]) <= twins  # each host its API types talk to
    assert pool["hosts"][binance_host]["requests"] >= 1
    assert pool["shared"]["requests"] >= pool["hosts"][binance_host]["requests"]
    status, board = await world.call("GET", "/api/v1/exchanges/dashboard")
    assert status == 200
    assert {"system", "totals", "exchanges", "connections", "alerts", "recent_alerts", "strategy"} <= set(board)
    assert board["scheduler"] == {"here": True, "holder": board["scheduler"]["holder"]}
    assert board["scheduler"]["holder"].startswith("serve pid ") or board["scheduler"]["holder"].startswith("library pid ")
    assert len(board["connections"]) == 5
    # The demo counts locally, since the limiter started; the fallback would give its reason.
    assert board["rate_limiter"]["backend"] == perf["rate_limiter"]["backend"] == "local"
    assert board["rate_limiter"]["reason"] is None
    assert datetime.fromisoformat(board["rate_limiter"]["since"]) <= datetime.now(UTC)


async def test_metrics_parse_as_prometheus_text(world: World) -> None:
    await settle(world)
    async with world.http.get(world.url + "/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert "cts_requests" in families
    samples = [s for s in families["cts_requests"].samples if s.name == "cts_requests_total"]
    assert sum(s.value for s in samples) >= 5
    assert {s.labels["exchange"] for s in samples} >= {"binance", "htx"}
    backends = {s.labels["backend"]: s.value for s in families["cts_ratelimit_backend"].samples}
    assert backends == {"local": 1, "redis": 0, "fallback": 0}
    (since,) = families["cts_ratelimit_backend_since_seconds"].samples
    assert 0 < since.value <= time.time()


async def test_openapi_describes_every_route_the_server_has(world: World) -> None:
    status, spec = await world.call("GET", "/openapi.json", token=None)
    assert status == 200 and spec["openapi"].startswith("3.1")
    described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    routed = {(e.method, e.path) for e in ENDPOINTS}
    assert described == routed and len(routed) == 29
    guarded = spec["paths"]["/api/settings/connections"]["post"]
    assert guarded["security"] == [{"bearerAuth": []}]
    assert guarded["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/CreateConnectionBody")
