"""An exchange that answers nonsense (``200 {}``, an endless body) seen through the REST API:
every call answers promptly, never 500, and no connection is left "testing"."""

from __future__ import annotations

import asyncio

import pytest

from .world import World

PROMPT_S = 15.0  # a hang is what this catches; each request times out in far less


@pytest.mark.parametrize("mutation", ["empty", "trickle"])
async def test_tests_batches_and_edits_answer_without_500_and_leave_nothing_testing(world: World, mutation: str) -> None:
    sim = world.demo.simulator
    coordinator = world.runtime.coordinator
    config = coordinator.config.model_copy(deep=True)
    for exchange in ("binance", "htx", "okx"):
        config.limits(exchange).timeout_ms = 300  # an endless body costs 300 ms, not the default 10 s
        await sim.set_fault(exchange, mutate=mutation)
    await coordinator.reload_config(config)
    ids = world.ids

    async def call(method: str, path: str, body: object = None) -> tuple[int, object]:
        return await asyncio.wait_for(world.call(method, path, body=body), PROMPT_S)

    status, body = await call("POST", f"/api/settings/connections/{ids['binance-spot']}/test")
    assert status == 200 and body["success"] is False, body
    status, body = await call(
        "POST", "/api/settings/connections/batch-test",
        body={"connectionIds": [ids["htx-spot"], ids["okx-spot"]], "testType": "all"},
    )
    assert status == 200 and body["failed"] == 2, body
    status, body = await call("GET", "/api/v1/exchanges/test-connection/binance")
    assert status < 500, body
    current = coordinator.connection_model(ids["okx-spot"]).base_url
    status, body = await call("PATCH", f"/api/settings/connections/{ids['okx-spot']}", body={"base_url": current + "/"})
    assert status == 200, body
    status, body = await call("GET", "/api/settings/connections/health")
    assert status < 500
    await sim.clear_faults()
    states = {view.name: view.state.value for view in coordinator.get_all_connections()}
    assert "testing" not in states.values(), states
    results = [coordinator.snapshot().connection(ids[name]).last_test for name in ("binance-spot", "htx-spot", "okx-spot")]
    assert all(r is not None and r.error_kind == "bad_response" for r in results), results
