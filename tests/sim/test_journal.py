"""The journal records every request as the server saw it, and nothing secret."""

from __future__ import annotations

import time

import aiohttp

from cts_tui.sim import Journal, JournalEntry, Scenario, Simulator
from tests.sim.ccxt_clients import ccxt_client


async def test_every_request_is_recorded_with_times_account_weight_status_and_outcome(simulator: Simulator) -> None:
    wall, mono = time.time(), time.monotonic()
    exchange = ccxt_client(simulator, "binance")
    try:
        await exchange.fetch_time()
        await exchange.private_get_account()
    finally:
        await exchange.close()
    async with aiohttp.ClientSession() as http:
        async with http.get(simulator.base_url("binance") + "/api/v3/nowhere") as response:
            assert response.status == 404
    first, second, third = simulator.journal.entries(exchange="binance")
    assert (first.endpoint, first.account, first.weight, first.status, first.outcome) == (
        "/api/v3/time", None, 1, 200, "ok")
    assert (second.endpoint, second.account, second.weight, second.method) == ("/api/v3/account", "main", 20, "GET")
    assert (third.status, third.outcome) == (404, "not_found")
    assert wall <= first.wall <= second.wall <= time.time()
    assert mono <= first.mono <= second.mono <= time.monotonic()
    account = simulator.account("binance")
    assert all(account.api_key not in str(e.as_dict()) and account.secret not in str(e.as_dict())
               for e in simulator.journal)


async def test_journal_is_bounded() -> None:
    async with Simulator(Scenario(journal_size=100)) as sim, aiohttp.ClientSession() as http:
        for _ in range(130):
            async with http.get(sim.base_url("okx") + "/api/v5/market/ticker", params={"instId": "BTC-USDT"}):
                pass
        assert len(sim.journal) == 100


def _entry(mono: float, weight: int = 1) -> JournalEntry:
    return JournalEntry(0.0, mono, "binance", "GET", "/api/v3/time", None, weight, 200, "ok")


def test_max_in_window_finds_the_busiest_rolling_window() -> None:
    entries = [_entry(0.0), _entry(0.5), _entry(0.9, 5), _entry(1.2), _entry(2.5)]
    assert Journal.max_in_window(entries, 1.0) == 3
    assert Journal.max_in_window(entries, 1.0, weighted=True) == 7
    assert Journal.max_in_window([], 1.0) == 0
