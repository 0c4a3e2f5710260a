"""Binance: spot (/api/v3), margin and wallet (/sapi), USD-M futures (/fapi), COIN-M (/dapi).

Rate limits as Binance counts them: REQUEST_WEIGHT per IP per clock-aligned minute, with separate
pools for /api, /sapi, /fapi and /dapi and the documented endpoint weights; every response carries
the used weight (`X-MBX-USED-WEIGHT-1M`, or `X-SAPI-USED-IP-WEIGHT-1M` on /sapi). Over the limit:
HTTP 429, code -1003, `Retry-After` to the next minute; a client that keeps sending while told to
stop is banned with HTTP 418 and `Retry-After` (the ban doubles each time).

Signed endpoints (HMAC-SHA256, hex) check in Binance's order: API key (-2014 format / -2015 unknown
or lacking permission, HTTP 401), timestamp within recvWindow and at most 1 s ahead (-1021, 400),
signature over the query/body exactly as sent (-1022, 400).

Balances: /api/v3/account -> "spot", /sapi/v1/margin/account -> "margin", /fapi -> 
"perpetual_futures" (USD-M, which also lists the quarterly contracts), /dapi -> "futures" (COIN-M).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

from cts_tui.sim import candles, depth, tape
from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.assets import assets_for
from cts_tui.sim.exchange import (
    Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply,
)
from cts_tui.sim.exchanges import _binance_params
from cts_tui.sim.limits import AlignedWindow, BanList
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.signing import hmac_hex, same, split_signed_query

Producer = Callable[[SimRequest], Awaitable[Reply] | Reply]

POOL_HEADER = {
    "api": "X-MBX-USED-WEIGHT-1M",
    "sapi": "X-SAPI-USED-IP-WEIGHT-1M",
    "fapi": "X-MBX-USED-WEIGHT-1M",
    "dapi": "X-MBX-USED-WEIGHT-1M",
}
PERPETUAL_DELIVERY = 4133404800000  # Binance's "never" for perpetual contracts
SPOT_ORDER_TYPES = ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT"]
FUTURES_ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET",
                       "TRAILING_STOP_MARKET"]


class BinanceSim(SimExchange):
    exchange_id = "binance"
    market_kinds = {"spot": 0.55, "linear_swap": 0.35, "linear_future": 0.02, "inverse_swap": 0.05,
                    "inverse_future": 0.03}

    class Limits(LimitsModel):
        spot_weight_per_minute: float = 6000
        sapi_weight_per_minute: float = 12000
        fapi_weight_per_minute: float = 2400
        dapi_weight_per_minute: float = 2400
        ban_after_rejections: float = 10  # 429s within a minute before the 418 ban
        ban_seconds: float = 120
        max_recv_window_ms: float = 60000

    limits: Limits

    def __init__(self, ctx) -> None:
        self.spot: dict[str, MarketSpec] = {}
        self.fapi: dict[str, MarketSpec] = {}
        self.dapi: dict[str, MarketSpec] = {}
        for market in ctx.markets:
            if market.is_spot:
                self.spot[market.base + market.quote] = market
            elif market.is_inverse:
                self.dapi[_contract_id(market)] = market
            else:
                self.fapi[_contract_id(market)] = market
        self._info_cache: dict[str, tuple[bytes, bytes]] = {}
        super().__init__(ctx)

    # -- limits ----------------------------------------------------------------------------

    def configure_limits(self) -> None:
        lim = self.limits
        self.windows = {
            "api": AlignedWindow(lim.spot_weight_per_minute, 60),
            "sapi": AlignedWindow(lim.sapi_weight_per_minute, 60),
            "fapi": AlignedWindow(lim.fapi_weight_per_minute, 60),
            "dapi": AlignedWindow(lim.dapi_weight_per_minute, 60),
        }
        self.bans = BanList(int(lim.ban_after_rejections), lim.ban_seconds, 60)
        self._info_cache.clear()

    # -- routing ---------------------------------------------------------------------------

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        r: dict[tuple[str, str], Handler] = {}

        def add(method: str, path: str, pool: str, weight: int | Callable[[SimRequest], int],
                permission: str | None, produce: Producer) -> None:
            r[(method, path)] = partial(self._serve, pool, weight, permission, produce)

        for pool, prefix in (("api", "/api/v3"), ("fapi", "/fapi/v1"), ("dapi", "/dapi/v1")):
            add("GET", f"{prefix}/ping", pool, 1, None, lambda req: json_reply({}))
            add("GET", f"{prefix}/time", pool, 1, None, self._time)
            add("GET", f"{prefix}/exchangeInfo", pool, 20 if pool == "api" else 1, None,
                partial(self._exchange_info, pool))
            ticker_weight = (2, 80) if pool == "api" else (1, 40)
            add("GET", f"{prefix}/ticker/24hr", pool, _by_symbol(*ticker_weight), None,
                partial(self._tickers, pool, True))
            add("GET", f"{prefix}/ticker/price", pool, _by_symbol(2 if pool == "api" else 1, 4 if pool == "api" else 2),
                None, partial(self._tickers, pool, False))
            add("GET", f"{prefix}/depth", pool, _depth_weight(pool), None, partial(self._depth, pool))
            add("GET", f"{prefix}/trades", pool, 25 if pool == "api" else 5, None, partial(self._trades, pool, False))
            add("GET", f"{prefix}/aggTrades", pool, 4 if pool == "api" else 20, None, partial(self._trades, pool, True))
            add("GET", f"{prefix}/klines", pool, 2 if pool == "api" else _klines_weight, None,
                partial(self._klines, pool))
            add("GET", f"{prefix}/openOrders", pool, _by_symbol(*((6, 80) if pool == "api" else (1, 40))), "read",
                lambda req: json_reply([]))
        add("GET", "/api/v3/account", "api", 20, "read", self._spot_account)
        add("POST", "/api/v3/order/test", "api", 1, "trade", partial(self._order_test, "api"))
        add("POST", "/fapi/v1/order/test", "fapi", 1, "trade", partial(self._order_test, "fapi"))
        add("GET", "/sapi/v1/capital/config/getall", "sapi", 10, "read", self._coins)
        add("GET", "/sapi/v1/system/status", "sapi", 1, None, lambda req: json_reply({"status": 0, "msg": "normal"}))
        add("GET", "/sapi/v1/account/apiRestrictions", "sapi", 1, "read", self._api_restrictions)
        add("GET", "/sapi/v1/margin/account", "sapi", 10, "read", self._margin_account)
        add("GET", "/sapi/v1/margin/allPairs", "sapi", 1, "read", partial(self._margin_pairs, False))
        add("GET", "/sapi/v1/margin/isolated/allPairs", "sapi", 10, "read", partial(self._margin_pairs, True))
        for version in ("v2", "v3"):
            add("GET", f"/fapi/{version}/account", "fapi", 5, "read", partial(self._futures_account, "fapi"))
            add("GET", f"/fapi/{version}/balance", "fapi", 5, "read", partial(self._futures_balance, "fapi"))
        for version in ("v2", "v3"):
            add("GET", f"/fapi/{version}/positionRisk", "fapi", 5, "read", lambda req: json_reply([]))
        add("GET", "/dapi/v1/positionRisk", "dapi", 1, "read", lambda req: json_reply([]))
        add("GET", "/dapi/v1/account", "dapi", 5, "read", partial(self._futures_account, "dapi"))
        add("GET", "/dapi/v1/balance", "dapi", 1, "read", partial(self._futures_balance, "dapi"))
        return r

    async def _serve(self, pool: str, weight: int | Callable[[SimRequest], int], permission: str | None,
                     produce: Producer, req: SimRequest) -> Reply:
        now = time.time()
        req.weight = weight if isinstance(weight, int) else weight(req)
        key = f"{pool}:{req.remote}"
        window = self.windows[pool]
        banned_until = self.bans.banned_until(key, now)
        if banned_until is not None:
            return self._banned(req, pool, banned_until, now, window.used(key, now))
        used = window.add(key, req.weight, now)
        if used > window.limit:
            until = self.bans.strike(key, now)
            if until is not None:
                return self._banned(req, pool, until, now, used)
            headers = {POOL_HEADER[pool]: str(int(used)), "Retry-After": str(window.retry_after(now))}
            return json_reply({"code": -1003, "msg": f"Too much request weight used; current limit is "
                               f"{int(window.limit)} request weight per 1 MINUTE. Please use WebSocket Streams "
                               "for live updates to avoid polling the API."}, 429, headers, "rate_limited")
        if permission is not None:
            refusal = self._authenticate(req, permission)
            if refusal is not None:
                refusal.headers = {POOL_HEADER[pool]: str(int(used))}
                return refusal
        reply = produce(req)
        if not isinstance(reply, Reply):
            reply = await reply
        reply.headers = {**(reply.headers or {}), POOL_HEADER[pool]: str(int(used))}
        return reply

    def _banned(self, req: SimRequest, pool: str, until: float, now: float, used: float) -> Reply:
        headers = {POOL_HEADER[pool]: str(int(used)), "Retry-After": str(max(1, int(until - now + 0.999)))}
        return json_reply({"code": -1003, "msg": f"Way too much request weight used; IP banned until "
                           f"{int(until * 1000)}. Please use WebSocket Streams for live updates to avoid bans."},
                          418, headers, "banned")

    # -- authentication --------------------------------------------------------------------

    def _authenticate(self, req: SimRequest, permission: str) -> Reply | None:
        api_key = req.headers.get("X-MBX-APIKEY")
        if not api_key:
            return json_reply({"code": -2014, "msg": "API-key format invalid."}, 401, outcome="auth_failed")
        account = self.ctx.account_by_key(api_key)
        if account is None:
            return _invalid_key(req, "auth_failed")
        req.account = account
        signed_part, signature = split_signed_query(req.raw_query)
        params: Mapping[str, str] = req.query
        if signature is None and req.body:  # a POST: Binance signs the query and body concatenated
            body_part, signature = split_signed_query(req.body.decode("latin-1"))
            signed_part, params = req.raw_query + body_part, {**req.query, **_form(req.body)}
        timestamp, recv_window = params.get("timestamp"), params.get("recvWindow", "5000")
        if not signature:
            return _binance_params.mandatory("signature")
        if timestamp is None:
            return _binance_params.mandatory("timestamp")
        try:
            timestamp_ms, recv_window_ms = int(timestamp), int(recv_window)
        except ValueError:
            return json_reply({"code": -1100, "msg": "Illegal characters found in a parameter."}, 400)
        if recv_window_ms > self.limits.max_recv_window_ms:
            return json_reply({"code": -1131, "msg": "recvWindow must be less than 60000"}, 400)
        server_ms = self.ctx.clock.now_ms()
        if timestamp_ms >= server_ms + 1000:
            return json_reply({"code": -1021, "msg": "Timestamp for this request was 1000ms ahead of the "
                               "server's time."}, 400, outcome="invalid_timestamp")
        if server_ms - timestamp_ms > recv_window_ms:
            return json_reply({"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
                              400, outcome="invalid_timestamp")
        if not same(hmac_hex(account.secret, signed_part), signature):
            return json_reply({"code": -1022, "msg": "Signature for this request is not valid."}, 400,
                              outcome="auth_failed")
        if not account.can(permission):
            return _invalid_key(req, "permission_denied")
        return None

    # -- public data -----------------------------------------------------------------------

    def _time(self, req: SimRequest) -> Reply:
        return json_reply({"serverTime": self.ctx.clock.now_ms()})

    def _exchange_info(self, pool: str, req: SimRequest) -> Reply:
        cached = self._info_cache.get(pool)
        if cached is None:
            cached = self._info_cache[pool] = self._build_exchange_info(pool)
        head, tail = cached
        return Reply(200, head + str(self.ctx.clock.now_ms()).encode() + tail)

    def _build_exchange_info(self, pool: str) -> tuple[bytes, bytes]:
        limit = int(self.windows[pool].limit)
        rate_limits = [{"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": limit},
                       {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100}]
        if pool == "api":
            symbols = [_spot_symbol(i, m) for i, m in self.spot.items()]
            extra: dict = {"exchangeFilters": []}
        else:
            markets = self.fapi if pool == "fapi" else self.dapi
            symbols = [_contract_symbol(i, m) for i, m in markets.items()]
            extra = {"exchangeFilters": [], "assets": [{"asset": a, "marginAvailable": True}
                                                       for a in sorted({m.settle for m in markets.values() if m.settle})]}
            if pool == "fapi":
                extra["futuresType"] = "U_MARGINED"
        body = json.dumps({"timezone": "UTC", "serverTime": 0, "rateLimits": rate_limits, **extra,
                           "symbols": symbols}, separators=(",", ":")).encode()
        head, _, tail = body.partition(b'"serverTime":0')
        return head + b'"serverTime":', tail

    def _tickers(self, pool: str, full: bool, req: SimRequest) -> Reply:
        markets = {"api": self.spot, "fapi": self.fapi, "dapi": self.dapi}[pool]
        symbol = req.query.get("symbol")
        if symbol is None:
            return json_reply([self._ticker(pool, full, i, m) for i, m in markets.items()])
        market = markets.get(symbol)
        if market is None:
            return json_reply({"code": -1121, "msg": "Invalid symbol."}, 400)
        return json_reply(self._ticker(pool, full, symbol, market))

    def _ticker(self, pool: str, full: bool, symbol: str, m: MarketSpec) -> dict:
        walk = self.ctx.prices.quote(m.key, m.price)
        d = m.price_decimals
        last = walk.price
        now = self.ctx.clock.now_ms()
        if not full:
            return {"symbol": symbol, "price": f"{last:.{d}f}", "time": now}
        tick = 10.0 ** -d
        change = last - walk.open_price
        ticker: dict[str, Any] = {
            "symbol": symbol,
            "priceChange": f"{change:.{d}f}",
            "priceChangePercent": f"{100 * change / walk.open_price:.3f}",
            "weightedAvgPrice": f"{(walk.high + walk.low + last) / 3:.{d}f}",
        }
        if pool == "api":
            ticker |= {"prevClosePrice": f"{walk.open_price:.{d}f}", "lastPrice": f"{last:.{d}f}",
                       "lastQty": f"{m.min_qty * 10:.{m.qty_decimals}f}",
                       "bidPrice": f"{last - tick:.{d}f}", "bidQty": "1.00000000",
                       "askPrice": f"{last + tick:.{d}f}", "askQty": "1.00000000"}
        else:
            ticker |= {"lastPrice": f"{last:.{d}f}", "lastQty": f"{m.min_qty:.{m.qty_decimals}f}"}
        if pool == "dapi":
            ticker["pair"] = m.base + m.quote
        ticker |= {"openPrice": f"{walk.open_price:.{d}f}", "highPrice": f"{walk.high:.{d}f}",
                   "lowPrice": f"{walk.low:.{d}f}", "volume": f"{walk.volume:.2f}",
                   "quoteVolume": f"{walk.volume * last:.2f}", "openTime": now - 86_400_000,
                   "closeTime": now, "firstId": 1, "lastId": 1000, "count": 1000}
        return ticker

    def _market(self, pool: str, req: SimRequest) -> MarketSpec | Reply:
        symbol = req.query.get("symbol")
        if not symbol:
            return _binance_params.mandatory("symbol")
        market = {"api": self.spot, "fapi": self.fapi, "dapi": self.dapi}[pool].get(symbol)
        return market or json_reply({"code": -1121, "msg": "Invalid symbol."}, 400)

    def _depth(self, pool: str, req: SimRequest) -> Reply:
        market = self._market(pool, req)
        if isinstance(market, Reply):
            return market
        book = depth.order_book(self.ctx.prices, market, req.int_param("limit", 100 if pool == "api" else 500, 5000))
        d, q = market.price_decimals, market.qty_decimals
        body: dict = {"lastUpdateId": book.step + 1_000_000}
        if pool != "api":
            now = self.ctx.clock.now_ms()
            body |= {"E": now, "T": now - 3}
            if pool == "dapi":
                body |= {"symbol": req.query["symbol"], "pair": market.base + "USD"}
        body |= {"bids": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.bids],
                 "asks": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.asks]}
        return json_reply(body)

    def _trades(self, pool: str, aggregated: bool, req: SimRequest) -> Reply:
        market = self._market(pool, req)
        if isinstance(market, Reply):
            return market
        trades = tape.recent_trades(self.ctx.prices, market, req.int_param("limit", 500, 1000), self.ctx.clock.now_ms())
        d, q = market.price_decimals, market.qty_decimals
        rows = []
        for t in reversed(trades):  # Binance lists the oldest first
            if aggregated:
                row = {"a": t.id, "p": f"{t.price:.{d}f}", "q": f"{t.amount:.{q}f}", "f": t.id, "l": t.id,
                       "T": t.timestamp_ms, "m": not t.buy}
                rows.append(row | {"M": True} if pool == "api" else row)
            else:
                rows.append({"id": t.id, "price": f"{t.price:.{d}f}", "qty": f"{t.amount:.{q}f}",
                             "quoteQty": f"{t.price * t.amount:.8f}", "time": t.timestamp_ms,
                             "isBuyerMaker": not t.buy} | ({"isBestMatch": True} if pool == "api" else {}))
        return json_reply(rows)

    def _klines(self, pool: str, req: SimRequest) -> Reply:
        market = self._market(pool, req)
        if isinstance(market, Reply):
            return market
        interval = candles.interval_seconds(req.query.get("interval", ""))
        if interval is None:
            return json_reply({"code": -1120, "msg": "Invalid interval."}, 400)
        rows = candles.in_window(self.ctx.prices, market, interval,
                                 req.int_param("limit", 500, 1000 if pool == "api" else 1500), self.ctx.clock.now_ms(),
                                 req.query.get("startTime"), req.query.get("endTime"))
        d = market.price_decimals
        return json_reply([[c.open_ms, f"{c.open:.{d}f}", f"{c.high:.{d}f}", f"{c.low:.{d}f}", f"{c.close:.{d}f}",
                            f"{c.volume:.4f}", c.open_ms + interval * 1000 - 1, f"{c.volume * c.close:.4f}", 100,
                            f"{c.volume / 2:.4f}", f"{c.volume * c.close / 2:.4f}", "0"] for c in rows])

    # -- private data ----------------------------------------------------------------------

    def _coins(self, req: SimRequest) -> Reply:
        """The wallet's coin list, with the spot balance of each: ccxt reads it before the markets."""
        balance = _authed(req).balance("spot")
        rows = []
        for asset in assets_for(self.ctx.markets):
            networks = [{"network": c.network, "coin": asset.code, "withdrawIntegerMultiple": "0.00000001",
                         "isDefault": number == 0, "depositEnable": True, "withdrawEnable": True, "depositDesc": "",
                         "withdrawDesc": "", "specialTips": "", "specialWithdrawTips": "", "name": c.name,
                         "resetAddressStatus": False, "addressRegex": "", "memoRegex": "",
                         "withdrawFee": f"{c.withdraw_fee:g}", "withdrawMin": f"{c.withdraw_min:g}",
                         "withdrawMax": "9999999999", "depositDust": "0.00000001", "minConfirm": c.confirmations,
                         "unLockConfirm": 0, "sameAddress": False, "estimatedArrivalTime": 5, "busy": False,
                         "contractAddressUrl": "", "contractAddress": ""}
                        for number, c in enumerate(asset.chains)]
            rows.append({"coin": asset.code, "depositAllEnable": True, "withdrawAllEnable": True, "name": asset.name,
                         "free": _amount(balance.get(asset.code, 0.0)), "locked": "0", "freeze": "0",
                         "withdrawing": "0", "ipoing": "0", "ipoable": "0", "storage": "0",
                         "isLegalMoney": asset.fiat, "trading": True, "networkList": networks})
        return json_reply(rows)


    def _spot_account(self, req: SimRequest) -> Reply:
        account = _authed(req)
        balances = [{"asset": a, "free": _amount(v), "locked": "0.00000000"}
                    for a, v in account.balance("spot").items()]
        return json_reply({
            "makerCommission": 10, "takerCommission": 10, "buyerCommission": 0, "sellerCommission": 0,
            "commissionRates": {"maker": "0.00100000", "taker": "0.00100000", "buyer": "0.00000000",
                                "seller": "0.00000000"},
            "canTrade": account.can("trade"), "canWithdraw": account.can("withdraw"), "canDeposit": True,
            "brokered": False, "requireSelfTradePrevention": False, "preventSor": False,
            "updateTime": self.ctx.clock.now_ms(), "accountType": "SPOT", "balances": balances,
            "permissions": ["SPOT"], "uid": account.uid,
        })

    def _margin_account(self, req: SimRequest) -> Reply:
        account = _authed(req)
        assets = [{"asset": a, "borrowed": "0", "free": _amount(v), "interest": "0", "locked": "0",
                   "netAsset": _amount(v)} for a, v in account.balance("margin").items()]
        return json_reply({"borrowEnabled": True, "marginLevel": "999.00000000", "totalAssetOfBtc": "0",
                           "totalLiabilityOfBtc": "0", "totalNetAssetOfBtc": "0",
                           "tradeEnabled": account.can("trade"), "transferInEnabled": True,
                           "transferOutEnabled": True, "userAssets": assets})

    def _futures_assets(self, pool: str, account: SimAccount) -> list[dict]:
        now = self.ctx.clock.now_ms()
        balance = account.balance("perpetual_futures" if pool == "fapi" else "futures")
        return [{"asset": a, "walletBalance": _amount(v), "unrealizedProfit": "0.00000000",
                 "marginBalance": _amount(v), "maintMargin": "0.00000000", "initialMargin": "0.00000000",
                 "positionInitialMargin": "0.00000000", "openOrderInitialMargin": "0.00000000",
                 "crossWalletBalance": _amount(v), "crossUnPnl": "0.00000000", "availableBalance": _amount(v),
                 "maxWithdrawAmount": _amount(v), "marginAvailable": True, "updateTime": now}
                for a, v in balance.items()]

    def _futures_account(self, pool: str, req: SimRequest) -> Reply:
        account = _authed(req)
        assets = self._futures_assets(pool, account)
        total = sum(float(a["walletBalance"]) for a in assets if a["asset"] in ("USDT", "USDC"))
        body = {"feeTier": 0, "canTrade": account.can("trade"), "canDeposit": True, "canWithdraw": True,
                "updateTime": 0, "assets": assets, "positions": []}
        if pool == "fapi":
            body |= {"totalInitialMargin": "0.00000000", "totalMaintMargin": "0.00000000",
                     "totalWalletBalance": _amount(total), "totalUnrealizedProfit": "0.00000000",
                     "totalMarginBalance": _amount(total), "availableBalance": _amount(total),
                     "maxWithdrawAmount": _amount(total)}
        return json_reply(body)

    def _futures_balance(self, pool: str, req: SimRequest) -> Reply:
        account = _authed(req)
        return json_reply([{"accountAlias": "SgsR", "asset": a["asset"], "balance": a["walletBalance"],
                            "crossWalletBalance": a["crossWalletBalance"], "crossUnPnl": "0.00000000",
                            "availableBalance": a["availableBalance"], "maxWithdrawAmount": a["maxWithdrawAmount"],
                            "marginAvailable": True, "updateTime": a["updateTime"]}
                           for a in self._futures_assets(pool, account)])

    def _api_restrictions(self, req: SimRequest) -> Reply:
        account = _authed(req)
        trade = account.can("trade")
        expiry = {} if account.expires_at_ms is None else {"tradingAuthorityExpirationTime": account.expires_at_ms}
        return json_reply({"ipRestrict": bool(account.ip_whitelist), "createTime": 1_700_000_000_000, **expiry,
                           "enableReading": account.can("read"), "enableSpotAndMarginTrading": trade,
                           "enableFutures": trade, "enableMargin": trade, "enableVanillaOptions": False,
                           "enablePortfolioMarginTrading": False, "enableFixApiTrade": False,
                           "enableFixReadOnly": False, "enableWithdrawals": account.can("withdraw"),
                           "enableInternalTransfer": account.can("transfer"),
                           "permitsUniversalTransfer": account.can("transfer")})

    def _margin_pairs(self, isolated: bool, req: SimRequest) -> Reply:
        pairs = [{"base": m.base, "quote": m.quote, "symbol": symbol, "isBuyAllowed": True, "isSellAllowed": True,
                  "isMarginTrade": True} for symbol, m in self.spot.items() if m.quote == "USDT"]
        if not isolated:
            for number, pair in enumerate(pairs):
                pair["id"] = 351637150141315861 + number
        return json_reply(pairs)

    def _order_test(self, pool: str, req: SimRequest) -> Reply:
        """An order validated as the order endpoint would, and not placed. Spot answers ``{}``;
        USDⓈ-M answers the order endpoint's fields "with invalid values" (its documentation): the
        order as sent, with order id 0 and no time."""
        params = {**req.query, **_form(req.body)}
        markets = self.spot if pool == "api" else self.fapi
        market = markets.get(params.get("symbol", ""))
        last = self.ctx.prices.quote(market.key, market.price).price if market else 0.0
        checked = _binance_params.check_order(pool, params, markets, last)
        if isinstance(checked, Reply):
            return checked
        if pool == "api":
            return json_reply({})
        kind = params["type"]
        return json_reply({
            "clientOrderId": params.get("newClientOrderId", ""), "cumQty": "0", "cumQuote": "0",
            "executedQty": "0", "orderId": 0, "avgPrice": "0.00", "origQty": params.get("quantity", "0"),
            "price": params.get("price", "0"), "reduceOnly": params.get("reduceOnly") == "true",
            "side": params["side"], "positionSide": params.get("positionSide", "BOTH"), "status": "NEW",
            "stopPrice": params.get("stopPrice", "0"), "closePosition": params.get("closePosition") == "true",
            "symbol": params["symbol"], "timeInForce": params.get("timeInForce", "GTC"), "type": kind,
            "origType": kind, "updateTime": 0, "workingType": params.get("workingType", "CONTRACT_PRICE"),
            "priceProtect": params.get("priceProtect", "").upper() == "TRUE",
            "priceMatch": params.get("priceMatch", "NONE"),
            "selfTradePreventionMode": params.get("selfTradePreventionMode", "NONE"), "goodTillDate": 0})

    # -- faults in Binance's words ---------------------------------------------------------

    def fault_reply(self, kind, req: SimRequest) -> Reply:
        if kind == "maintenance":
            # During a system maintenance the status endpoint says so, the wallet API (/sapi)
            # answers code 1 "System is under maintenance." and the trading gateways a bare
            # "Service Unavailable." that, alone, reads like any outage.
            if req.path == "/sapi/v1/system/status":
                return json_reply({"status": 1, "msg": "system_maintenance"})
            if req.path.startswith("/sapi/"):
                return json_reply({"code": 1, "msg": "System is under maintenance."}, 503, outcome="maintenance")
            return Reply(503, b"Service Unavailable.", None, "text/plain", "maintenance")
        if kind == "rate_limited":
            return json_reply({"code": -1003, "msg": "Too many requests; current limit of IP(127.0.0.1) is "
                               f"{int(self.limits.spot_weight_per_minute)} requests per minute."}, 429,
                              {"Retry-After": str(self.windows["api"].retry_after(time.time()))}, "rate_limited")
        if kind == "server_error":
            return json_reply({"code": -1001, "msg": "Internal error; unable to process your request. "
                               "Please try again."}, 503, outcome="server_error")
        # An unknown path: 404, empty, no Content-Type (python-binance issue 1614, 2025-10: a
        # removed endpoint of api.binance.com answered `Content-Length: 0`, `Server: nginx`).
        return Reply(404, b"", None, "", "not_found")


def _by_symbol(with_symbol: int, without: int) -> Callable[[SimRequest], int]:
    return lambda req: with_symbol if "symbol" in req.query else without


def _depth_weight(pool: str) -> Callable[[SimRequest], int]:
    """Binance weighs a book by its depth: spot 5/25/50/250, futures 2/5/10/20."""
    steps = ((100, 5), (500, 25), (1000, 50), (5000, 250)) if pool == "api" else ((50, 2), (100, 5), (500, 10),
                                                                                     (1000, 20))
    default = 100 if pool == "api" else 500

    def weigh(req: SimRequest) -> int:
        limit = req.int_param("limit", default, 5000)
        return next((weight for most, weight in steps if limit <= most), steps[-1][1])
    return weigh


def _klines_weight(req: SimRequest) -> int:
    limit = req.int_param("limit", 500, 1500)
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10



def _authed(req: SimRequest) -> SimAccount:
    assert req.account is not None  # _serve authenticated before producing
    return req.account


def _invalid_key(req: SimRequest, outcome: str) -> Reply:
    return json_reply({"code": -2015, "msg": f"Invalid API-key, IP, or permissions for action, request ip: "
                       f"{req.remote}"}, 401, outcome=outcome)


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True))


def _amount(value: float) -> str:
    return f"{value:.8f}"


def _yymmdd(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%y%m%d")


def _contract_id(m: MarketSpec) -> str:
    pair = m.base + ("USD" if m.is_inverse else m.quote)
    if m.is_future:
        return f"{pair}_{_yymmdd(m.expiry_ms or 0)}"
    return f"{pair}_PERP" if m.is_inverse else pair


def _filters(m: MarketSpec, notional_filter: dict) -> list[dict]:
    max_qty = "9000000" if m.qty_decimals == 0 else f"{9000:.{m.qty_decimals}f}"
    return [
        {"filterType": "PRICE_FILTER", "minPrice": m.tick, "maxPrice": f"{m.price * 1000:.{m.price_decimals}f}",
         "tickSize": m.tick},
        {"filterType": "LOT_SIZE", "minQty": m.step, "maxQty": max_qty, "stepSize": m.step},
        {"filterType": "MARKET_LOT_SIZE", "minQty": m.step, "maxQty": max_qty, "stepSize": m.step},
        notional_filter,
        {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
    ]


def _spot_symbol(symbol: str, m: MarketSpec) -> dict:
    notional = {"filterType": "NOTIONAL", "minNotional": f"{m.min_notional:.8f}", "applyMinToMarket": True,
                "maxNotional": "9000000.00000000", "applyMaxToMarket": False, "avgPriceMins": 5}
    return {
        "symbol": symbol, "status": "TRADING", "baseAsset": m.base, "baseAssetPrecision": 8,
        "quoteAsset": m.quote, "quotePrecision": 8, "quoteAssetPrecision": 8, "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8, "orderTypes": SPOT_ORDER_TYPES, "icebergAllowed": True,
        "ocoAllowed": True, "otoAllowed": True, "quoteOrderQtyMarketAllowed": True, "allowTrailingStop": True,
        "cancelReplaceAllowed": True, "isSpotTradingAllowed": True, "isMarginTradingAllowed": m.quote == "USDT",
        "filters": _filters(m, notional), "permissions": [], "permissionSets": [["SPOT", "MARGIN"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"],
    }


def _contract_symbol(symbol: str, m: MarketSpec) -> dict:
    delivery: int | None
    if m.is_swap:
        contract_type, delivery = "PERPETUAL", PERPETUAL_DELIVERY
    else:
        contract_type, delivery = "CURRENT_QUARTER", m.expiry_ms
    entry = {
        "symbol": symbol, "pair": m.base + ("USD" if m.is_inverse else m.quote), "contractType": contract_type,
        "deliveryDate": delivery, "onboardDate": 1_569_398_400_000,
        "maintMarginPercent": "2.5000", "requiredMarginPercent": "5.0000", "baseAsset": m.base,
        "quoteAsset": m.quote, "marginAsset": m.settle, "pricePrecision": m.price_decimals,
        "quantityPrecision": m.qty_decimals, "baseAssetPrecision": 8, "quotePrecision": 8,
        "underlyingType": "COIN", "underlyingSubType": [], "triggerProtect": "0.0500",
        "liquidationFee": "0.012500", "marketTakeBound": "0.05", "maxMoveOrderLimit": 10000,
        "filters": _filters(m, {"filterType": "MIN_NOTIONAL", "notional": f"{m.min_notional:g}"}),
        "orderTypes": FUTURES_ORDER_TYPES, "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
    }
    if m.is_inverse:
        entry |= {"contractStatus": "TRADING", "contractSize": int(m.contract_size), "equalQtyPrecision": 4}
    else:
        entry["status"] = "TRADING"
    return entry


SIM_EXCHANGE = BinanceSim
