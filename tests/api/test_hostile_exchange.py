"""An exchange that answers nonsense (``200 {}``, an endless body) seen through the REST API:
every call answers promptly, never 500, and no connection is left "testing"."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from cryptography.fernet import Fernet

from cts_tui.sim import Simulator

from .test_serve import TOKEN as SERVE_TOKEN
from .test_serve import seeded_store, serving
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


async def test_a_real_serve_facing_an_exchange_that_answers_200_empty(sim: Simulator, tmp_path: Path) -> None:
    """The issue's repro through ``cts-tui serve``: the test, the batch, the exchange test and a
    PATCH of base_url all answer promptly without 500, and nothing stays "testing"."""
    key = Fernet.generate_key().decode()
    db = tmp_path / "serve.db"
    await seeded_store(sim, db, key)
    await sim.set_fault("binance", mutate="empty")
    env = {"CTS_MASTER_KEY": key, "CTS_API_TOKEN": SERVE_TOKEN}
    async with serving("--db", str(db), env=env) as served:
        headers = {"Authorization": f"Bearer {SERVE_TOKEN}"}
        async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=PROMPT_S)) as http:
            async def call(method: str, path: str, body: object = None) -> tuple[int, object]:
                async with http.request(method, served.url + path, json=body) as response:
                    return response.status, await response.json()

            _, listed = await call("GET", "/api/settings/connections")
            conn = listed["connections"][0]
            status, body = await call("POST", f"/api/settings/connections/{conn['id']}/test")
            assert status == 200 and body["success"] is False
            status, body = await call("POST", "/api/settings/connections/batch-test", {"connectionIds": [conn["id"]]})
            assert status == 200 and body["failed"] == 1
            status, _ = await call("GET", "/api/v1/exchanges/test-connection/binance")
            assert status < 500
            status, body = await call("PATCH", f"/api/settings/connections/{conn['id']}", {"base_url": conn["base_url"] + "/"})
            assert status == 200, body
            _, listed = await call("GET", "/api/settings/connections")
            assert listed["connections"][0]["state"] != "testing"
        assert b"Traceback" not in served.errors
