"""The simulated Pionex over raw HTTP, signed as Pionex's documentation says (no ccxt exists for
it): the documented worked example is accepted end to end, tampering, wrong keys and stale
timestamps are refused with Pionex's codes, and the weight limits answer 429."""

from __future__ import annotations

import time
from urllib.parse import urlencode

import aiohttp
import pytest

from cts_tui.sim import AccountSpec, Simulator
from cts_tui.sim.exchanges import _pionex_auth
from tests.sim._ccxt_point import only
from tests.sim.test_sim_signing import (
    PIONEX_DOC_BODY,
    PIONEX_DOC_QUERY,
    PIONEX_DOC_SECRET,
    PIONEX_DOC_SIGNATURE,
)

ACCOUNTS = [
    AccountSpec(name="main", balances={"spot": {"USDT": 1234.5}, "perpetual_futures": {"USDT": 777.0}}),
    AccountSpec(name="doc", secret=PIONEX_DOC_SECRET),
    AccountSpec(name="noread", permissions=frozenset({"trade"})),
]


@pytest.fixture
async def sim():
    async with Simulator(only("pionex", accounts=ACCOUNTS)) as simulator:
        yield simulator


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def signed_get(http: aiohttp.ClientSession, sim: Simulator, path: str, params: dict | None = None,
                     account: str = "main", secret: str | None = None, timestamp: int | None = None) -> tuple[int, dict]:
    acct = sim.account("pionex", account)
    query = {**(params or {}), "timestamp": str(timestamp or int(time.time() * 1000))}
    signature = _pionex_auth.signature(secret or acct.secret, "GET", path, query.items())
    headers = {"PIONEX-KEY": acct.api_key, "PIONEX-SIGNATURE": signature}
    async with http.get(f"{sim.base_url('pionex')}{path}?{urlencode(query)}", headers=headers) as response:
        return response.status, await response.json()


async def test_documented_worked_example_is_accepted_end_to_end(sim: Simulator, http: aiohttp.ClientSession) -> None:
    documented_ms = int(dict(PIONEX_DOC_QUERY)["timestamp"])
    await sim.set_fault("pionex", clock_skew_ms=documented_ms - int(time.time() * 1000))
    key = sim.account("pionex", "doc").api_key
    url = f"{sim.base_url('pionex')}/api/v1/trade/allOrders?{urlencode(PIONEX_DOC_QUERY)}"
    async with http.get(url, data=PIONEX_DOC_BODY,
                        headers={"PIONEX-KEY": key, "PIONEX-SIGNATURE": PIONEX_DOC_SIGNATURE}) as response:
        assert response.status == 200
        assert (await response.json())["result"] is True
    async with http.get(url, data=PIONEX_DOC_BODY.replace("BTC", "ETH"),
                        headers={"PIONEX-KEY": key, "PIONEX-SIGNATURE": PIONEX_DOC_SIGNATURE}) as response:
        assert response.status == 401
        assert (await response.json())["code"] == "INVALID_SIGNATURE"


async def test_public_endpoints(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.set_limits("pionex", ip_weight_per_s=100)  # two symbol lists (weight 5 each) and tickers in one second
    base = sim.base_url("pionex")
    async with http.get(f"{base}/api/v1/common/symbols") as response:
        body = await response.json()
    assert body["result"] is True and isinstance(body["timestamp"], int)
    spot = {row["symbol"]: row for row in body["data"]["symbols"]}
    assert spot["BTC_USDT"]["type"] == "SPOT" and spot["BTC_USDT"]["baseCurrency"] == "BTC"
    async with http.get(f"{base}/api/v1/common/symbols", params={"type": "PERP"}) as response:
        perp = {row["symbol"] for row in (await response.json())["data"]["symbols"]}
    assert "BTC_USDT_PERP" in perp
    async with http.get(f"{base}/api/v1/market/tickers", params={"symbol": "BTC_USDT"}) as response:
        ticker = (await response.json())["data"]["tickers"][0]
    assert ticker["symbol"] == "BTC_USDT" and float(ticker["close"]) > 0
    async with http.get(f"{base}/api/v1/market/tickers", params={"symbol": "BTC_USDT_PERP"}) as response:
        assert (await response.json())["data"]["tickers"][0]["symbol"] == "BTC_USDT_PERP"
    # Market data of perpetuals is under /api/v1 too: /uapi/v1 holds the futures account only
    async with http.get(f"{base}/uapi/v1/market/tickers", params={"symbol": "BTC_USDT_PERP"}) as response:
        assert response.status == 404 and (await response.json())["code"] == "NOT_FOUND"


async def test_order_book_of_both_kinds_weighs_as_documented(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = sim.base_url("pionex")
    async with http.get(f"{base}/api/v1/market/depth", params={"symbol": "BTC_USDT"}) as response:
        spot = (await response.json())["data"]
    assert len(spot["bids"]) == len(spot["asks"]) == 20
    assert float(spot["bids"][0][0]) < float(spot["asks"][0][0]) and isinstance(spot["updateTime"], int)
    async with http.get(f"{base}/api/v1/market/depth", params={"symbol": "BTC_USDT_PERP", "limit": "5"}) as response:
        assert len((await response.json())["data"]["asks"]) == 5
    assert [e.weight for e in sim.journal.entries(exchange="pionex")] == [1, 5]


@pytest.mark.parametrize(("params", "code"), [({}, "MARKET_PARAMETER_ERROR"),
                                              ({"symbol": "NOPE_USDT"}, "MARKET_INVALID_SYMBOL"),
                                              ({"symbol": "BTC_USDT", "limit": "1001"}, "MARKET_PARAMETER_ERROR")])
async def test_order_book_refuses_bad_parameters(sim: Simulator, http: aiohttp.ClientSession, params: dict,
                                                 code: str) -> None:
    async with http.get(f"{sim.base_url('pionex')}/api/v1/market/depth", params=params) as response:
        assert response.status == 400 and (await response.json())["code"] == code


async def test_spot_and_futures_balances(sim: Simulator, http: aiohttp.ClientSession) -> None:
    status, body = await signed_get(http, sim, "/api/v1/account/balances")
    assert status == 200 and {"coin": "USDT", "free": "1234.50000000", "frozen": "0.00000000"} in body["data"]["balances"]
    status, body = await signed_get(http, sim, "/uapi/v1/account/balances")
    assert status == 200 and body["data"]["balances"][0]["free"] == "777.00000000"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "not-the-secret"}, "INVALID_SIGNATURE"),
        ({"timestamp": -25_000}, "INVALID_TIMESTAMP"),  # offsets from now, applied when the test runs
        ({"timestamp": +25_000}, "INVALID_TIMESTAMP"),
        ({"account": "noread"}, "PERMISSION_DENIED"),
    ],
)
async def test_refusals_carry_pionex_codes(sim: Simulator, http: aiohttp.ClientSession, change: dict, code: str) -> None:
    if "timestamp" in change:
        change = change | {"timestamp": int(time.time() * 1000) + change["timestamp"]}
    status, body = await signed_get(http, sim, "/api/v1/account/balances", **change)
    assert body == {"result": False, "code": code, "message": body["message"], "timestamp": body["timestamp"]}
    assert status in (401, 403)


async def test_missing_or_unknown_key(sim: Simulator, http: aiohttp.ClientSession) -> None:
    url = f"{sim.base_url('pionex')}/api/v1/account/balances?timestamp={int(time.time() * 1000)}"
    for headers, code in (({}, "APIKEY_LOST"), ({"PIONEX-KEY": "x"}, "SIGNATURE_LOST"),
                          ({"PIONEX-KEY": "x", "PIONEX-SIGNATURE": "00"}, "INVALID_APIKEY")):
        async with http.get(url, headers=headers) as response:
            assert (await response.json())["code"] == code


async def test_ip_weight_limit_counts_endpoint_weights(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.set_limits("pionex", ip_weight_per_s=4)  # below the symbol list's weight of 5, above a ticker's 1
    base = sim.base_url("pionex")
    async with http.get(f"{base}/api/v1/market/tickers", params={"symbol": "BTC_USDT"}) as response:
        assert response.status == 200
    async with http.get(f"{base}/api/v1/common/symbols") as response:
        assert response.status == 429
        assert (await response.json())["result"] is False
    assert [(e.weight, e.outcome) for e in sim.journal.entries(exchange="pionex")] == [(1, "ok"), (5, "rate_limited")]


async def test_account_weight_limit_answers_429(sim: Simulator, http: aiohttp.ClientSession) -> None:
    sim.set_limits("pionex", account_weight_per_s=2, ip_weight_per_s=1000)
    statuses = [(await signed_get(http, sim, "/api/v1/account/balances"))[0] for _ in range(3)]
    assert 429 in statuses and statuses[0] == 200
    assert sim.journal.entries(exchange="pionex", outcome="rate_limited")
