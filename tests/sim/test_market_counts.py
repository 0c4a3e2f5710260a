"""Large market lists (the memory benchmarks use ~2,000) load completely through unmodified ccxt,
and Bybit pages its instruments list as Bybit does."""

from __future__ import annotations

import aiohttp
import pytest

from cts_tui.sim import ExchangeScenario, Scenario, Simulator
from tests.sim.ccxt_clients import ccxt_client


@pytest.mark.parametrize("exchange_id", ["binance", "bybit", "okx", "bingx"])
async def test_two_thousand_markets_load_completely(exchange_id: str) -> None:
    scenario = Scenario(exchanges={exchange_id: ExchangeScenario(markets=2000)})
    async with Simulator(scenario) as sim:
        exchange = ccxt_client(sim, exchange_id, account=None)
        try:
            markets = await exchange.load_markets()
        finally:
            await exchange.close()
        assert len(markets) == len(sim.exchange(exchange_id).ctx.markets) == 2000


async def test_bybit_pages_instruments_by_cursor() -> None:
    async with Simulator(Scenario(exchanges={"bybit": ExchangeScenario(markets=2000)})) as sim:
        url = sim.base_url("bybit") + "/v5/market/instruments-info"
        symbols: list[str] = []
        cursor = ""
        async with aiohttp.ClientSession() as http:
            while True:
                params = {"category": "linear", "limit": "400", "cursor": cursor}
                async with http.get(url, params=params) as response:
                    result = (await response.json())["result"]
                symbols += [row["symbol"] for row in result["list"]]
                cursor = result["nextPageCursor"]
                if not cursor:
                    break
            async with http.get(url, params={"category": "linear"}) as response:
                assert len((await response.json())["result"]["list"]) == 500  # Bybit's default page
        linear = [m for m in sim.exchange("bybit").ctx.markets if m.kind.startswith("linear")]
        assert len(symbols) == len(set(symbols)) == len(linear) > 800
