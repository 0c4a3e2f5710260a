"""Every REST example of the specification, sent as written (the bearer token header added,
``{exchange_id}`` / ``[id]`` filled in) to the server on loopback, against the simulator.

The world's config points every exchange at the simulator (``exchanges.<id>.base_url``, as the
demo does), so the specification's create body, which names no host, stays on loopback."""

from __future__ import annotations

import asyncio

from prometheus_client.parser import text_string_to_metric_families

from .world import World

# The exchange manager document's endpoint list, in its order.
EXCHANGE_MANAGER_EXAMPLES = [
    ("GET", "/api/v1/exchanges/status", None),
    ("GET", "/api/v1/exchanges/{exchange_id}/status", None),
    ("GET", "/api/v1/exchanges/test-connection/{exchange_id}", None),
    ("GET", "/api/v1/exchanges/load-balance", None),
    ("POST", "/api/v1/exchanges/load-balance/strategy", {"strategy": "least_latency"}),
    ("POST", "/api/v1/exchanges/health-check", None),
    ("POST", "/api/v1/exchanges/{exchange_id}/disable", None),
    ("POST", "/api/v1/exchanges/{exchange_id}/enable", None),
    ("GET", "/api/v1/exchanges/metrics/performance", None),
    ("GET", "/api/v1/exchanges/connection-pool/{exchange_id}", None),
    ("GET", "/api/v1/exchanges/dashboard", None),
]

# The connection system document's request bodies, verbatim.
CREATE_BODY = {
    "name": "My Bybit Account",
    "exchange": "bybit",
    "api_type": "perpetual_futures",
    "api_key": "xxxx",
    "api_secret": "yyyy",
    "api_passphrase": "zzzz",
    "margin_type": "cross",
    "position_mode": "hedge",
    "is_testnet": False,
}
PATCH_BODY = {"api_key": "new_key", "api_secret": "new_secret", "name": "Updated Name"}


async def test_the_exchange_manager_examples_answer(world: World) -> None:
    for exchange_id in ("binance", "huobi"):  # the specification's name for HTX too
        for method, path, body in EXCHANGE_MANAGER_EXAMPLES:
            status, answer = await world.call(method, path.format(exchange_id=exchange_id), body=body)
            assert status == 200, (method, path, exchange_id, answer)
    status, answer = await world.call("GET", "/api/v1/exchanges/huobi/status")
    assert answer["exchange"] == "htx"
    # curl -X POST http://localhost:8000/api/v1/exchanges/health-check (with the header)
    status, answer = await world.call("POST", "/api/v1/exchanges/health-check")
    assert status == 200 and answer["checked"] == 5


async def test_the_connection_system_examples_answer(world: World) -> None:
    status, listed = await world.call("GET", "/api/settings/connections?exchange=bybit")
    assert (status, listed["success"], listed["count"], listed["filters"]["exchange"]) == (200, True, 0, "bybit")

    status, created = await world.call("POST", "/api/settings/connections", body=CREATE_BODY)
    assert status == 201 and created["success"] is True, created
    assert created["warnings"] == ["api_passphrase ignored: bybit keys have no passphrase"]
    new = created["connection"]
    assert (new["name"], new["exchange"], new["margin_type"], new["api_passphrase"]) == (
        "My Bybit Account", "bybit", "cross", None)
    assert new["state"] == "error"  # tested at once: "xxxx" is no key the simulator knows

    status, patched = await world.call("PATCH", f"/api/settings/connections/{new['id']}", body=PATCH_BODY)
    assert status == 200 and patched["connection"]["name"] == "Updated Name" and patched["warnings"] == []
    status, patched = await world.call(
        "PATCH", f"/api/settings/connections/{new['id']}", body={**PATCH_BODY, "api_passphrase": "zzzz"}
    )
    assert status == 200 and patched["warnings"] == ["api_passphrase ignored: bybit keys have no passphrase"]

    good = world.ids["binance-spot"]
    status, tested = await world.call("POST", f"/api/settings/connections/{good}/test")
    assert status == 200 and tested["success"] is True and tested["balance"] > 0
    assert isinstance(tested["log"], list) and isinstance(tested["duration"], int)

    ids = [world.ids["binance-spot"], world.ids["okx-spot"], world.ids["binance-bad"]]  # "id1", "id2", "id3"
    status, batch = await world.call(
        "POST", "/api/settings/connections/batch-test", body={"connectionIds": ids, "testType": "all"}
    )
    assert status == 200
    assert (batch["success"], batch["totalConnections"], batch["successful"], batch["failed"]) == (True, 3, 2, 1)
    assert batch["results"][ids[0]]["success"] is True and batch["results"][ids[2]]["success"] is False

    for query in (f"?id={good}", "?exchange=binance", "?apiType=spot", ""):
        status, health = await world.call("GET", f"/api/settings/connections/health{query}")
        assert status == 200 and "summary" in health and health["timestamp"]
    status, system = await world.call("GET", "/api/system/status", token=None)
    assert status == 200 and system["features"]["batchProcessing"] == "enabled"


async def test_batch_test_takes_the_specifications_kinds(world: World) -> None:
    ids = [world.ids["binance-spot"], world.ids["okx-spot"]]
    answers = {}
    for kind in ("all", "connection", "balance", "capabilities", "health"):
        status, answers[kind] = await world.call(
            "POST", "/api/settings/connections/batch-test", body={"connectionIds": ids, "testType": kind}
        )
        assert status == 200 and answers[kind]["successful"] == 2, (kind, answers[kind])
    binance = answers["capabilities"]["results"][ids[0]]
    assert {"fetch_ticker", "fetch_balance", "create_order"} <= set(binance["capabilities"])
    assert "read" in binance["permissions"]
    assert answers["balance"]["results"][ids[0]]["balance"] > 0
    status, refused = await world.call(
        "POST", "/api/settings/connections/batch-test", body={"connectionIds": ids, "testType": "everything"}
    )
    assert status == 422 and "testType" in refused["error"]


async def test_docs_is_a_self_contained_reference_of_the_same_table(world: World) -> None:
    status, page = await world.call("GET", "/docs", token=None)
    _, spec = await world.call("GET", "/openapi.json", token=None)
    assert status == 200 and page.startswith("<!doctype html>")
    for path in spec["paths"]:
        assert path in page
    assert "http://" not in page.replace('href="/openapi.json"', "") and "https://" not in page  # no CDN
    assert "<script" not in page and "connectionIds" in page and "testType" in page


async def test_metrics_show_the_pool_utilisation_and_reuse(world: World) -> None:
    coordinator = world.runtime.coordinator
    await asyncio.gather(*(coordinator.test_connection(i) for i in world.ids.values()))
    status, text = await world.call("GET", "/metrics", token=None)
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(text)}
    reuse = families["cts_http_pool_reuse_ratio"].samples[0].value
    assert 0 < reuse <= 1
    assert 0 <= families["cts_http_pool_utilization_ratio"].samples[0].value <= 1
    uses = {s.labels["use"] for s in families["cts_http_pool_connections"].samples}
    assert uses == {"in_use", "idle"}
    reused = [s for s in families["cts_http_pool_requests"].samples if s.labels["connection"] == "reused"]
    assert sum(s.value for s in reused) > 0


async def test_the_token_is_still_required_for_what_changes_or_reveals(world: World) -> None:
    for method, path, body in [
        ("POST", "/api/settings/connections", CREATE_BODY),
        ("GET", "/api/settings/connections?exchange=bybit", None),
        ("POST", "/api/v1/exchanges/health-check", None),
    ]:
        status, _ = await world.call(method, path, body=body, token=None)
        assert status == 401
    for path in ("/health", "/metrics", "/api/v1/exchanges/status", "/docs"):
        status, _ = await world.call("GET", path, token=None)
        assert status == 200
