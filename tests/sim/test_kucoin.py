"""Unmodified ccxt `kucoin` and `kucoinfutures` against the simulated KuCoin: its two hosts (spot
and cross margin; futures), the passphrase signed with the secret (key version 2), KuCoin's
refusals (400003, 400004, 400005, 400002), its resource pools with their gw-ratelimit-* headers
and 429000, and the stream token that names the stream server."""

from __future__ import annotations

import time

import aiohttp
import ccxt.async_support as ccxt
import pytest

from cts_tui.sim import Simulator
from tests.sim._ccxt_point import point
from tests.sim.ccxt_clients import ccxt_client


def _futures(sim: Simulator) -> ccxt.kucoinfutures:
    """KuCoin's futures class (ccxt's own throttle off: it would only slow the test)."""
    acct = sim.account("kucoin")
    settings = {"apiKey": acct.api_key, "secret": acct.secret, "password": acct.passphrase, "enableRateLimit": False}
    return point(ccxt.kucoinfutures(settings), sim.hosts("kucoin"))


async def test_spot_and_futures_classes_read_time_tickers_balances_and_the_key(sim: Simulator) -> None:
    spot, futures = ccxt_client(sim, "kucoin", enableRateLimit=False), _futures(sim)
    try:
        assert abs(await futures.fetch_time() - time.time() * 1000) < 5_000
        ticker = await spot.fetch_ticker("BTC/USDT")
        assert ticker["bid"] < ticker["last"] < ticker["ask"]
        assert (await futures.fetch_ticker("BTC/USDT:USDT"))["last"] > 0
        assert {k: v for k, v in (await spot.fetch_balance())["total"].items() if v} == \
            sim.account("kucoin").balance("spot")
        assert (await futures.fetch_balance())["total"]["USDT"] == sim.account("kucoin").balance("perpetual_futures")["USDT"]
        margin = (await spot.fetch_balance({"type": "margin"}))["total"]
        assert {k: v for k, v in margin.items() if v} == sim.account("kucoin").balance("margin")
        key = (await spot.private_get_user_api_key())["data"]
        assert key["apiKey"] == sim.account("kucoin").api_key and key["permission"].startswith("General,Spot")
    finally:
        await spot.close()
        await futures.close()
    hosts = {e.endpoint: e.account for e in sim.journal.entries(exchange="kucoin")}
    assert hosts["/api/v1/account-overview"] == hosts["/api/v1/accounts"] == "main"


@pytest.mark.parametrize(("field", "code"), [("apiKey", "400003"), ("password", "400004"), ("secret", "400005")])
async def test_a_wrong_credential_is_refused_with_its_own_code(sim: Simulator, field: str, code: str) -> None:
    exchange = ccxt_client(sim, "kucoin", enableRateLimit=False, **{field: "wrong-" + "x" * 24})
    try:
        with pytest.raises(ccxt.AuthenticationError, match=code):
            await exchange.fetch_balance({"type": "trade"})
    finally:
        await exchange.close()


async def test_a_timestamp_5_s_off_is_refused(sim: Simulator) -> None:
    await sim.set_fault("kucoin", clock_skew_ms=6_000)
    exchange = ccxt_client(sim, "kucoin", enableRateLimit=False)
    try:
        with pytest.raises(ccxt.InvalidNonce, match="400002"):
            await exchange.fetch_balance({"type": "trade"})
    finally:
        await exchange.close()
        await sim.clear_faults("kucoin")


async def test_a_pool_answers_its_quota_and_429000_once_spent(sim: Simulator) -> None:
    sim.set_limits("kucoin", public_per_30s=10)  # the server time weighs 3
    url = sim.base_url("kucoin") + "/api/v1/timestamp"
    async with aiohttp.ClientSession() as http:
        seen = []
        for _ in range(4):
            async with http.get(url) as response:
                seen.append((response.status, response.headers["gw-ratelimit-limit"],
                             response.headers["gw-ratelimit-remaining"], await response.json()))
            reset_ms = int(response.headers["gw-ratelimit-reset"])
    assert [s[:3] for s in seen] == [(200, "10", "7"), (200, "10", "4"), (200, "10", "1"), (429, "10", "1")]
    assert seen[-1][3] == {"code": "429000", "msg": "Too Many Requests"} and 0 < reset_ms <= 30_000
    async with aiohttp.ClientSession() as http, http.get(sim.base_url("kucoin", "api-futures.kucoin.com")
                                                         + "/api/v1/contracts/active") as response:
        assert response.status == 429  # one Public pool per IP for both hosts


async def test_the_stream_token_names_the_local_stream_server_which_welcomes_and_acks(sim: Simulator) -> None:
    sim.streams.set_interval(0.05, "kucoin")
    async with aiohttp.ClientSession() as http:
        async with http.post(sim.base_url("kucoin") + "/api/v1/bullet-public") as response:
            data = (await response.json())["data"]
        server = data["instanceServers"][0]
        assert server["endpoint"] == sim.hosts("kucoin")["ws-api-spot.kucoin.com"] + "/"
        url = f"{server['endpoint']}?token={data['token']}&connectId=c1"
        async with http.ws_connect(url) as ws:
            assert await ws.receive_json() == {"id": "c1", "type": "welcome"}
            await ws.send_json({"id": "1", "type": "ping"})
            assert (await ws.receive_json())["type"] == "pong"
            await ws.send_json({"id": "2", "type": "subscribe", "topic": "/market/ticker:NOPE-USDT", "response": True})
            assert (await ws.receive_json())["code"] == 404
            await ws.send_json({"id": "3", "type": "subscribe", "topic": "/market/ticker:BTC-USDT", "response": True})
            assert await ws.receive_json() == {"id": "3", "type": "ack"}
            assert (await ws.receive_json())["subject"] == "trade.ticker"
        async with http.ws_connect(server["endpoint"]) as ws:  # no token
            assert (await ws.receive_json())["data"] == "token is expired"


async def test_one_path_on_both_hosts_draws_on_each_hosts_own_pool(sim: Simulator) -> None:
    sim.set_limits("kucoin", futures_per_30s=4)  # an order list weighs 2: two fit in the Futures pool
    spot, futures = ccxt_client(sim, "kucoin", enableRateLimit=False), _futures(sim)
    try:
        await futures.load_markets()
        for _ in range(2):
            assert await futures.fetch_open_orders("BTC/USDT:USDT") == []
        with pytest.raises(ccxt.RateLimitExceeded, match="429000"):
            await futures.fetch_open_orders("BTC/USDT:USDT")
        assert await spot.fetch_open_orders("BTC/USDT") == []  # the Spot pool was not touched
    finally:
        await spot.close()
        await futures.close()
    lists = [(e.status, e.weight) for e in sim.journal.entries(exchange="kucoin") if e.endpoint == "/api/v1/orders"]
    assert lists == [(200, 2), (200, 2), (429, 2), (200, 2)]
