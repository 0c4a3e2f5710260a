"""The simulated OrangeX over raw JSON-RPC (no ccxt exists for it): both grant types, the bearer
token on private methods, expiry and refresh, wrong credentials, and the envelope's timings."""

from __future__ import annotations

import time

import aiohttp
import pytest

from cts_tui.sim import AccountSpec, Simulator
from cts_tui.sim.exchanges import _orangex_auth
from tests.sim._ccxt_point import only

ACCOUNTS = [
    AccountSpec(name="main", balances={"spot": {"USDT": 321.0}, "perpetual_futures": {"USDT": 99.0}}),
    AccountSpec(name="noread", permissions=frozenset({"trade"})),
]


@pytest.fixture
async def sim():
    async with Simulator(only("orangex", accounts=ACCOUNTS, limits={"token_ttl_s": 60})) as simulator:
        yield simulator


@pytest.fixture
async def rpc(sim: Simulator):
    async with aiohttp.ClientSession() as session:
        async def call(method: str, params: dict | None = None, token: str | None = None) -> tuple[int, dict]:
            headers = {"Authorization": f"bearer {token}"} if token else {}
            body = {"jsonrpc": "2.0", "id": 7, "method": method, "params": params or {}}
            async with session.post(f"{sim.base_url('orangex')}/api/v1{method}", json=body, headers=headers) as r:
                return r.status, await r.json()
        yield call


def credentials(sim: Simulator, account: str = "main") -> dict:
    acct = sim.account("orangex", account)
    return {"grant_type": "client_credentials", "client_id": acct.api_key, "client_secret": acct.secret}


def signature_grant(sim: Simulator, timestamp_ms: int | None = None, secret: str | None = None) -> dict:
    acct = sim.account("orangex")
    timestamp = str(timestamp_ms or int(time.time() * 1000))
    signature = _orangex_auth.client_signature(acct.api_key, secret or acct.secret, timestamp, "n0nce")
    return {"grant_type": "client_signature", "client_id": acct.api_key, "timestamp": timestamp,
            "nonce": "n0nce", "signature": signature}


async def test_public_methods_and_envelope(rpc) -> None:
    status, body = await rpc("/public/get_instruments", {"currency": "SPOT"})
    assert status == 200 and body["jsonrpc"] == "2.0" and body["id"] == 7
    assert body["usOut"] - body["usIn"] == body["usDiff"] >= 0
    names = {row["instrument_name"] for row in body["result"]}
    assert "BTC-USDT-SPOT" in names and not any(n.endswith("PERPETUAL") for n in names)
    _, perp = await rpc("/public/get_instruments", {"currency": "PERPETUAL"})
    assert "BTC-USDT-PERPETUAL" in {row["instrument_name"] for row in perp["result"]}
    _, tickers = await rpc("/public/tickers", {"instrument_name": "BTC-USDT-SPOT"})
    ticker = tickers["result"][0]
    assert float(ticker["best_bid_price"]) < float(ticker["best_ask_price"])
    _, unknown = await rpc("/public/no_such_method")
    assert unknown["error"] == {"code": 1000, "message": "No service found"}


async def test_order_book_by_json_rpc_and_by_get(sim: Simulator, rpc) -> None:
    _, body = await rpc("/public/get_order_book", {"instrument_name": "BTC-USDT-PERPETUAL", "depth": 5})
    book = body["result"]
    assert book["instrument_name"] == "BTC-USDT-PERPETUAL" and len(book["bids"]) == len(book["asks"]) == 5
    assert float(book["bids"][0][0]) < float(book["asks"][0][0]) and book["best_bid_price"] == book["bids"][0][0]
    async with aiohttp.ClientSession() as session, session.get(
            f"{sim.base_url('orangex')}/api/v1/public/get_order_book",
            params={"instrument_name": "BTC-USDT-SPOT", "depth": "3"}) as response:
        assert len((await response.json())["result"]["asks"]) == 3
    _, unknown = await rpc("/public/get_order_book", {"instrument_name": "NOPE-USDT-SPOT"})
    assert unknown["error"]["code"] == 9010


@pytest.mark.parametrize("grant", ["client_credentials", "client_signature"])
async def test_both_grants_give_a_token_for_private_methods(sim: Simulator, rpc, grant: str) -> None:
    params = credentials(sim) if grant == "client_credentials" else signature_grant(sim)
    _, auth = await rpc("/public/auth", params)
    token = auth["result"]["access_token"]
    assert auth["result"]["token_type"] == "bearer" and auth["result"]["expires_in"] == 60
    _, assets = await rpc("/private/get_assets_info", {"asset_type": ["SPOT", "PERPETUAL"]}, token)
    assert assets["result"]["SPOT"]["details"][0] == {"coin_type": "USDT", "available": "321.00000000",
                                                      "freeze": "0", "total": "321.00000000"}
    assert assets["result"]["PERPETUAL"]["available_funds"] == "99.00000000"


async def test_wrong_credentials_and_stale_signature_fail(sim: Simulator, rpc) -> None:
    refusals = [
        credentials(sim) | {"client_secret": "wrong"},
        credentials(sim) | {"client_id": "unknown"},
        signature_grant(sim, secret="wrong"),
        signature_grant(sim, timestamp_ms=int(time.time() * 1000) - 120_000),
    ]
    for params in refusals:
        _, body = await rpc("/public/auth", params)
        assert body["error"] == {"code": 10000, "message": "Authentication Failure"}
    _, body = await rpc("/private/get_assets_info", {"asset_type": ["SPOT"]}, "not-a-token")
    assert body["error"]["code"] == 10000
    _, body = await rpc("/private/get_assets_info", {"asset_type": ["SPOT"]})
    assert body["error"]["code"] == 10000
    assert sim.journal.entries(exchange="orangex", outcome="invalid_timestamp")


async def test_token_expires_and_refresh_gives_a_new_one_once(sim: Simulator, rpc) -> None:
    _, auth = await rpc("/public/auth", credentials(sim))
    token, refresh = auth["result"]["access_token"], auth["result"]["refresh_token"]
    await sim.set_fault("orangex", clock_skew_ms=61_000)  # the token's 60 s have passed on the server
    _, body = await rpc("/private/get_assets_info", {"asset_type": ["SPOT"]}, token)
    assert body["error"]["code"] == 10000
    _, renewed = await rpc("/public/auth", {"grant_type": "refresh_token", "refresh_token": refresh})
    new_token = renewed["result"]["access_token"]
    _, body = await rpc("/private/get_assets_info", {"asset_type": ["SPOT"]}, new_token)
    assert "result" in body
    _, reused = await rpc("/public/auth", {"grant_type": "refresh_token", "refresh_token": refresh})
    assert reused["error"]["code"] == 10000


async def test_permission_and_rate_limit(sim: Simulator, rpc) -> None:
    _, auth = await rpc("/public/auth", credentials(sim, "noread"))
    _, body = await rpc("/private/get_assets_info", {"asset_type": ["SPOT"]}, auth["result"]["access_token"])
    assert body["error"] == {"code": 2033, "message": "Access denied"}
    sim.set_limits("orangex", requests_per_s=2)
    statuses = [(await rpc("/public/get_time"))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
