"""Each fault kind as a client sees it, through aiohttp and through unmodified ccxt."""

from __future__ import annotations

import json

import aiohttp
import ccxt.async_support as ccxt
import pytest

from cts_tui.sim import ExchangeScenario, FaultSpec, Scenario, Simulator
from tests.sim.ccxt_clients import ccxt_client

SHORT = aiohttp.ClientTimeout(total=0.3)


def time_url(sim: Simulator) -> str:
    return sim.base_url("binance") + "/api/v3/time"


async def test_latency_makes_a_short_timeout_expire(simulator: Simulator) -> None:
    await simulator.set_fault("binance", latency_ms=600, jitter_ms=100)
    async with aiohttp.ClientSession() as http:
        with pytest.raises(TimeoutError):
            async with http.get(time_url(simulator), timeout=SHORT):
                pass
        await simulator.set_fault("binance", latency_ms=0, jitter_ms=0)
        async with http.get(time_url(simulator), timeout=SHORT) as response:
            assert response.status == 200


async def test_error_rate_answers_that_share_with_5xx_deterministically(simulator: Simulator) -> None:
    await simulator.set_fault("binance", error_rate=0.5)
    statuses = []
    async with aiohttp.ClientSession() as http:
        for _ in range(40):
            async with http.get(time_url(simulator)) as response:
                statuses.append(response.status)
    assert set(statuses) == {200, 503} and 10 <= statuses.count(503) <= 30
    outcomes = [e.outcome for e in simulator.journal.entries(exchange="binance")]
    assert outcomes.count("fault:server_error") == statuses.count(503)
    async with Simulator() as again:  # the same seed fails the same requests
        await again.set_fault("binance", error_rate=0.5)
        async with aiohttp.ClientSession() as http:
            repeated = []
            for _ in range(40):
                async with http.get(time_url(again)) as response:
                    repeated.append(response.status)
    assert repeated == statuses


@pytest.mark.parametrize(("outage", "error"), [
    ("refused", ccxt.ExchangeNotAvailable), ("reset", ccxt.NetworkError), ("hang", ccxt.RequestTimeout),
])
async def test_outages_as_ccxt_sees_them(simulator: Simulator, outage: str, error: type[Exception]) -> None:
    exchange = ccxt_client(simulator, "binance", timeout=300)
    try:
        assert await exchange.fetch_time() > 0  # a pooled connection exists before the outage
        await simulator.set_fault("binance", outage=outage)
        with pytest.raises(error):
            await exchange.fetch_time()
        await simulator.clear_faults()
        assert await exchange.fetch_time() > 0  # the same port serves again
    finally:
        await exchange.close()


async def test_refused_outage_closes_the_port(simulator: Simulator) -> None:
    await simulator.set_fault("binance", outage="refused")
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            async with http.get(time_url(simulator)):
                pass
    assert simulator.journal.entries(exchange="binance") == []  # nothing arrived


async def test_an_outage_given_by_the_scenario_is_active_from_the_start() -> None:
    scenario = Scenario(exchanges={"okx": ExchangeScenario(faults=FaultSpec(outage="refused"))})
    async with Simulator(scenario) as sim, aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectorError):
            async with http.get(sim.base_url("okx") + "/api/v5/public/time"):
                pass
        await sim.clear_faults()
        async with http.get(sim.base_url("okx") + "/api/v5/public/time") as response:
            assert response.status == 200


async def test_rate_limit_storm_is_the_exchanges_own_429(simulator: Simulator) -> None:
    await simulator.set_fault("binance", rate_limit_storm=True)
    exchange = ccxt_client(simulator, "binance")
    try:
        with pytest.raises(ccxt.DDoSProtection, match="429"):
            await exchange.fetch_time()
    finally:
        await exchange.close()
    assert simulator.journal.entries()[-1].outcome == "fault:rate_limit_storm"


async def test_maintenance_in_each_exchanges_own_words(simulator: Simulator) -> None:
    for name in ("binance", "okx", "bybit", "bingx"):
        await simulator.set_fault(name, maintenance=True)
    okx = ccxt_client(simulator, "okx")
    binance = ccxt_client(simulator, "binance")
    try:
        with pytest.raises(ccxt.OnMaintenance, match="50001"):
            await okx.fetch_time()
        with pytest.raises(ccxt.ExchangeNotAvailable, match="503"):
            await binance.fetch_time()
        assert (await binance.sapi_get_system_status())["status"] == 1  # Binance's own maintenance flag
        with pytest.raises(ccxt.OnMaintenance, match="System is under maintenance"):
            await binance.sapi_get_capital_config_getall()  # the wallet API says so itself
    finally:
        await okx.close()
        await binance.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(simulator.base_url("bybit") + "/v5/market/time") as response:
            assert (await response.json())["retCode"] == 10016
        async with http.get(simulator.base_url("bingx") + "/openApi/swap/v2/server/time") as response:
            assert response.status == 503 and (await response.json())["code"] == 100503


async def test_malformed_bodies(simulator: Simulator) -> None:
    async with aiohttp.ClientSession() as http:
        await simulator.set_fault("binance", malformed="html")
        async with http.get(time_url(simulator)) as response:
            assert response.status == 200 and response.content_type == "text/html"
            assert (await response.text()).startswith("<!DOCTYPE html>")
        await simulator.set_fault("binance", malformed="truncated")
        async with http.get(time_url(simulator)) as response:
            assert response.status == 200 and response.content_type == "application/json"
            with pytest.raises(json.JSONDecodeError):
                json.loads(await response.text())
    outcomes = [e.outcome for e in simulator.journal.entries(exchange="binance")]
    assert outcomes == ["fault:html", "fault:truncated"]


async def test_clock_skew_moves_the_server_time(simulator: Simulator) -> None:
    exchange = ccxt_client(simulator, "binance")
    try:
        before = await exchange.fetch_time()
        await simulator.set_fault("binance", clock_skew_ms=3_600_000)
        assert 3_590_000 < await exchange.fetch_time() - before < 3_610_000
    finally:
        await exchange.close()


async def test_faults_are_per_exchange(simulator: Simulator) -> None:
    await simulator.set_fault("binance", maintenance=True)
    async with aiohttp.ClientSession() as http:
        async with http.get(simulator.base_url("okx") + "/api/v5/public/time") as response:
            assert response.status == 200
    assert simulator.faults("okx") == FaultSpec()
