"""The exchanges' own SDKs, written by others, pointed at the simulator only by URL or TLS
settings. They come with the `test-sdk` extra (``pip install -e ".[test,test-sdk]"``); a test whose
SDK is absent is skipped saying so. The full table, with the SDKs that cannot share one
environment, is ``python benchmarks/sdk_conformance.py``.

The SDKs are synchronous: each call runs in a thread, so that the simulator's loop keeps serving.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Callable
from typing import Any

import pytest

from cts_tui.sim import Simulator
from tests.sim._ccxt_point import only


def sdk(module: str, package: str) -> Any:
    return pytest.importorskip(module, reason=f"{package} is not installed (the test-sdk extra)")


async def call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return await asyncio.to_thread(fn, *args, **kwargs)


def closed(*sessions: Any) -> None:
    """The SDKs keep HTTP sessions open: closed here, as a careful user would (no socket left)."""
    for session in sessions:
        session.close()


async def refusal(fn: Callable[[], Any]) -> Exception:
    try:
        await call(fn)
    except Exception as exc:  # the SDK's own exception class
        return exc
    raise AssertionError("the call was not refused")


async def test_binance_connector_reads_spot_margin_and_futures_and_is_refused_a_wrong_secret(sim: Simulator) -> None:
    spot_module = sdk("binance.spot", "binance-connector")
    futures_module = sdk("binance.um_futures", "binance-futures-connector")
    account = sim.account("binance")
    spot = spot_module.Spot(account.api_key, account.secret, base_url=sim.base_url("binance"))
    usdm = futures_module.UMFutures(account.api_key, account.secret, base_url=sim.hosts("binance")["fapi.binance.com"])
    assert abs((await call(spot.time))["serverTime"] - sim.exchange("binance").ctx.clock.now_ms()) < 5_000
    assert float((await call(spot.ticker_price, "BTCUSDT"))["price"]) > 0
    assert (await call(spot.account))["balances"]
    assert "totalAssetOfBtc" in await call(spot.margin_account)
    assert await call(usdm.balance)
    test_order = await call(usdm.new_order_test, "BTCUSDT", "BUY", "LIMIT", quantity=0.01, price=50_000,
                            timeInForce="GTC")
    assert test_order["orderId"] == 0 and test_order["symbol"] == "BTCUSDT"
    wrong = spot_module.Spot(account.api_key, "x" * len(account.secret), base_url=sim.base_url("binance"))
    refused = await refusal(wrong.account)
    closed(spot.session, usdm.session, wrong.session)
    assert (refused.status_code, refused.error_code) == (400, -1022)


async def test_pybit_reads_the_unified_wallet_and_is_refused_a_wrong_secret(sim: Simulator) -> None:
    unified = sdk("pybit.unified_trading", "pybit")
    account = sim.account("bybit")

    def session(secret: str) -> Any:
        http = unified.HTTP(api_key=account.api_key, api_secret=secret)
        http.endpoint = sim.base_url("bybit")  # pybit's base URL
        return http
    http, wrong = session(account.secret), session("x" * len(account.secret))
    assert int((await call(http.get_server_time))["result"]["timeSecond"]) > 0
    assert (await call(http.get_wallet_balance, accountType="UNIFIED"))["result"]["list"]
    refused = await refusal(lambda: wrong.get_wallet_balance(accountType="UNIFIED"))
    closed(http.client, wrong.client)
    assert refused.status_code == 10004


async def test_python_okx_reads_time_ticker_and_balance_and_gets_50113_for_a_wrong_secret(sim: Simulator) -> None:
    okx_account = sdk("okx.Account", "python-okx")
    okx_public = sdk("okx.PublicData", "python-okx")
    okx_market = sdk("okx.MarketData", "python-okx")
    account, domain = sim.account("okx"), sim.base_url("okx")
    public = okx_public.PublicAPI(flag="0", domain=domain)
    market = okx_market.MarketAPI(flag="0", domain=domain)
    api = okx_account.AccountAPI(account.api_key, account.secret, account.passphrase, flag="0", domain=domain)
    wrong = okx_account.AccountAPI(account.api_key, "x" * len(account.secret), account.passphrase, flag="0",
                                   domain=domain)
    answers = [await call(public.get_system_time), await call(market.get_ticker, "BTC-USDT"),
               await call(api.get_account_balance), await call(wrong.get_account_balance)]
    closed(public, market, api, wrong)  # each is an httpx.Client
    assert [a["code"] for a in answers] == ["0", "0", "0", "50113"] and answers[1]["data"]


async def test_pionex_python_reads_the_book_and_balances_over_its_doubled_slash_and_is_refused_a_wrong_secret(
        sim: Simulator) -> None:
    pionex_account = sdk("pionex_python.restful.Account", "pionex-python")
    pionex_markets = sdk("pionex_python.restful.Markets", "pionex-python")
    account = sim.account("pionex")
    markets = pionex_markets.Markets()
    markets.base_url = sim.base_url("pionex") + "/"
    book = (await call(markets.get_depth, "BTC_USDT", 5))["data"]

    def client(secret: str) -> Any:
        made = pionex_account.Account(account.api_key, secret)
        made.base_url = sim.base_url("pionex") + "/"  # its own spelling: base URL with a slash
        return made
    right, wrong = client(account.secret), client("x" * len(account.secret))
    balances = (await call(right.get_balance))["data"]["balances"]
    refused = await refusal(wrong.get_balance)
    closed(right.session, wrong.session, markets.session)
    assert balances and "INVALID_SIGNATURE" in str(refused)
    assert len(book["bids"]) == len(book["asks"]) == 5


async def test_coinbase_advanced_py_speaks_https_only_and_reads_the_rate_limit_headers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    rest = sdk("coinbase.rest", "coinbase-advanced-py")
    async with Simulator(only("coinbase"), tls=True) as sim:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", sim.ca_file)
        client = rest.RESTClient(base_url=urllib.parse.urlsplit(sim.base_url("coinbase")).netloc,
                                 rate_limit_headers=True)
        answer = (await call(client.get_unix_time)).to_dict()
        book = await call(client.get_public_product_book, "BTC-USD", limit=3)
        closed(client.session)
    assert len(book.pricebook.bids) == len(book.pricebook.asks) == 3
    assert int(answer["epoch_seconds"]) > 0
    assert answer["rate_limit_limit"] == "10" and int(answer["rate_limit_remaining"]) < 10
    assert int(answer["rate_limit_reset"]) > 0


async def test_kucoin_python_signs_its_passphrase_reads_the_trade_account_and_gets_400005_for_a_wrong_secret(
        sim: Simulator) -> None:
    client = sdk("kucoin.client", "kucoin-python")
    account, url = sim.account("kucoin"), sim.base_url("kucoin")
    market = client.Market(url=url)
    user = client.User(account.api_key, account.secret, account.passphrase, url=url)  # key version 2
    wrong = client.User(account.api_key, "x" * len(account.secret), account.passphrase, url=url)
    now = await call(market.get_server_timestamp)
    rows = await call(user.get_account_list, None, "trade")
    refused = await refusal(wrong.get_account_list)
    closed(market.session, user.session, wrong.session)
    assert abs(now - sim.exchange("kucoin").ctx.clock.now_ms()) < 5_000
    assert {row["currency"]: float(row["balance"]) for row in rows} == account.balance("spot")
    assert "401-" in str(refused) and "400005" in str(refused)
