"""BingX: spot, USDT-M perpetual swaps and coin-M perpetuals, under ``/openApi``.

Signature: hex HMAC-SHA256 of the request's parameters (timestamp included) in the order sent,
as ``k=v`` joined by ``&`` without URL encoding, passed as the last query parameter `signature`;
key in `X-BX-APIKEY`. `timestamp` must lie within `recvWindow` (default 5 s) behind and 5 s ahead
of the server. Refusals (HTTP 200, code in the body): 100413 unknown key, 100001 bad signature,
100421 missing or stale timestamp, 100004 missing permission.

Rate limits as BingX counts them: market data per IP (100 per 10 s), account data per UID and
endpoint (5 per second); every response reports the window by `X-RateLimit-Requests-Remain` and
`X-RateLimit-Requests-Expire` (ms until it resets). Over: HTTP 429; a client that keeps going is
banned with HTTP 418. Wallets: spot -> "spot", swap v2/v3 -> "perpetual_futures",
cswap -> "futures" (coin-M). Key permissions: `/openApi/v1/account/apiPermissions`
(1 spot trading, 2 read, 3 perpetual trading, 4 universal transfer, 5 withdraw).

The perpetual test order (``POST /openApi/swap/v2/trade/order/test``, 5 per second per UID)
validates an order as the order endpoint does and places nothing; it answers the order endpoint's
``{"order": {...}}`` and refuses with the codes of BingX's error table (docs-v3): 80014 for a
missing or invalid parameter, 109400 for an unknown symbol, 100400 for a limit price at or below
zero, 101400 for a notional under the minimum, 100004 for a key without trading permission.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from cts_tui.sim import candles, depth, tape
from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.assets import assets_for
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply
from cts_tui.sim.limits import BanList, FixedWindow
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.signing import hmac_hex, same, split_signed_query

Producer = Callable[[SimRequest], Reply]
FUTURE_TOLERANCE_MS = 5_000
PERMISSION_IDS = {"trade": (1, 3), "read": (2,), "transfer": (4,), "withdraw": (5,)}
TRADE_MIN_USDT = 2  # the contracts' `tradeMinUSDT`: the smallest notional an order may have
SWAP_ORDER_TYPES = ("LIMIT", "MARKET", "STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT", "TRIGGER_LIMIT",
                    "TRIGGER_MARKET", "TRAILING_STOP_MARKET", "TRAILING_TP_SL")


class BingxSim(SimExchange):
    exchange_id = "bingx"
    market_kinds = {"spot": 0.5, "linear_swap": 0.45, "inverse_swap": 0.05}

    class Limits(LimitsModel):
        public_per_10s: float = 100
        private_per_second: float = 5
        ban_after_rejections: float = 10  # 429s within a minute before the 418 ban
        ban_seconds: float = 300

    limits: Limits

    def __init__(self, ctx) -> None:
        self.spot = {f"{m.base}-{m.quote}": m for m in ctx.markets if m.is_spot}
        self.swap = {f"{m.base}-{m.quote}": m for m in ctx.markets if m.kind == "linear_swap"}
        self.cswap = {f"{m.base}-USD": m for m in ctx.markets if m.kind == "inverse_swap"}
        self._order_ids = itertools.count(1)
        super().__init__(ctx)

    def configure_limits(self) -> None:
        lim = self.limits
        self.public_window = FixedWindow(int(lim.public_per_10s), 10.0)
        self.private_window = FixedWindow(int(lim.private_per_second), 1.0)
        self.bans = BanList(int(lim.ban_after_rejections), lim.ban_seconds, 60.0)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        public: dict[str, Callable[[SimRequest], Reply]] = {
            "/openApi/swap/v2/server/time": self._time,
            "/openApi/spot/v1/common/symbols": self._spot_symbols,
            "/openApi/swap/v2/quote/contracts": self._swap_contracts,
            "/openApi/cswap/v1/market/contracts": self._cswap_contracts,
            "/openApi/spot/v1/ticker/24hr": partial(self._ticker, "spot"),
            "/openApi/swap/v2/quote/ticker": partial(self._ticker, "swap"),
            "/openApi/cswap/v1/market/ticker": partial(self._ticker, "cswap"),
            "/openApi/spot/v1/market/depth": partial(self._depth, "spot"),
            "/openApi/swap/v2/quote/depth": partial(self._depth, "swap"),
            "/openApi/cswap/v1/market/depth": partial(self._depth, "cswap"),
            "/openApi/spot/v1/market/trades": partial(self._trades, "spot"),
            "/openApi/swap/v2/quote/trades": partial(self._trades, "swap"),
            "/openApi/spot/v1/market/kline": partial(self._klines, "spot"),
            "/openApi/spot/v2/market/kline": partial(self._klines, "spot"),
            "/openApi/swap/v3/quote/klines": partial(self._klines, "swap"),
            "/openApi/cswap/v1/market/klines": partial(self._klines, "cswap"),
        }
        private: dict[str, Callable[[SimRequest], Reply]] = {
            "/openApi/spot/v1/account/balance": self._spot_balance,
            "/openApi/swap/v2/user/balance": partial(self._contract_balance, "v2"),
            "/openApi/swap/v3/user/balance": partial(self._contract_balance, "v3"),
            "/openApi/cswap/v1/user/balance": partial(self._contract_balance, "cswap"),
            "/openApi/v1/account/apiPermissions": self._permissions,
            "/openApi/wallets/v1/capital/config/getall": self._coins,
            "/openApi/spot/v1/trade/openOrders": lambda req: self._ok({"orders": []}),
            "/openApi/swap/v2/trade/openOrders": lambda req: self._ok({"orders": []}),
            "/openApi/swap/v2/user/positions": lambda req: self._ok([]),
            "/openApi/cswap/v1/user/positions": lambda req: self._ok([]),
        }
        routes: dict[tuple[str, str], Handler] = {("GET", p): partial(self._public, f) for p, f in public.items()}
        routes |= {("GET", p): partial(self._private, f) for p, f in private.items()}
        routes[("POST", "/openApi/swap/v2/trade/order/test")] = partial(self._private, self._test_order)
        return routes

    # -- the request path ------------------------------------------------------------------

    def _admit(self, window: FixedWindow, key: str, ban_key: str) -> tuple[Reply | None, dict[str, str]]:
        now = time.monotonic()
        until = self.bans.banned_until(ban_key, now)
        if until is not None:
            return _banned(until - now), {}
        allowed, remaining, reset_at = window.try_acquire(key, now)
        headers = {"X-RateLimit-Requests-Remain": str(remaining),
                   "X-RateLimit-Requests-Expire": str(max(0, int((reset_at - now) * 1000)))}
        if allowed:
            return None, headers
        until = self.bans.strike(ban_key, now)
        if until is not None:
            return _banned(until - now), headers
        return json_reply({"code": 429, "msg": "Too Many Requests, please try again later"}, 429, headers,
                          "rate_limited"), headers

    async def _public(self, produce: Producer, req: SimRequest) -> Reply:
        refused, headers = self._admit(self.public_window, req.remote, req.remote)
        if refused is not None:
            return refused
        reply = produce(req)
        reply.headers = headers
        return reply

    async def _private(self, produce: Producer, req: SimRequest) -> Reply:
        refused = self._authenticate(req)
        if refused is not None:
            return refused
        assert req.account is not None
        refused, headers = self._admit(self.private_window, f"{req.account.uid}:{req.path}", req.remote)
        if refused is not None:
            return refused
        reply = produce(req)
        reply.headers = headers
        return reply

    def _authenticate(self, req: SimRequest) -> Reply | None:
        account = self.ctx.account_by_key(req.headers.get("X-BX-APIKEY"))
        if account is None:
            return self._error(100413, "Incorrect apiKey", "auth_failed")
        req.account = account
        _, signature = split_signed_query(req.raw_query)
        params = [(k, v) for k, v in req.query.items() if k != "signature"]
        try:
            stamp = int(req.query.get("timestamp", ""))
            window = int(req.query.get("recvWindow", "5000"))
        except ValueError:
            return self._error(100421, "Null timestamp or timestamp mismatch", "invalid_timestamp")
        server = self.ctx.clock.now_ms()
        if not server - window <= stamp <= server + FUTURE_TOLERANCE_MS:
            return self._error(100421, "Null timestamp or timestamp mismatch", "invalid_timestamp")
        expected = hmac_hex(account.secret, "&".join(f"{k}={v}" for k, v in params))
        if not same(expected, signature):
            return self._error(100001, "Signature verification failed", "auth_failed")
        if not account.can("read"):
            return self._error(100004, "Permission denied as the API key was created without the permission",
                               "permission_denied")
        return None

    def _error(self, code: int, message: str, outcome: str) -> Reply:
        return json_reply({"code": code, "msg": message, "timestamp": self.ctx.clock.now_ms()}, outcome=outcome)

    def _ok(self, data: object) -> Reply:
        return json_reply({"code": 0, "msg": "", "debugMsg": "", "timestamp": self.ctx.clock.now_ms(), "data": data})

    # -- market data -----------------------------------------------------------------------

    def _time(self, req: SimRequest) -> Reply:
        return self._ok({"serverTime": self.ctx.clock.now_ms()})

    def _spot_symbols(self, req: SimRequest) -> Reply:
        return self._ok({"symbols": [
            {"symbol": s, "minQty": m.min_qty, "maxQty": 9000, "minNotional": m.min_notional,
             "maxNotional": 2_000_000, "status": 1, "tickSize": float(m.tick), "stepSize": float(m.step),
             "apiStateSell": True, "apiStateBuy": True, "timeOnline": 1_700_000_000_000, "offTime": 0,
             "maintainTime": 0} for s, m in self.spot.items()]})

    def _swap_contracts(self, req: SimRequest) -> Reply:
        return self._ok([
            {"contractId": str(100 + n), "symbol": s, "quantityPrecision": m.qty_decimals,
             "pricePrecision": m.price_decimals, "feeRate": 0.0005, "makerFeeRate": 0.0002,
             "takerFeeRate": 0.0005, "tradeMinLimit": 0, "tradeMinQuantity": m.min_qty,
             "tradeMinUSDT": TRADE_MIN_USDT,
             "maxLongLeverage": 125, "maxShortLeverage": 125, "currency": "USDT", "asset": m.base, "status": 1,
             "apiStateOpen": "true", "apiStateClose": "true", "ensureTrigger": True,
             "triggerFeeRate": "0.00020000", "brokerState": False, "launchTime": 1_700_000_000_000,
             "maintainTime": 0, "offTime": 0} for n, (s, m) in enumerate(self.swap.items())])

    def _cswap_contracts(self, req: SimRequest) -> Reply:
        return self._ok([
            {"symbol": s, "pricePrecision": m.price_decimals, "minTickSize": f"{m.contract_size:g}",
             "minTradeValue": f"{m.contract_size:g}", "minQty": "1", "status": 1,
             "timeOnline": 1_700_000_000_000} for s, m in self.cswap.items()])

    def _market(self, family: str, req: SimRequest) -> MarketSpec | Reply:
        symbol = req.query.get("symbol", "")
        market = {"spot": self.spot, "swap": self.swap, "cswap": self.cswap}[family].get(symbol)
        return market or self._error(100204, f"symbol {symbol} not found", "bad_request")

    def _depth(self, family: str, req: SimRequest) -> Reply:
        market = self._market(family, req)
        if isinstance(market, Reply):
            return market
        book = depth.order_book(self.ctx.prices, market, req.int_param("limit", 20, 1000))
        d, q, now = market.price_decimals, market.qty_decimals, self.ctx.clock.now_ms()
        bids = [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.bids]
        asks = [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.asks]
        if family == "spot":
            return self._ok({"bids": bids, "asks": asks, "ts": now, "lastUpdateId": book.step + 1})
        coins = {"bidsCoin": [[p, f"{float(a) * market.contract_size:g}"] for p, a in bids],
                 "asksCoin": [[p, f"{float(a) * market.contract_size:g}"] for p, a in asks]}
        return self._ok({"T": now, "bids": bids, "asks": asks} | coins)

    def _trades(self, family: str, req: SimRequest) -> Reply:
        market = self._market(family, req)
        if isinstance(market, Reply):
            return market
        trades = tape.recent_trades(self.ctx.prices, market, req.int_param("limit", 100, 1000), self.ctx.clock.now_ms())
        d, q = market.price_decimals, market.qty_decimals
        if family == "spot":
            return self._ok([{"id": t.id, "price": t.price, "qty": t.amount, "time": t.timestamp_ms,
                              "buyerMaker": not t.buy} for t in trades])
        return self._ok([{"time": t.timestamp_ms, "isBuyerMaker": not t.buy, "price": f"{t.price:.{d}f}",
                          "qty": f"{t.amount:.{q}f}", "quoteQty": f"{t.price * t.amount:.4f}"} for t in trades])

    def _klines(self, family: str, req: SimRequest) -> Reply:
        market = self._market(family, req)
        if isinstance(market, Reply):
            return market
        interval = candles.interval_seconds(req.query.get("interval", ""))
        if interval is None:
            return self._error(100400, "invalid interval", "bad_request")
        rows = candles.in_window(self.ctx.prices, market, interval, req.int_param("limit", 500, 1440),
                                 self.ctx.clock.now_ms(), req.query.get("startTime"), req.query.get("endTime"))
        if family == "spot":
            return self._ok([[c.open_ms, c.open, c.high, c.low, c.close, c.volume, c.open_ms + interval * 1000 - 1,
                              round(c.volume * c.close, 4)] for c in rows])
        d = market.price_decimals
        return self._ok([{"open": f"{c.open:.{d}f}", "close": f"{c.close:.{d}f}", "high": f"{c.high:.{d}f}",
                          "low": f"{c.low:.{d}f}", "volume": f"{c.volume:.4f}", "time": c.open_ms}
                         for c in reversed(rows)])

    def _ticker(self, family: str, req: SimRequest) -> Reply:
        market = self._market(family, req)
        if isinstance(market, Reply):
            return market
        symbol = req.query["symbol"]
        walk = self.ctx.prices.quote(market.key, market.price)
        d, last = market.price_decimals, walk.price
        tick, now = 10.0 ** -d, self.ctx.clock.now_ms()
        ticker: dict[str, Any] = {"symbol": symbol, "priceChange": f"{last - walk.open_price:.{d}f}",
                  "priceChangePercent": f"{100 * (last / walk.open_price - 1):.2f}", "lastPrice": f"{last:.{d}f}",
                  "lastQty": "0.5", "highPrice": f"{walk.high:.{d}f}", "lowPrice": f"{walk.low:.{d}f}",
                  "volume": f"{walk.volume:.4f}", "quoteVolume": f"{walk.volume * last:.2f}",
                  "openPrice": f"{walk.open_price:.{d}f}", "openTime": now - 86_400_000, "closeTime": now,
                  "bidPrice": f"{last - tick:.{d}f}", "bidQty": "1.2", "askPrice": f"{last + tick:.{d}f}",
                  "askQty": "0.8"}
        if family == "spot":
            ticker["priceChangePercent"] += "%"
            return self._ok([ticker])
        return self._ok([ticker] if family == "cswap" else ticker)

    # -- account ---------------------------------------------------------------------------

    def _spot_balance(self, req: SimRequest) -> Reply:
        account = _authed(req)
        return self._ok({"balances": [{"asset": a, "free": f"{v:.8f}", "locked": "0"}
                                      for a, v in account.balance("spot").items()]})

    def _contract_balance(self, version: str, req: SimRequest) -> Reply:
        account = _authed(req)
        wallet = account.balance("futures" if version == "cswap" else "perpetual_futures")
        rows = [{"userId": str(account.uid), "asset": a, "balance": f"{v:.8f}", "equity": f"{v:.8f}",
                 "unrealizedProfit": "0", "realisedProfit": "0", "availableMargin": f"{v:.8f}",
                 "usedMargin": "0", "freezedMargin": "0", "shortUid": str(account.uid % 10**8)}
                for a, v in wallet.items()]
        return self._ok({"balance": rows[0]} if version == "v2" and rows else rows)

    def _coins(self, req: SimRequest) -> Reply:
        """The wallet's coins and their networks: ccxt reads them before the markets."""
        return self._ok([{"coin": a.code, "name": a.name, "networkList": [
            {"name": c.name, "network": c.network, "isDefault": n == 0, "minConfirm": c.confirmations,
             "withdrawEnable": True, "depositEnable": True, "withdrawFee": f"{c.withdraw_fee:g}",
             "withdrawMax": "9999999", "withdrawMin": f"{c.withdraw_min:g}", "depositMin": "0.00000001",
             "needTagOrMemo": False, "withdrawPrecision": a.decimals, "depositPrecision": a.decimals,
             "contractAddress": ""} for n, c in enumerate(a.chains)]} for a in assets_for(self.ctx.markets)])

    def _test_order(self, req: SimRequest) -> Reply:
        params = req.query
        if not _authed(req).can("trade"):
            return self._error(100004, "Permission denied as the API key was created without the permission",
                               "permission_denied")
        for name in ("symbol", "type", "side"):
            if not params.get(name):
                return self._error(80014, f"Invalid parameters,{name}: This field is required.", "bad_request")
        market = self.swap.get(params["symbol"])
        if market is None:
            return self._error(109400, "symbol not exist", "bad_request")
        kind, position = params["type"], params.get("positionSide", "LONG")
        if kind not in SWAP_ORDER_TYPES or params["side"] not in ("BUY", "SELL") or position not in (
                "BOTH", "LONG", "SHORT"):
            return self._error(80014, "Invalid parameter", "bad_request")
        try:
            quantity = float(params.get("quantity", "0"))
            price = float(params.get("price", "0"))
        except ValueError:
            return self._error(80014, "Invalid parameter", "bad_request")
        if quantity <= 0:
            return self._error(80014, "parameter quantity is must", "bad_request")
        if kind == "LIMIT" and price <= 0:
            return self._error(100400, "price can't be lte 0 in limit order", "bad_request")
        reckoned_at = price or self.ctx.prices.quote(market.key, market.price).price
        if quantity * reckoned_at < TRADE_MIN_USDT:
            return self._error(101400, "Please ensure that the minimum nominal value of the order placed must be "
                               f"greater than {TRADE_MIN_USDT}u", "bad_request")
        order_id = self.ctx.clock.now_ms() * 1_000_000 + next(self._order_ids)
        return self._ok({"order": {"symbol": params["symbol"], "orderId": order_id, "side": params["side"],
                                   "positionSide": position, "type": kind,
                                   "clientOrderId": params.get("clientOrderId", ""),
                                   "workingType": params.get("workingType", "MARK_PRICE")}})

    def _permissions(self, req: SimRequest) -> Reply:
        account = _authed(req)
        ids = sorted(i for perm, numbers in PERMISSION_IDS.items() if account.can(perm) for i in numbers)
        return self._ok({"ipAddresses": list(account.ip_whitelist), "permissions": ids, "note": account.name})

    # -- faults in BingX's words -----------------------------------------------------------

    def fault_reply(self, kind, req: SimRequest) -> Reply:
        if kind == "maintenance":
            return json_reply({"code": 100503, "msg": "The system is under maintenance, please try again later."},
                              503, outcome="maintenance")
        if kind == "rate_limited":
            return json_reply({"code": 429, "msg": "Too Many Requests, please try again later"}, 429,
                              outcome="rate_limited")
        if kind == "server_error":
            return json_reply({"code": 100500, "msg": "Internal system error"}, 500, outcome="server_error")
        # An unknown path: code 100400 "this api is not exist" in an HTTP 200 body, as clients
        # calling removed endpoints record it (read from the JSON after the status check passed).
        return json_reply({"code": 100400, "msg": "this api is not exist"}, 200, outcome="not_found")


def _banned(seconds_left: float) -> Reply:
    return json_reply({"code": 418, "msg": "Your IP has been banned for exceeding the rate limit, "
                       f"please retry after {int(seconds_left) + 1}s"}, 418,
                      {"Retry-After": str(int(seconds_left) + 1)}, "banned")


def _authed(req: SimRequest) -> SimAccount:
    assert req.account is not None  # _private authenticated before producing
    return req.account


SIM_EXCHANGE = BingxSim
