"""KuCoin: spot and cross margin on api.kucoin.com, futures on api-futures.kucoin.com; one key for all.

Every answer is ``{"code": "200000", "data": ...}``; a refusal carries another code and a ``msg``.
Signature (key version 2): KC-API-SIGN is base64 HMAC-SHA256 of KC-API-TIMESTAMP (epoch ms) +
METHOD + path with the query string as sent + body, and KC-API-PASSPHRASE is the passphrase
HMAC-signed the same way (version 1 keys send it in clear); the timestamp must be within 5 s of
the server's clock. Refusals, HTTP 401, checked in this order: 400001 a header missing, 400003
unknown key, 400002 stale timestamp, 400005 bad signature (a wrong secret), 400004 wrong
passphrase, 400006 IP not whitelisted; 400007 (HTTP 403) a permission the key lacks.

Rate limits as KuCoin counts them: each endpoint draws its weight from one resource pool (Spot
4000, Futures 2000, Management 2000 per account, Public 2000 per IP, per 30 s at VIP 0: the window
opens at the first request), decided by the host as well as the path (``/api/v1/orders`` is the
Spot pool's on the spot host and the Futures pool's on the futures host), and every answer says the pool's ``gw-ratelimit-limit``,
``gw-ratelimit-remaining`` and ``gw-ratelimit-reset`` (ms until the window closes); over it,
HTTP 429 with code 429000. Market streams are reached with a token from ``bullet-public``, which
names the stream server to connect to (this simulator's twin of it). The sandbox is retired.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable, Mapping
from functools import cached_property, partial
from types import MappingProxyType
from typing import Any

from cts_tui.sim import candles, depth, tape
from cts_tui.sim.assets import assets_for
from cts_tui.sim.exchange import FaultKind, Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply
from cts_tui.sim.hosts import Host, Layout
from cts_tui.sim.limits import FixedWindow
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.signing import hmac_base64, same

SPOT, FUTURES = "api.kucoin.com", "api-futures.kucoin.com"
SPOT_STREAM, FUTURES_STREAM = "ws-api-spot.kucoin.com", "ws-api-futures.kucoin.com"
TIMESTAMP_WINDOW_MS = 5_000
POOL_WINDOW_S = 30.0
CANDLE_TYPES = {"1min": 60, "3min": 180, "5min": 300, "15min": 900, "30min": 1800, "1hour": 3600,
                "2hour": 7200, "4hour": 14400, "6hour": 21600, "8hour": 28800, "12hour": 43200,
                "1day": 86400, "1week": 604800, "1month": 2_592_000}
Produce = Callable[[SimRequest], Reply]


class KucoinSim(SimExchange):
    exchange_id = "kucoin"
    market_kinds = {"spot": 0.7, "linear_swap": 0.27, "inverse_swap": 0.03}
    needs_passphrase = True
    layout = Layout(
        (Host(SPOT, ("/api/",)), Host(FUTURES, ("/api/",)),
         Host(SPOT_STREAM, streams=MappingProxyType({"/": "/spot"})),
         Host(FUTURES_STREAM, streams=MappingProxyType({"/": "/futures"}))),
        (SPOT_STREAM, "/"), server="cloudflare", content_type="application/json")
    # A realistic part of KuCoin's listing with its real names (BTC-USDT, XBTUSDTM, XBTUSDM).
    listing = {
        "spot": " ".join(f"{base}/USDT" for base in (
            "BTC ETH KCS SOL XRP DOGE TON ADA TRX AVAX LINK DOT LTC BCH NEAR UNI ATOM XLM ETC FIL APT ARB OP "
            "INJ SUI AAVE PEPE SHIB WIF BONK SEI TIA JUP ENA ONDO WLD FET RENDER HBAR ICP KAS ALGO VET SAND "
            "MANA AXS GALA CRV MKR LDO PENDLE STX IMX GRT RUNE EGLD FLOW XTZ NOT TRUMP").split())
        + " BTC/USDC ETH/USDC SOL/USDC ETH/BTC XRP/BTC KCS/BTC SOL/BTC LTC/BTC USDC/USDT",
        "linear_swap": " ".join(f"{base}/USDT" for base in (
            "BTC ETH SOL XRP DOGE TON ADA TRX AVAX LINK DOT LTC BCH NEAR UNI ATOM ETC FIL APT ARB OP INJ "
            "SUI AAVE WIF SEI TIA JUP ENA ONDO WLD FET HBAR ICP KAS ALGO GALA CRV LDO PENDLE").split()),
        "inverse_swap": "BTC/USD ETH/USD SOL/USD XRP/USD",
    }

    class Limits(LimitsModel):
        # Weight per 30 s of each resource pool at VIP 0.
        spot_per_30s: float = 4000
        futures_per_30s: float = 2000
        management_per_30s: float = 2000
        public_per_30s: float = 2000

    limits: Limits

    def __init__(self, ctx) -> None:
        self.spot = {f"{m.base}-{m.quote}": m for m in ctx.markets if m.is_spot}
        self.contracts = {_contract_id(m): m for m in ctx.markets if not m.is_spot}
        super().__init__(ctx)

    def configure_limits(self) -> None:
        lim = self.limits
        self.pools = {"spot": FixedWindow(int(lim.spot_per_30s), POOL_WINDOW_S),
                      "futures": FixedWindow(int(lim.futures_per_30s), POOL_WINDOW_S),
                      "management": FixedWindow(int(lim.management_per_30s), POOL_WINDOW_S),
                      "public": FixedWindow(int(lim.public_per_30s), POOL_WINDOW_S)}

    # -- routes: (host, path) -> (pool, weight, producer); one route per path, by host -----------

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        table: dict[tuple[str, str], dict[str, Handler]] = {}
        for (host, method, path), (pool, weight, produce) in self._endpoints().items():
            guard = self._public if pool == "public" else self._private
            table.setdefault((method, path), {})[host] = partial(guard, pool, weight, produce)
        return {route: partial(self._by_host, by_host) for route, by_host in table.items()}

    def _endpoints(self) -> dict[tuple[str, str, str], tuple[str, int, Produce]]:
        return {
            (SPOT, "GET", "/api/v1/timestamp"): ("public", 3, self._time),
            (SPOT, "GET", "/api/v1/status"): ("public", 3, self._status),
            (SPOT, "GET", "/api/v2/symbols"): ("public", 4, self._symbols),
            (SPOT, "GET", "/api/v3/currencies"): ("public", 3, self._currencies),
            (SPOT, "GET", "/api/v1/market/allTickers"): ("public", 15, self._all_tickers),
            (SPOT, "GET", "/api/v1/market/stats"): ("public", 15, self._stats),
            (SPOT, "GET", "/api/v1/market/orderbook/level1"): ("public", 2, self._level1),
            (SPOT, "GET", "/api/v1/market/orderbook/level2_20"): ("public", 2, partial(self._spot_book, 20)),
            (SPOT, "GET", "/api/v1/market/orderbook/level2_100"): ("public", 4, partial(self._spot_book, 100)),
            (SPOT, "GET", "/api/v1/market/histories"): ("public", 3, self._spot_trades),
            (SPOT, "GET", "/api/v1/market/candles"): ("public", 3, self._spot_candles),
            (SPOT, "POST", "/api/v1/bullet-public"): ("public", 10, partial(self._bullet, SPOT_STREAM)),
            (SPOT, "GET", "/api/v3/market/orderbook/level2"): ("spot", 3, partial(self._spot_book, 500)),
            (SPOT, "GET", "/api/v1/accounts"): ("management", 5, self._accounts),
            (SPOT, "GET", "/api/v1/user/api-key"): ("management", 20, self._api_key),
            (SPOT, "GET", "/api/v1/margin/account"): ("spot", 40, self._margin_account),
            (SPOT, "GET", "/api/v1/orders"): ("spot", 2, _no_orders),
            (SPOT, "GET", "/api/v1/hf/accounts/opened"): ("spot", 2, lambda req: _ok(False)),
            (SPOT, "GET", "/api/v3/margin/symbols"): ("spot", 3, self._margin_symbols),
            (SPOT, "GET", "/api/v1/isolated/symbols"): ("spot", 3, lambda req: _ok([])),
            (SPOT, "GET", "/api/ua/v1/account/mode"): ("management", 30, lambda req: _ok({"selfAccountMode": "CLASSIC"})),
            (FUTURES, "GET", "/api/v1/timestamp"): ("public", 2, self._time),
            (FUTURES, "GET", "/api/v1/status"): ("public", 4, self._status),
            (FUTURES, "GET", "/api/v1/contracts/active"): ("public", 3, self._contracts),
            (FUTURES, "GET", "/api/v1/ticker"): ("public", 2, self._contract_ticker),
            (FUTURES, "GET", "/api/v1/level2/snapshot"): ("public", 3, partial(self._contract_book, 500)),
            (FUTURES, "GET", "/api/v1/level2/depth20"): ("public", 5, partial(self._contract_book, 20)),
            (FUTURES, "GET", "/api/v1/level2/depth100"): ("public", 10, partial(self._contract_book, 100)),
            (FUTURES, "GET", "/api/v1/trade/history"): ("public", 5, self._contract_trades),
            (FUTURES, "GET", "/api/v1/kline/query"): ("public", 3, self._contract_candles),
            (FUTURES, "POST", "/api/v1/bullet-public"): ("public", 10, partial(self._bullet, FUTURES_STREAM)),
            (FUTURES, "GET", "/api/v1/account-overview"): ("futures", 5, self._account_overview),
            # The same path as the spot host's, charged to the Futures pool here.
            (FUTURES, "GET", "/api/v1/orders"): ("futures", 2, _no_orders),
        }

    async def _by_host(self, by_host: Mapping[str, Handler], req: SimRequest) -> Reply:
        handler = by_host.get(req.host)
        return await handler(req) if handler is not None else self.fault_reply("not_found", req)

    # -- the request path ---------------------------------------------------------------------

    async def _public(self, pool: str, weight: int, produce: Produce, req: SimRequest) -> Reply:
        return self._charged(pool, weight, req.remote, produce, req)

    async def _private(self, pool: str, weight: int, produce: Produce, req: SimRequest) -> Reply:
        refused = self._authenticate(req)
        return refused or self._charged(pool, weight, str(req.signed.uid), produce, req)

    def _charged(self, pool: str, weight: int, key: str, produce: Produce, req: SimRequest) -> Reply:
        req.weight = weight
        now = time.monotonic()
        allowed, remaining, closes_at = self.pools[pool].try_acquire(key, now, weight)
        headers = {"gw-ratelimit-limit": str(self.pools[pool].limit), "gw-ratelimit-remaining": str(max(0, remaining)),
                   "gw-ratelimit-reset": str(max(0, int((closes_at - now) * 1000)))}
        reply = produce(req) if allowed else _refusal(429, "429000", "Too Many Requests", "rate_limited")
        reply.headers = {**(reply.headers or {}), **headers}
        return reply

    def _authenticate(self, req: SimRequest) -> Reply | None:
        h = req.headers
        api_key, sign, stamp, passphrase = (h.get(f"KC-API-{name}") for name in ("KEY", "SIGN", "TIMESTAMP", "PASSPHRASE"))
        if not (api_key and sign and stamp and passphrase):
            return _refusal(401, "400001", "Please check the header of your request for KC-API-KEY, KC-API-SIGN, "
                            "KC-API-TIMESTAMP, KC-API-PASSPHRASE", "auth_failed")
        account = self.ctx.account_by_key(api_key)
        if account is None:
            return _refusal(401, "400003", "KC-API-KEY not exists", "auth_failed")
        req.account = account
        if not stamp.isdigit() or abs(int(stamp) - self.ctx.clock.now_ms()) > TIMESTAMP_WINDOW_MS:
            return _refusal(401, "400002", "KC-API-TIMESTAMP Invalid -- Time differs from server time by more "
                            "than 5 seconds", "invalid_timestamp")
        path = req.path + (f"?{req.raw_query}" if req.raw_query else "")
        if not same(hmac_base64(account.secret, stamp + req.method + path + req.body.decode()), sign):
            return _refusal(401, "400005", "Invalid KC-API-SIGN", "auth_failed")
        expected = account.passphrase or ""
        if h.get("KC-API-KEY-VERSION", "1") != "1":
            expected = hmac_base64(account.secret, expected)
        if not same(expected, passphrase):
            return _refusal(401, "400004", "Invalid KC-API-PASSPHRASE", "auth_failed")
        if account.ip_whitelist and req.remote not in account.ip_whitelist:
            return _refusal(401, "400006", f"Invalid request ip, the current clientIp is:{req.remote}", "auth_failed")
        if not account.can("read"):
            return _refusal(403, "400007", "Access Denied -- Your api key does not have sufficient permissions "
                            "to access the uri", "permission_denied")
        return None

    # -- spot market data ----------------------------------------------------------------------

    def _time(self, req: SimRequest) -> Reply:
        return _ok(self.ctx.clock.now_ms())

    def _status(self, req: SimRequest) -> Reply:
        return _ok({"status": "open", "msg": ""})

    @cached_property
    def _symbol_rows(self) -> list[dict[str, Any]]:
        return [_symbol_row(symbol, m) for symbol, m in self.spot.items()]

    def _symbols(self, req: SimRequest) -> Reply:
        return _ok(self._symbol_rows)

    def _margin_symbols(self, req: SimRequest) -> Reply:
        usdt = [{"symbol": s, "name": s, "enableTrading": True, "market": "USDS", "baseCurrency": m.base,
                 "quoteCurrency": m.quote, "baseIncrement": m.step, "baseMinSize": m.step, "quoteIncrement": m.tick,
                 "quoteMinSize": "0.1", "baseMaxSize": "10000000000", "quoteMaxSize": "99999999",
                 "priceIncrement": m.tick, "feeCurrency": m.quote, "priceLimitRate": "0.1", "minFunds": "0.1"}
                for s, m in self.spot.items() if m.quote == "USDT"]
        return _ok({"timestamp": self.ctx.clock.now_ms(), "items": usdt})

    def _currencies(self, req: SimRequest) -> Reply:
        return _ok([{"currency": a.code, "name": a.code, "fullName": a.name, "precision": a.decimals, "confirms": None,
                     "contractAddress": None, "isMarginEnabled": True, "isDebitEnabled": True,
                     "chains": [{"chainName": c.name, "withdrawalMinSize": f"{c.withdraw_min:g}",
                                 "depositMinSize": None, "withdrawFeeRate": "0",
                                 "withdrawalMinFee": f"{c.withdraw_fee:g}", "isWithdrawEnabled": True,
                                 "isDepositEnabled": True, "confirms": c.confirmations, "preConfirms": c.confirmations,
                                 "contractAddress": "", "withdrawPrecision": a.decimals, "maxWithdraw": None,
                                 "maxDeposit": None, "needTag": False, "chainId": c.network.lower()}
                                for c in a.chains]}
                    for a in assets_for(self.ctx.markets)])

    def _market(self, req: SimRequest, markets: Mapping[str, MarketSpec]) -> MarketSpec | Reply:
        market = markets.get(req.query.get("symbol", ""))
        return market or _refusal(400, "900001", "symbol not exists", "bad_request")

    def _stats_row(self, symbol: str, m: MarketSpec) -> dict[str, Any]:
        walk = self.ctx.prices.quote(m.key, m.price)
        d, last = m.price_decimals, walk.price
        tick = 10.0 ** -d
        return {"symbol": symbol, "symbolName": symbol, "buy": f"{last - tick:.{d}f}", "bestBidSize": "3",
                "sell": f"{last + tick:.{d}f}", "bestAskSize": "2",
                "changeRate": f"{(last / walk.open_price - 1):.4f}", "changePrice": f"{last - walk.open_price:.{d}f}",
                "high": f"{walk.high:.{d}f}", "low": f"{walk.low:.{d}f}", "vol": f"{walk.volume:.4f}",
                "volValue": f"{walk.volume * last:.4f}", "last": f"{last:.{d}f}", "averagePrice": f"{last:.{d}f}",
                "takerFeeRate": "0.001", "makerFeeRate": "0.001", "takerCoefficient": "1", "makerCoefficient": "1"}

    def _stats(self, req: SimRequest) -> Reply:
        market = self._market(req, self.spot)
        if isinstance(market, Reply):
            return market
        return _ok({"time": self.ctx.clock.now_ms(), **self._stats_row(req.query["symbol"], market)})

    def _all_tickers(self, req: SimRequest) -> Reply:
        return _ok({"time": self.ctx.clock.now_ms(), "ticker": [self._stats_row(s, m) for s, m in self.spot.items()]})

    def _level1(self, req: SimRequest) -> Reply:
        market = self._market(req, self.spot)
        if isinstance(market, Reply):
            return market
        row = self._stats_row(req.query["symbol"], market)
        return _ok({"time": self.ctx.clock.now_ms(), "sequence": str(self.ctx.clock.now_ms()), "price": row["last"],
                    "size": "0.1", "bestBid": row["buy"], "bestBidSize": "3", "bestAsk": row["sell"],
                    "bestAskSize": "2"})

    def _spot_book(self, levels: int, req: SimRequest) -> Reply:
        market = self._market(req, self.spot)
        if isinstance(market, Reply):
            return market
        book = depth.order_book(self.ctx.prices, market, levels)
        d, q = market.price_decimals, market.qty_decimals
        return _ok({"time": self.ctx.clock.now_ms(), "sequence": str(book.step + 10_000_000_000),
                    "bids": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.bids],
                    "asks": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.asks]})

    def _spot_trades(self, req: SimRequest) -> Reply:
        market = self._market(req, self.spot)
        if isinstance(market, Reply):
            return market
        d, q = market.price_decimals, market.qty_decimals
        trades = tape.recent_trades(self.ctx.prices, market, 100, self.ctx.clock.now_ms())
        return _ok([{"sequence": str(t.id), "price": f"{t.price:.{d}f}", "size": f"{t.amount:.{q}f}",
                     "side": "buy" if t.buy else "sell", "time": t.timestamp_ms * 1_000_000} for t in trades])

    def _spot_candles(self, req: SimRequest) -> Reply:
        """[time (s), open, close, high, low, volume, turnover], newest first; startAt/endAt in s."""
        market = self._market(req, self.spot)
        if isinstance(market, Reply):
            return market
        interval = CANDLE_TYPES.get(req.query.get("type", ""))
        if interval is None:
            return _refusal(400, "400100", "type invalid", "bad_request")
        rows = candles.in_window(self.ctx.prices, market, interval, 1500, self.ctx.clock.now_ms(),
                                 req.query.get("startAt"), req.query.get("endAt"), 1000)
        d = market.price_decimals
        return _ok([[str(c.open_ms // 1000), f"{c.open:.{d}f}", f"{c.close:.{d}f}", f"{c.high:.{d}f}",
                     f"{c.low:.{d}f}", f"{c.volume:.4f}", f"{c.volume * c.close:.4f}"] for c in reversed(rows)])

    def _bullet(self, stream_host: str, req: SimRequest) -> Reply:
        endpoint = self.ctx.twins.get(stream_host, f"wss://{stream_host}") + "/"
        return _ok({"token": bullet_token(self.ctx.seed), "instanceServers": [{"endpoint": endpoint, "encrypt": True, "protocol": "websocket",
                                                          "pingInterval": 18000, "pingTimeout": 10000}]})

    # -- futures market data -------------------------------------------------------------------

    @cached_property
    def _contract_rows(self) -> list[dict[str, Any]]:
        return [_contract_row(symbol, m, self.ctx.prices.quote(m.key, m.price).price) for symbol, m in self.contracts.items()]

    def _contracts(self, req: SimRequest) -> Reply:
        return _ok(self._contract_rows)

    def _contract_ticker(self, req: SimRequest) -> Reply:
        market = self._market(req, self.contracts)
        if isinstance(market, Reply):
            return market
        last = self.ctx.prices.quote(market.key, market.price).price
        d, tick, now = market.price_decimals, 10.0 ** -market.price_decimals, self.ctx.clock.now_ms()
        return _ok({"sequence": now, "symbol": req.query["symbol"], "side": "buy", "size": 1, "tradeId": str(now),
                    "price": f"{last:.{d}f}", "bestBidPrice": f"{last - tick:.{d}f}", "bestBidSize": 3,
                    "bestAskPrice": f"{last + tick:.{d}f}", "bestAskSize": 2, "ts": now * 1_000_000})

    def _contract_book(self, levels: int, req: SimRequest) -> Reply:
        market = self._market(req, self.contracts)
        if isinstance(market, Reply):
            return market
        book = depth.order_book(self.ctx.prices, market, levels)
        d = market.price_decimals
        return _ok({"symbol": req.query["symbol"], "sequence": book.step + 10_000_000_000,
                    "bids": [[round(p, d), _lots(market, a, p)] for p, a in book.bids],
                    "asks": [[round(p, d), _lots(market, a, p)] for p, a in book.asks],
                    "ts": self.ctx.clock.now_ms() * 1_000_000})

    def _contract_trades(self, req: SimRequest) -> Reply:
        market = self._market(req, self.contracts)
        if isinstance(market, Reply):
            return market
        d = market.price_decimals
        trades = tape.recent_trades(self.ctx.prices, market, 100, self.ctx.clock.now_ms())
        return _ok([{"sequence": t.id, "tradeId": str(t.id), "takerOrderId": f"{t.id:024x}",
                     "makerOrderId": f"{t.id + 1:024x}", "price": f"{t.price:.{d}f}", "size": _lots(market, t.amount, t.price),
                     "side": "buy" if t.buy else "sell", "ts": t.timestamp_ms * 1_000_000} for t in trades])

    def _contract_candles(self, req: SimRequest) -> Reply:
        """[time (ms), open, high, low, close, volume, turnover], oldest first; granularity in minutes."""
        market = self._market(req, self.contracts)
        if isinstance(market, Reply):
            return market
        granularity = req.query.get("granularity", "")
        if not granularity.isdigit():
            return _refusal(400, "400100", "granularity invalid", "bad_request")
        rows = candles.in_window(self.ctx.prices, market, int(granularity) * 60, 500, self.ctx.clock.now_ms(),
                                 req.query.get("from"), req.query.get("to"), 1)
        return _ok([[c.open_ms, c.open, c.high, c.low, c.close, round(c.volume, 4), round(c.volume * c.close, 4)]
                    for c in rows])

    # -- accounts ------------------------------------------------------------------------------

    def _accounts(self, req: SimRequest) -> Reply:
        """The trade account's balances (``type=trade``; the funding account ``main`` is empty)."""
        account = req.signed
        kind = req.query.get("type", "trade")
        wallet = account.balance("margin" if kind == "margin" else "spot") if kind in ("trade", "margin") else {}
        wanted = req.query.get("currency")
        return _ok([{"id": f"{account.uid}{n:04d}", "currency": asset, "type": kind, "balance": f"{total:.8f}",
                     "available": f"{total:.8f}", "holds": "0"}
                    for n, (asset, total) in enumerate(wallet.items()) if wanted in (None, asset)])

    def _margin_account(self, req: SimRequest) -> Reply:
        """The cross margin account: what it holds, nothing borrowed."""
        wallet = req.signed.balance("margin")
        return _ok({"debtRatio": "0", "accounts": [
            {"currency": asset, "totalBalance": f"{total:.8f}", "availableBalance": f"{total:.8f}", "holdBalance": "0",
             "liability": "0", "maxBorrowSize": f"{total * 4:.8f}"} for asset, total in wallet.items()]})

    def _account_overview(self, req: SimRequest) -> Reply:
        currency = req.query.get("currency", "XBT")
        total = req.signed.balance("perpetual_futures").get("BTC" if currency == "XBT" else currency, 0.0)
        return _ok({"accountEquity": total, "unrealisedPNL": 0, "marginBalance": total, "positionMargin": 0,
                    "orderMargin": 0, "frozenFunds": 0, "availableBalance": total, "currency": currency,
                    "riskRatio": 0, "maxWithdrawAmount": total})

    def _api_key(self, req: SimRequest) -> Reply:
        account = req.signed
        granted = ["General"] + [name for name, need in (("Spot", "trade"), ("Margin", "trade"), ("Futures", "trade"),
                                                          ("InnerTransfer", "transfer"), ("Withdrawal", "withdraw"))
                                 if account.can(need)]
        return _ok({"remark": account.name, "apiKey": account.api_key, "apiVersion": 3, "permission": ",".join(granted),
                    "ipWhitelist": ",".join(account.ip_whitelist), "createdAt": 1_700_000_000_000,
                    "uid": account.uid, "isMaster": True})

    # -- faults in KuCoin's words ----------------------------------------------------------------

    def fault_reply(self, kind: FaultKind, req: SimRequest) -> Reply:
        if kind == "maintenance":
            # The status endpoint says so; everything else is refused by the front end meanwhile.
            if req.path == "/api/v1/status":
                return _ok({"status": "close", "msg": "System maintenance"})
            return Reply(503, b"Service Unavailable: system maintenance", None, "text/plain", "maintenance")
        if kind == "rate_limited":
            return _refusal(429, "429000", "Too Many Requests", "rate_limited")
        if kind == "server_error":
            return _refusal(500, "500000", "Internal Server Error", "server_error")
        return _refusal(404, "404000", "Url Not Found", "not_found")


def bullet_token(seed: int) -> str:
    """The public stream token this simulator hands out (an opaque string to the client; the
    stream server accepts no other)."""
    return base64.urlsafe_b64encode(hashlib.sha256(f"kucoin-bullet:{seed}".encode()).digest() * 3).decode()


def _ok(data: Any) -> Reply:
    return json_reply({"code": "200000", "data": data})


def _no_orders(req: SimRequest) -> Reply:
    """An order list (both hosts' page shape) with nothing in it: the simulator keeps no orders."""
    return _ok({"currentPage": 1, "pageSize": int(req.query.get("pageSize", 50)), "totalNum": 0, "totalPage": 0,
                "items": []})


def _refusal(status: int, code: str, message: str, outcome: str) -> Reply:
    return json_reply({"code": code, "msg": message}, status, outcome=outcome)


def _contract_id(m: MarketSpec) -> str:
    """XBTUSDTM (USDT-margined), XBTUSDM (coin-margined): KuCoin Futures calls bitcoin XBT."""
    base = "XBT" if m.base == "BTC" else m.base
    return f"{base}USDTM" if not m.is_inverse else f"{base}USDM"


def _lots(m: MarketSpec, amount: float, price: float) -> int:
    """Contracts for an amount of the base: a USDT contract is one lot of the base (the
    ``multiplier``), a coin-margined one is one USD."""
    return max(1, round(amount * price if m.is_inverse else amount / float(m.step)))


def _symbol_row(symbol: str, m: MarketSpec) -> dict[str, Any]:
    return {"symbol": symbol, "name": symbol, "baseCurrency": m.base, "quoteCurrency": m.quote, "feeCurrency": m.quote,
            "market": "USDS" if m.quote in ("USDT", "USDC") else m.quote, "baseMinSize": m.step,
            "quoteMinSize": f"{m.min_notional:g}", "baseMaxSize": "10000000000", "quoteMaxSize": "99999999",
            "baseIncrement": m.step, "quoteIncrement": m.tick, "priceIncrement": m.tick, "priceLimitRate": "0.1",
            "minFunds": f"{m.min_notional:g}", "isMarginEnabled": m.quote == "USDT", "enableTrading": True,
            "feeCategory": 1, "makerFeeCoefficient": "1.00", "takerFeeCoefficient": "1.00", "st": False,
            "callauctionIsEnabled": False}


def _contract_row(symbol: str, m: MarketSpec, price: float) -> dict[str, Any]:
    base = "XBT" if m.base == "BTC" else m.base
    d = m.price_decimals
    return {"symbol": symbol, "rootSymbol": m.settle if not m.is_inverse else base, "type": "FFWCSX",
            "firstOpenDate": 1_585_555_200_000, "expireDate": None, "settleDate": None, "baseCurrency": base,
            "quoteCurrency": m.quote, "settleCurrency": "XBT" if m.is_inverse and base == "XBT" else m.settle,
            "maxOrderQty": 1_000_000, "maxPrice": 1_000_000.0, "lotSize": 1, "tickSize": float(m.tick),
            "indexPriceTickSize": float(m.tick), "multiplier": -1 if m.is_inverse else float(m.step),
            "initialMargin": 0.008, "maintainMargin": 0.004, "maxRiskLimit": 100_000, "minRiskLimit": 100_000,
            "riskStep": 50_000, "makerFeeRate": 0.0002, "takerFeeRate": 0.0006, "takerFixFee": 0, "makerFixFee": 0,
            "isDeleverage": True, "isQuanto": False, "isInverse": m.is_inverse, "markMethod": "FairPrice",
            "fairMethod": "FundingRate", "settlementSymbol": "", "status": "Open", "fundingFeeRate": 0.0001,
            "predictedFundingFeeRate": 0.0001, "fundingRateGranularity": 28_800_000,
            "nextFundingRateTime": 14_400_000, "openInterest": "1000000", "turnoverOf24h": 1e8,
            "volumeOf24h": 1e4, "markPrice": round(price, d), "indexPrice": round(price, d),
            "lastTradePrice": round(price, d), "maxLeverage": 125, "supportCross": True}


SIM_EXCHANGE = KucoinSim
