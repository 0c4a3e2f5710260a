"""The control API: faults, limits, the journal and reset over HTTP, as another process uses it."""

from __future__ import annotations

import aiohttp

from cts_tui.sim import Simulator


async def test_info_faults_limits_journal_and_reset(simulator: Simulator) -> None:
    control = simulator.control_url
    time_url = simulator.base_url("binance") + "/api/v3/time"
    async with aiohttp.ClientSession() as http:
        async with http.get(control) as response:
            assert await response.json() == simulator.info()
        async with http.post(control + "/faults/binance", json={"maintenance": True}) as response:
            assert (await response.json())["maintenance"] is True
        async with http.get(time_url) as response:
            assert response.status == 503
        async with http.get(control + "/faults") as response:
            faults = await response.json()
            assert faults["binance"]["maintenance"] and not faults["okx"]["maintenance"]
        async with http.delete(control + "/faults") as response:
            assert response.status == 200
        async with http.post(control + "/limits/binance", json={"spot_weight_per_minute": 7}) as response:
            assert (await response.json())["spot_weight_per_minute"] == 7
        async with http.get(time_url) as response:
            assert response.status == 200
        async with http.get(control + "/journal", params={"exchange": "binance", "limit": "1"}) as response:
            journal = await response.json()
            assert journal["total"] == 2
            assert journal["entries"][0]["outcome"] == "ok" and journal["entries"][0]["status"] == 200
        async with http.post(control + "/reset") as response:
            assert response.status == 200
        async with http.get(control + "/limits/binance") as response:
            assert (await response.json())["spot_weight_per_minute"] == 6000
    assert len(simulator.journal) == 0


async def test_bad_control_input_is_a_one_line_400(simulator: Simulator) -> None:
    control = simulator.control_url
    async with aiohttp.ClientSession() as http:
        for url, body in ((control + "/faults/binance", {"latency_ms": -1}),
                          (control + "/faults/binance", {"no_such_fault": 1}),
                          (control + "/faults/nowhere", {"maintenance": True}),
                          (control + "/limits/binance", {"no_such_limit": 1})):
            async with http.post(url, json=body) as response:
                assert response.status == 400
                assert "\n" not in (await response.json())["error"]
        async with http.post(control + "/faults/binance", data=b"[1, 2]") as response:
            assert response.status == 400
        async with http.get(control + "/journal", params={"since_mono": "soon"}) as response:
            assert response.status == 400
    assert simulator.faults("binance").latency_ms == 0


async def test_a_response_mutation_is_set_over_the_control_api_per_endpoint(simulator: Simulator) -> None:
    control = simulator.control_url
    base = simulator.base_url("binance")
    async with aiohttp.ClientSession() as http:
        async with http.post(control + "/faults/binance", json={"mutate": "nulls", "mutate_endpoints": ["/api/v3/time"]}) as response:
            assert (await response.json())["mutate"] == "nulls"
        async with http.get(base + "/api/v3/time") as response:
            assert await response.json() == {"serverTime": None}
        async with http.get(base + "/api/v3/ticker/price", params={"symbol": "BTCUSDT"}) as response:
            assert (await response.json())["price"] is not None  # another endpoint: untouched
        async with http.post(control + "/faults/binance", json={"mutate": "content_type", "mutate_endpoints": []}) as response:
            assert response.status == 200
        async with http.get(base + "/api/v3/time") as response:
            assert response.content_type == "text/html" and "serverTime" in await response.text()
        async with http.post(control + "/faults/binance", json={"mutate": "sideways"}) as response:
            assert response.status == 400
    assert [e.outcome for e in simulator.journal.entries("binance")][-1] == "fault:mutate:content_type"
