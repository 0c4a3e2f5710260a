"""SDK conformance: the exchanges' own SDKs (or widely used third-party ones), written by others,
pointed at the simulator only through their URL or TLS settings, the way a new user would.

    python benchmarks/sdk_conformance.py --install      # once: each SDK into .sdk/<exchange>
    python benchmarks/sdk_conformance.py [EXCHANGE...]  # a table per exchange of what passed

The simulator runs as ``cts-tui sim --tls`` (HTTPS and WSS with its throwaway CA, which the SDKs
trust through ``REQUESTS_CA_BUNDLE``, ``SSL_CERT_FILE`` and ``WEBSOCKET_CLIENT_CA_BUNDLE``);
each exchange's checks run in a child process whose ``sys.path`` ends with that exchange's SDK
directory (some SDKs pin versions that others cannot share: python-kraken-sdk wants
websockets>=14, coinbase-advanced-py websockets<14; HTX's official SDK, as its maintained fork
huobi-sdk-hash-7, declares none of its dependencies). Per exchange: server time,
a ticker, an order book, the balance of each API type served, a wrong secret refused with the
real code, a burst past a (lowered) limit refused with the real code and headers, and the SDK's
WebSocket client where it has one; and the test order where the exchange offers one. A check the
SDK cannot make says "n/a" and why; a missing SDK says how to install it.
OrangeX has no SDK: its documented JSON-RPC is spoken by hand.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SDK_DIR = ROOT / ".sdk"
SDKS: dict[str, list[str]] = {
    "binance": ["binance-connector==3.13.0", "binance-futures-connector==4.2.0"],
    "bybit": ["pybit==5.17.0"],
    "okx": ["python-okx==0.4.4"],
    "bingx": ["bingx-py==1.0.2"],
    "pionex": ["pionex-python==1.1.1"],
    "orangex": [],
    "htx": ["huobi-sdk-hash-7==2.3.10", "requests", "apscheduler", "websocket-client"],
    "coinbase": ["coinbase-advanced-py==1.8.4"],
    "kraken": ["python-kraken-sdk==3.5.1"],
    "kucoin": ["kucoin-python==1.0.26"],
}
WS_WAIT_S = 5.0


class Report:
    """One exchange's rows: (check, status, detail)."""

    def __init__(self, exchange: str, info: dict[str, Any]) -> None:
        self.exchange = exchange
        self.info = info
        self.site = info["exchanges"][exchange]
        self.hosts: dict[str, str] = self.site["hosts"]
        self.account = self.site["accounts"][0]
        self.rows: list[tuple[str, str, str]] = []

    def check(self, name: str, run: Callable[[], object]) -> None:
        try:
            detail = run()
        except Exception as exc:  # a check reports whatever went wrong, it never stops the others
            self.rows.append((name, "FAIL", " ".join(f"{type(exc).__name__}: {exc}".split())[:150]))
        else:
            self.rows.append((name, "pass", " ".join(str(detail or "").split())[:150]))

    def not_applicable(self, name: str, why: str) -> None:
        self.rows.append((name, "n/a", why))

    def control(self, path: str, body: dict[str, Any] | None = None) -> Any:
        request = urllib.request.Request(self.info["control_url"] + path, method="POST" if body is not None
                                         else "GET", data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    @contextlib.contextmanager
    def lowered(self, **limits: float) -> Iterator[None]:
        """The exchange's limits lowered for a burst, and the simulator reset after it."""
        self.control(f"/limits/{self.exchange}", limits)
        try:
            yield
        finally:
            self.control("/reset", {})

    def refused(self, outcome: str = "rate_limited") -> int:
        return len(self.control(f"/journal?exchange={self.exchange}&outcome={outcome}")["entries"])


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def raises(call: Callable[[], object], check: Callable[[Exception], str]) -> str:
    """The call must fail; `check(exc)` asserts it failed the real way and says how."""
    try:
        call()
    except Exception as exc:  # the SDK's own exception class, whatever it is
        return check(exc)
    raise AssertionError("was not refused")


class Stream:
    """Frames a WebSocket client hands its callback, collected in order for the checks."""

    def __init__(self) -> None:
        self.frames: queue.Queue[Any] = queue.Queue()

    def __call__(self, *args: Any) -> None:
        message = args[-1]
        self.frames.put(json.loads(message) if isinstance(message, (str, bytes)) else message)

    def take(self, predicate: Callable[[Any], bool], what: str) -> Any:
        deadline = time.monotonic() + WS_WAIT_S
        while time.monotonic() < deadline:
            try:
                frame = self.frames.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if predicate(frame):
                return frame
        raise AssertionError(f"no {what} within {WS_WAIT_S:.0f} s")


def host_port(url: str) -> str:
    return urlsplit(url).netloc


# -- the checks, one function per exchange -----------------------------------------------------


def binance(r: Report) -> None:
    from binance.cm_futures import CMFutures
    from binance.spot import Spot
    from binance.um_futures import UMFutures
    from binance.websocket.spot.websocket_stream import SpotWebsocketStreamClient

    key, secret = r.account["api_key"], r.account["secret"]
    spot = Spot(key, secret, base_url=r.hosts["api.binance.com"])
    usdm = UMFutures(key, secret, base_url=r.hosts["fapi.binance.com"])
    coinm = CMFutures(key, secret, base_url=r.hosts["dapi.binance.com"])
    r.check("server time", lambda: spot.time()["serverTime"])
    r.check("ticker", lambda: spot.ticker_price("BTCUSDT")["price"])
    r.check("order book", lambda: len(spot.depth("BTCUSDT")["bids"]))
    r.check("balance spot", lambda: len(spot.account()["balances"]))
    r.check("balance margin", lambda: spot.margin_account()["totalAssetOfBtc"])
    r.check("balance USD-M futures", lambda: len(usdm.balance()))
    r.check("balance COIN-M futures", lambda: len(coinm.balance()))
    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "quantity": 0.01, "price": 50_000,
             "timeInForce": "GTC"}
    r.check("test order spot", lambda: spot.new_order_test(**order) == {} and "{} (validated, not placed)")
    r.check("test order USD-M futures", lambda: f"orderId {usdm.new_order_test(**order)['orderId']} (not placed)")

    def wrong_secret(exc: Exception) -> str:
        expect(getattr(exc, "status_code", None) == 400 and getattr(exc, "error_code", None) == -1022, repr(exc))
        return "HTTP 400, code -1022"
    r.check("wrong secret", lambda: raises(Spot(key, "x" * len(secret), base_url=spot.base_url).account,
                                           wrong_secret))

    def burst() -> str:
        with r.lowered(spot_weight_per_minute=10):
            def limited(exc: Exception) -> str:
                header = getattr(exc, "header", {}) or {}
                expect(getattr(exc, "status_code", None) == 429 and getattr(exc, "error_code", None) == -1003,
                       repr(exc))
                expect("Retry-After" in header and "X-MBX-USED-WEIGHT-1M" in header, f"headers {dict(header)}")
                return f"HTTP 429, code -1003, Retry-After {header['Retry-After']}"
            return raises(lambda: [spot.ticker_price("BTCUSDT") for _ in range(10)], limited)
    r.check("burst past the limit", burst)

    def stream() -> str:
        frames = Stream()
        client = SpotWebsocketStreamClient(stream_url=r.hosts["stream.binance.com"], on_message=frames)
        try:
            client.ticker(symbol="btcusdt", id=7)
            ack = frames.take(lambda f: "id" in f, "acknowledgement")
            expect(ack == {"result": None, "id": 7}, f"ack {ack}")
            tick = frames.take(lambda f: f.get("e") == "24hrTicker", "24hrTicker event")
            frames.take(lambda f: f.get("e") == "24hrTicker" and f["E"] > tick["E"], "a second event")
        finally:
            client.stop()
        return "subscribe, ack {result: null, id}, 24hrTicker events, close"
    r.check("WebSocket", stream)


def bybit(r: Report) -> None:
    from pybit.unified_trading import HTTP, WebSocket

    key, secret = r.account["api_key"], r.account["secret"]

    def session(secret_: str = secret) -> Any:
        http = HTTP(api_key=key, api_secret=secret_)
        http.endpoint = r.hosts["api.bybit.com"]  # pybit's base URL (it builds https://api.bybit.com)
        http.client.verify = r.info["ca_file"]  # pybit sends prepared requests: no REQUESTS_CA_BUNDLE
        return http
    http = session()
    r.check("server time", lambda: http.get_server_time()["result"]["timeSecond"])
    r.check("ticker", lambda: http.get_tickers(category="spot", symbol="BTCUSDT")["result"]["list"][0]["lastPrice"])
    r.check("order book", lambda: len(http.get_orderbook(category="spot", symbol="BTCUSDT")["result"]["b"]))
    r.check("balance unified", lambda: len(http.get_wallet_balance(accountType="UNIFIED")["result"]["list"]))

    def wrong_secret(exc: Exception) -> str:
        expect(getattr(exc, "status_code", None) == 10004, repr(exc))
        return "retCode 10004"
    r.check("wrong secret", lambda: raises(lambda: session("x" * len(secret)).get_wallet_balance(
        accountType="UNIFIED"), wrong_secret))

    def burst() -> str:
        with r.lowered(wallet_balance_per_second=2):
            before = r.refused()
            started = time.monotonic()
            for _ in range(4):  # pybit sleeps until X-Bapi-Limit-Reset-Timestamp, then retries
                http.get_wallet_balance(accountType="UNIFIED")
            refused = r.refused() - before
            expect(refused >= 1, "nothing was refused")
            waited = time.monotonic() - started
            return f"{refused} x retCode 10006; pybit waited {waited:.1f} s by X-Bapi-Limit-Reset-Timestamp"
    r.check("burst past the limit", burst)

    def stream() -> str:
        import pybit.unified_trading

        frames = Stream()
        # pybit connects on construction to its module's URL template (no setting names the host)
        pybit.unified_trading.PUBLIC_WSS = r.hosts["stream.bybit.com"] + "/v5/public/{CHANNEL_TYPE}"
        ws = WebSocket(channel_type="spot", testnet=False)
        try:
            ws.ticker_stream(symbol="BTCUSDT", callback=frames)
            first = frames.take(lambda f: f.get("topic") == "tickers.BTCUSDT", "ticker message")
            frames.take(lambda f: f.get("topic") == "tickers.BTCUSDT" and f["ts"] > first["ts"], "a second one")
            expect(ws.is_connected(), "disconnected")
        finally:
            ws.exit()
        return "subscribe, tickers.BTCUSDT snapshots, ping, close"
    r.check("WebSocket", stream)


def okx(r: Report) -> None:
    import asyncio

    from okx import Account, MarketData, PublicData
    from okx.websocket.WsPublicAsync import WsPublicAsync

    key, secret, passphrase = r.account["api_key"], r.account["secret"], r.account["passphrase"]
    domain = r.hosts["www.okx.com"]
    public = PublicData.PublicAPI(flag="0", domain=domain)
    market = MarketData.MarketAPI(flag="0", domain=domain)
    account = Account.AccountAPI(key, secret, passphrase, flag="0", domain=domain)
    r.check("server time", lambda: public.get_system_time()["data"][0]["ts"])
    r.check("ticker", lambda: market.get_ticker("BTC-USDT")["data"][0]["last"])
    r.check("order book", lambda: len(market.get_orderbook("BTC-USDT")["data"][0]["bids"]))
    r.check("balance trading", lambda: account.get_account_balance()["data"][0]["totalEq"])

    def wrong_secret() -> str:
        answer = Account.AccountAPI(key, "x" * len(secret), passphrase, flag="0", domain=domain).get_account_balance()
        expect(answer.get("code") == "50113", f"answer {answer}")
        return "code 50113"
    r.check("wrong secret", wrong_secret)

    def burst() -> str:
        with r.lowered(balance_per_2s=2):
            answers = [account.get_account_balance() for _ in range(4)]
            codes = [a.get("code") for a in answers]
            expect("50011" in codes, f"codes {codes}")
            return "code 50011 (python-okx returns the body)"
    r.check("burst past the limit", burst)

    def stream() -> str:
        frames = Stream()

        async def run() -> None:
            ws = WsPublicAsync(url=r.hosts["ws.okx.com"] + "/ws/v5/public")
            await ws.start()
            await ws.subscribe([{"channel": "tickers", "instId": "BTC-USDT"}], callback=frames)
            deadline = time.monotonic() + WS_WAIT_S
            while frames.frames.qsize() < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await ws.stop()
        asyncio.run(run())
        ack = frames.take(lambda f: f.get("event") == "subscribe", "subscribe event")
        expect(set(ack) == {"event", "arg", "connId"}, f"ack {ack}")
        frames.take(lambda f: f.get("arg", {}).get("channel") == "tickers" and "data" in f, "tickers push")
        return "subscribe, {event, arg, connId}, tickers pushes, close"
    r.check("WebSocket", stream)


def bingx(r: Report) -> None:
    from bingx_py import BingXClient

    key, secret = r.account["api_key"], r.account["secret"]

    @contextlib.contextmanager
    def client(secret_: str = secret) -> Iterator[Any]:
        with BingXClient(api_key=key, api_secret=secret_) as made:
            made.base_url = r.hosts["open-api.bingx.com"]  # bingx-py's base URL
            yield made

    with client() as bx:
        r.check("server time (bingx-py has no call for it: its own get)",
                lambda: bx.get("/openApi/swap/v2/server/time")["data"]["serverTime"])
        r.check("ticker", lambda: bx.spot.get_24hr_ticker_price_change_statistics(symbol="BTC-USDT"))
        r.check("order book", lambda: bx.spot.get_order_book(symbol="BTC-USDT"))
        r.check("balance spot", lambda: bx.spot.query_assets())
        r.check("balance perpetual futures", lambda: bx.swap.query_account_data())

        def test_order() -> str:
            # bingx-py's TestOrderResponse wants the order's fields in `data`; BingX documents
            # them in `data.order` (docs-v3), as the simulator answers: the SDK's own post
            answer = bx.post("/openApi/swap/v2/trade/order/test", params={
                "symbol": "BTC-USDT", "side": "BUY", "positionSide": "LONG", "type": "MARKET", "quantity": 0.01})
            expect(answer["code"] == 0 and answer["data"]["order"]["symbol"] == "BTC-USDT", f"answer {answer}")
            return f"orderId {answer['data']['order']['orderId']} (not placed; bingx-py's model reads it flat)"
        r.check("test order perpetual futures", test_order)

        def limited(exc: Exception) -> str:
            expect("429" in str(exc), repr(exc))
            return "HTTP 429, code 429"
        r.check("burst past the limit", lambda: _lowered_burst(
            r, {"private_per_second": 2}, lambda: [bx.spot.query_assets() for _ in range(6)], limited))

    def wrong_secret(exc: Exception) -> str:
        expect("100001" in str(exc), repr(exc))
        return "code 100001"

    def refused() -> str:
        with client("x" * len(secret)) as wrong:
            return raises(wrong.spot.query_assets, wrong_secret)
    r.check("wrong secret", refused)
    r.not_applicable("WebSocket", "bingx-py has none; bingx-python's parses frames as JSON text, BingX sends gzip "
                                  "(ccxt.pro's: tests/streams/test_sim_ccxt.py)")


def pionex(r: Report) -> None:
    from pionex_python.restful.Account import Account
    from pionex_python.restful.Common import Common
    from pionex_python.restful.Markets import Markets
    from pionex_python.websocket.PublicStream import PublicStream

    key, secret = r.account["api_key"], r.account["secret"]
    base = r.hosts["api.pionex.com"] + "/"  # pionex-python's base_url, with its trailing slash

    def pointed(client: Any) -> Any:
        client.base_url = base
        return client
    common, markets, account = pointed(Common()), pointed(Markets()), pointed(Account(key, secret))
    r.check("symbols (Pionex has no server time)", lambda: len(common.market_data()["data"]["symbols"]))
    r.check("ticker", lambda: markets.get_24hr_ticker("BTC_USDT")["data"]["tickers"][0]["close"])
    r.check("order book", lambda: len(markets.get_depth("BTC_USDT")["data"]["bids"]))
    r.check("balance spot", lambda: len(account.get_balance()["data"]["balances"]))
    r.not_applicable("balance perpetual futures", "pionex-python covers spot only (the product's client: tests)")

    def wrong_secret(exc: Exception) -> str:
        expect("INVALID_SIGNATURE" in str(exc), repr(exc))
        return "INVALID_SIGNATURE"
    r.check("wrong secret", lambda: raises(pointed(Account(key, "x" * len(secret))).get_balance, wrong_secret))

    def burst(exc: Exception) -> str:
        expect("TOO_MANY_REQUESTS" in str(exc), repr(exc))
        return "TOO_MANY_REQUESTS (pionex-python keeps the body only)"
    r.check("burst past the limit", lambda: _lowered_burst(r, {"account_weight_per_s": 2},
                                                           lambda: [account.get_balance() for _ in range(6)], burst))

    def stream() -> str:
        frames = Stream()
        stream_ = PublicStream.__new__(PublicStream)
        stream_.ws_client = _pionex_client(r.hosts["ws.pionex.com"] + "/wsPub", stream_._on_message)
        stream_.ws_client.start()
        stream_.topic_symbol_callbacks = {}
        try:
            stream_.subscribe(frames, "TRADE", "BTC_USDT")
            frames.take(lambda f: isinstance(f, list) and f and "price" in f[0], "TRADE data")
        finally:
            stream_.ws_client.close()
        return "subscribe, TRADE data in binary frames, PING answered with PONG, close"
    r.check("WebSocket", stream)


def _pionex_client(url: str, on_message: Callable[[dict], Any]) -> Any:
    from pionex_python.internal.WebsocketClient import WebsocketClient

    return WebsocketClient(url, on_message)


def _lowered_burst(r: Report, limits: dict[str, float], call: Callable[[], object],
                   check: Callable[[Exception], str]) -> str:
    with r.lowered(**limits):
        return raises(call, check)


def htx(r: Report) -> None:
    from huobi.client.account import AccountClient
    from huobi.client.generic import GenericClient
    from huobi.client.margin import MarginClient
    from huobi.client.market import MarketClient

    key, secret = r.account["api_key"], r.account["secret"]
    url = r.hosts["api.huobi.pro"]
    generic = GenericClient(url=url)
    market = MarketClient(url=url)
    account = AccountClient(api_key=key, secret_key=secret, url=url)
    r.check("server time", generic.get_exchange_timestamp)
    r.check("ticker", lambda: market.get_market_detail_merged("btcusdt").close)
    r.check("order book", lambda: len(market.get_pricedepth("btcusdt", "step0").bids))
    r.check("accounts (signs the host without its port)", lambda: len(account.get_accounts()))
    r.check("balance spot", lambda: len(account.get_balance(account.get_accounts()[0].id)))
    r.check("balance cross margin", lambda: MarginClient(api_key=key, secret_key=secret, url=url)
            .get_cross_margin_account_balance().state)

    def wrong_secret(exc: Exception) -> str:
        expect("api-signature-not-valid" in str(exc), repr(exc))
        return "api-signature-not-valid"
    r.check("wrong secret", lambda: raises(AccountClient(api_key=key, secret_key="x" * len(secret),
                                                         url=url).get_accounts, wrong_secret))

    def limited(exc: Exception) -> str:
        expect("base-request-exceed-frequency-limit" in str(exc), repr(exc))
        return "base-request-exceed-frequency-limit"
    r.check("burst past the limit", lambda: _lowered_burst(
        r, {"spot_private_limit": 2}, lambda: [account.get_accounts() for _ in range(6)], limited))
    r.not_applicable("balance USDT-M swaps", "the SDK covers the spot host only (api.hbdm.com: ccxt in tests)")
    r.not_applicable("WebSocket", "the SDK keeps only the host name of its URL, port 443 (ccxt.pro's: "
                                  "tests/streams/test_sim_ccxt.py)")


def coinbase(r: Report) -> None:
    from coinbase.rest import RESTClient

    public = RESTClient(base_url=host_port(r.hosts["api.coinbase.com"]), rate_limit_headers=True)
    r.check("server time", lambda: public.get_unix_time().epoch_seconds)
    r.check("ticker", lambda: public.get_public_market_trades("BTC-USDT", limit=1).best_bid)
    r.check("order book", lambda: len(public.get_public_product_book("BTC-USDT").pricebook.bids))

    def headers() -> str:
        answer = public.get_unix_time().to_dict()
        expect(all(answer.get(h) for h in ("rate_limit_limit", "rate_limit_remaining", "rate_limit_reset")),
               f"answer {answer}")
        return f"x-ratelimit-limit {answer['rate_limit_limit']}, remaining {answer['rate_limit_remaining']}"
    r.check("x-ratelimit-* headers", headers)

    def limited(exc: Exception) -> str:
        response = getattr(exc, "response", None)
        expect(response is not None and response.status_code == 429, repr(exc))
        expect(response.headers.get("x-ratelimit-remaining") == "0", f"headers {dict(response.headers)}")
        return "HTTP 429 rate_limit_exceeded, x-ratelimit-remaining 0"
    r.check("burst past the limit", lambda: _lowered_burst(
        r, {"public_per_s": 2}, lambda: [public.get_unix_time() for _ in range(6)], limited))
    def stream() -> str:
        from coinbase.websocket import WSClient

        frames = Stream()
        client = WSClient(base_url=r.hosts["advanced-trade-ws.coinbase.com"], on_message=frames, retry=False)
        client.open()
        try:
            client.ticker(["BTC-USDT"])
            client.heartbeats()
            frames.take(lambda f: f.get("channel") == "ticker" and f["events"][0]["type"] == "snapshot", "snapshot")
            first = frames.take(lambda f: f.get("channel") == "heartbeats", "heartbeat")
            second = frames.take(lambda f: f.get("channel") == "heartbeats", "second heartbeat")
            expect(second["sequence_num"] > first["sequence_num"], "sequence")
        finally:
            client.close()
        return "subscribe ticker + heartbeats, subscriptions, snapshot first, a heartbeat a second, close"
    r.check("WebSocket", stream)
    # coinbase-advanced-py signs only CDP keys (an ES256 JWT): the simulator's "cdp" account
    cdp = next(a for a in r.site["accounts"] if a.get("key_type") == "cdp")
    client = RESTClient(api_key=cdp["api_key"], api_secret=cdp["secret"],
                        base_url=host_port(r.hosts["api.coinbase.com"]))
    r.check("balance spot (CDP key)", lambda: len(client.get_accounts().accounts))
    r.check("test order (preview)", lambda: "preview_id " + client.preview_market_order_buy(
        "BTC-USD", quote_size="100").preview_id)

    def wrong_secret(exc: Exception) -> str:
        response = getattr(exc, "response", None)
        expect(response is not None and response.status_code == 401, repr(exc))
        return "HTTP 401 Unauthorized"
    r.check("wrong secret (another EC key)", lambda: raises(RESTClient(
        api_key=cdp["api_key"], api_secret=_other_ec_key(), base_url=client.base_url).get_accounts, wrong_secret))


def _other_ec_key() -> str:
    """A P-256 private key in PEM that is not the account's: its signatures cannot verify."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()).decode()


def kraken(r: Report) -> None:
    from kraken.spot import Market, Trade, User

    key, secret = r.account["api_key"], r.account["secret"]
    url = r.hosts["api.kraken.com"]
    market = Market(url=url)
    r.check("server time (its system status)", lambda: market.get_system_status()["timestamp"])
    r.check("ticker", lambda: list(market.get_ticker(pair="XBTUSDT")))
    r.check("order book", lambda: len(market.get_order_book(pair="XBTUSDT", count=10)["XBTUSDT"]["bids"]))
    r.check("balance spot", lambda: len(User(key=key, secret=secret, url=url).get_account_balance()))
    r.check("balance margin (trade balance)", lambda: User(key=key, secret=secret, url=url).get_trade_balance()["eb"])
    r.check("test order (AddOrder validate)", lambda: Trade(key=key, secret=secret, url=url).create_order(
        ordertype="limit", side="buy", volume=0.001, pair="XBTUSDT", price=50_000, validate=True)["descr"])

    def wrong_secret(exc: Exception) -> str:
        expect("Invalid" in str(exc), repr(exc))
        return str(exc)[:60]
    r.check("wrong secret", lambda: raises(User(key=key, secret=base64.b64encode(b"x" * 64).decode(),
                                                url=url).get_account_balance, wrong_secret))

    def limited(exc: Exception) -> str:
        expect("EAPI:Rate limit exceeded" in str(exc) or "rate limit" in str(exc).lower(), repr(exc))
        return "EAPI:Rate limit exceeded"
    user = User(key=key, secret=secret, url=url)
    r.check("burst past the limit", lambda: _lowered_burst(
        r, {"private_max": 2}, lambda: [user.get_account_balance() for _ in range(6)], limited))

    def stream() -> str:
        import asyncio

        from kraken.spot import SpotWSClient

        frames = Stream()

        async def on_message(message: dict) -> None:
            frames(message)

        async def run() -> None:
            client = SpotWSClient(callback=on_message, ws_url=r.hosts["ws.kraken.com"] + "/v2")
            await client.start()
            await client.subscribe(params={"channel": "ticker", "symbol": ["BTC/USDT"]})
            deadline = time.monotonic() + WS_WAIT_S
            while frames.frames.qsize() < 6 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await client.close()
        asyncio.run(run())
        frames.take(lambda f: f.get("channel") == "status", "status message")
        ack = frames.take(lambda f: f.get("method") == "subscribe", "acknowledgement")
        expect(ack["success"] is True, f"ack {ack}")
        frames.take(lambda f: f.get("channel") == "ticker" and f.get("type") == "snapshot", "snapshot")
        frames.take(lambda f: f.get("channel") == "ticker" and f.get("type") == "update", "update")
        return "status on connect, subscribe, ack, snapshot then updates, heartbeats, close"
    r.check("WebSocket", stream)


def orangex(r: Report) -> None:
    """OrangeX's documented JSON-RPC 2.0 over HTTP, by hand (it publishes no SDK)."""
    url = r.hosts["api.orangex.com"] + "/api/v1"

    def rpc(method: str, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        request = urllib.request.Request(url + method, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.loads(error.read())

    def token(secret: str) -> dict[str, Any]:
        return rpc("/public/auth", {"grant_type": "client_credentials", "client_id": r.account["api_key"],
                                    "client_secret": secret})
    r.check("server time", lambda: rpc("/public/get_time", {})["result"])
    r.check("ticker", lambda: rpc("/public/ticker", {"instrument_name": "BTC-USDT-SPOT"})["result"]["last_price"])
    r.check("order book", lambda: len(rpc("/public/get_order_book", {"instrument_name": "BTC-USDT-SPOT",
                                                                    "depth": 10})["result"]["bids"]))
    for asset_type, api_type in (("SPOT", "spot"), ("PERPETUAL", "perpetual futures")):
        r.check(f"balance {api_type}", lambda asset_type=asset_type: rpc(
            "/private/get_assets_info", {"asset_type": [asset_type]},
            token(r.account["secret"])["result"]["access_token"])["result"][asset_type])

    def wrong_secret() -> str:
        answer = token("x" * len(r.account["secret"]))
        expect("error" in answer, f"answer {answer}")
        return f"error {answer['error'].get('code')}"
    r.check("wrong secret", wrong_secret)

    def burst() -> str:
        with r.lowered(requests_per_s=2):
            answers = [rpc("/public/get_time", {}) for _ in range(6)]
        codes = [a["error"]["code"] for a in answers if "error" in a]
        expect(10028 in codes, f"answers {answers[-1]}")
        return "error 10028 too_many_requests"
    r.check("burst past the limit", burst)

    def stream() -> str:
        import asyncio
        import ssl

        import aiohttp

        async def run() -> list[dict[str, Any]]:
            trust = ssl.create_default_context(cafile=r.info["ca_file"])
            url = r.hosts["api.orangex.com"].replace("https://", "wss://") + "/ws/api/v1"
            async with aiohttp.ClientSession() as http, http.ws_connect(url, ssl=trust) as ws:
                await ws.send_json({"jsonrpc": "2.0", "id": 1, "method": "/public/subscribe",
                                    "params": {"channels": ["ticker.BTC-USDT-SPOT.raw"]}})
                await ws.send_json({"jsonrpc": "2.0", "id": 2, "method": "/public/ping", "params": {}})
                return [await ws.receive_json(timeout=WS_WAIT_S) for _ in range(4)]
        received = asyncio.run(run())
        ack = next(f for f in received if f.get("id") == 1)
        expect(ack["result"] == ["ticker.BTC-USDT-SPOT.raw"], f"ack {ack}")
        expect(any(f.get("id") == 2 and f.get("result") == "pong" for f in received), "no pong")
        expect(any(f.get("method") == "subscription" for f in received), "no subscription push")
        return "subscribe (JSON-RPC), result lists the channels, subscription pushes, ping/pong"
    r.check("WebSocket", stream)


def kucoin(r: Report) -> None:
    import asyncio

    from kucoin.client import Margin, Market, User, WsToken
    from kucoin.ws_client import KucoinWsClient

    key, secret, passphrase = r.account["api_key"], r.account["secret"], r.account["passphrase"]
    url = r.hosts["api.kucoin.com"]
    market = Market(url=url)
    user = User(key, secret, passphrase, url=url)  # key version 2: the passphrase HMAC-signed
    r.check("server time", market.get_server_timestamp)
    r.check("ticker", lambda: market.get_ticker("BTC-USDT")["price"])
    r.check("order book", lambda: len(market.get_part_order(20, "BTC-USDT")["bids"]))
    r.check("balance spot", lambda: {a["currency"]: a["balance"] for a in user.get_account_list(account_type="trade")})
    r.check("balance cross margin", lambda: {a["currency"]: a["totalBalance"] for a in
                                             Margin(key, secret, passphrase, url=url).get_margin_account()["accounts"]})

    def wrong_secret(exc: Exception) -> str:
        expect("400005" in str(exc), repr(exc))
        return "HTTP 401, code 400005"
    r.check("wrong secret", lambda: raises(User(key, "x" * len(secret), passphrase, url=url).get_account_list,
                                           wrong_secret))

    def limited(exc: Exception) -> str:
        expect("429-" in str(exc) and "429000" in str(exc), repr(exc))
        return "HTTP 429, code 429000 (the Management pool, weight 5 a read)"
    r.check("burst past the limit", lambda: _lowered_burst(
        r, {"management_per_30s": 12}, lambda: [user.get_account_list() for _ in range(3)], limited))
    r.not_applicable("balance futures", "futures are another SDK (kucoin-futures-python; ccxt's kucoinfutures "
                                        "in tests)")

    def stream() -> str:
        frames = Stream()

        async def run() -> None:
            async def on_message(message: dict[str, Any]) -> None:
                frames(message)
            client = await KucoinWsClient.create(None, WsToken(url=url), on_message)  # its bullet-public token
            await client.subscribe("/market/ticker:BTC-USDT")
            await asyncio.Event().wait()
        # The SDK's socket task outlives cancellation (it pings on CancelledError and reconnects):
        # it runs in a daemon thread that ends with this child process.
        threading.Thread(target=asyncio.run, args=(run(),), daemon=True).start()
        push = frames.take(lambda f: f.get("subject") == "trade.ticker", "ticker push")
        expect(push["topic"] == "/market/ticker:BTC-USDT" and float(push["data"]["price"]) > 0, f"push {push}")
        return "token from bullet-public names the stream server; subscribe, trade.ticker pushes"
    r.check("WebSocket", stream)


CHECKS: dict[str, Callable[[Report], None]] = {
    "binance": binance, "bybit": bybit, "okx": okx, "bingx": bingx, "pionex": pionex, "orangex": orangex,
    "htx": htx, "coinbase": coinbase, "kraken": kraken, "kucoin": kucoin,
}


# -- the parent: simulator, children, table ----------------------------------------------------


def child(exchange: str, info: dict[str, Any]) -> list[tuple[str, str, str]]:
    sys.path.append(str(SDK_DIR / exchange))
    report = Report(exchange, info)
    try:
        CHECKS[exchange](report)
    except ImportError as missing:
        wanted = " ".join(SDKS[exchange])
        report.rows.append(("SDK", "absent", f"{missing.name}: python {Path(__file__).name} --install ({wanted})"))
    return report.rows


@contextlib.contextmanager
def simulator() -> Iterator[dict[str, Any]]:
    process = subprocess.Popen([sys.executable, "-m", "cts_tui", "sim", "--tls"], stdout=subprocess.PIPE, text=True,
                               cwd=ROOT)
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=10)


def install(exchanges: list[str]) -> None:
    for exchange in exchanges:
        if SDKS[exchange]:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(SDK_DIR / exchange),
                            *SDKS[exchange]], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("exchanges", nargs="*", metavar="EXCHANGE", help=f"some of {', '.join(CHECKS)} (default all)")
    parser.add_argument("--install", action="store_true", help="pip install each SDK into .sdk/<exchange>")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    unknown = set(args.exchanges) - set(CHECKS)
    if unknown:
        parser.error(f"no checks for {', '.join(sorted(unknown))}")
    args.exchanges = args.exchanges or list(CHECKS)
    if args.child:
        print(json.dumps(child(args.child, json.loads(sys.stdin.read()))))
        return
    if args.install:
        install(args.exchanges)
        return
    totals = {"pass": 0, "FAIL": 0}
    with simulator() as info:
        env = {**os.environ, "REQUESTS_CA_BUNDLE": info["ca_file"], "SSL_CERT_FILE": info["ca_file"],
               "WEBSOCKET_CLIENT_CA_BUNDLE": info["ca_file"]}
        for exchange in args.exchanges:
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", exchange],
                                  input=json.dumps(info), env=env, capture_output=True, text=True, timeout=180)
            rows = json.loads(done.stdout) if done.returncode == 0 and done.stdout else [
                ("run", "FAIL", (done.stderr.strip().splitlines() or ["no output"])[-1][:150])]
            sdk = ", ".join(SDKS[exchange]) or "JSON-RPC by hand"
            print(f"\n{exchange} ({sdk})")
            for name, status, detail in rows:
                totals[status] = totals.get(status, 0) + 1
                print(f"  {status:<11} {name:<44} {detail}")
    print("\n" + ", ".join(f"{count} {status}" for status, count in totals.items()))


if __name__ == "__main__":
    main()
