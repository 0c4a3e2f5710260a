"""Bybit v5: spot, linear (USDT perpetuals and futures), inverse (coin-margined perpetuals and
futures), the unified trading account.

Rate limits as Bybit counts them: every IP may send 600 requests in any 5 s (over that: HTTP 403
"access too frequent" and a ban of 10 minutes); private endpoints are limited per UID and
endpoint in a rolling 1 s window (10/s by default, 50/s for wallet-balance), reported on every
private response by `X-Bapi-Limit`, `X-Bapi-Limit-Status` and `X-Bapi-Limit-Reset-Timestamp`;
over it, retCode 10006 "Too many visits!".

Signature (X-BAPI-SIGN): hex HMAC-SHA256 of timestamp + api key + recv window + the query string
as sent (GET) or the body (POST). Refusals: 10003 unknown key (HTTP 401), 10004 bad signature,
10002 timestamp outside [server - recvWindow, server + 1 s), 10005 missing permission.

Accounts are unified (UTA 2.0) unless the account's options say {"unified": false}: then
wallet-balance answers accountType SPOT and CONTRACT, as a classic account does, and UNIFIED is
refused; a unified account answers only UNIFIED. Wallets: UNIFIED -> "unified", SPOT -> "spot",
CONTRACT -> "perpetual_futures", spot-cross-margin-trade -> "margin".
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Mapping
from functools import partial

from cts_tui.sim import candles, depth, tape
from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.assets import assets_for
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply
from cts_tui.sim.limits import BanList, RollingWindow
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.signing import hmac_hex, same

Producer = Callable[[SimRequest], Reply]
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTH_CODES = "FGHJKMNQUVXZ"  # inverse futures are named BTCUSDH26: futures month code and year
PAGE_LIMIT = 1000  # the most a page may hold
DEFAULT_PAGE = 500  # instruments-info pages by 500 unless `limit` says otherwise


class BybitSim(SimExchange):
    exchange_id = "bybit"
    market_kinds = {"spot": 0.55, "linear_swap": 0.37, "linear_future": 0.04, "inverse_swap": 0.02,
                    "inverse_future": 0.02}

    class Limits(LimitsModel):
        ip_requests_per_5s: float = 600
        ip_ban_seconds: float = 600
        private_per_second: float = 10
        wallet_balance_per_second: float = 50

    limits: Limits

    def __init__(self, ctx) -> None:
        self.spot = {m.base + m.quote: m for m in ctx.markets if m.is_spot}
        self.linear = {_linear_id(m): m for m in ctx.markets if not m.is_spot and not m.is_inverse}
        self.inverse = {_inverse_id(m): m for m in ctx.markets if m.is_inverse}
        self._categories = {"spot": self.spot, "linear": self.linear, "inverse": self.inverse}
        super().__init__(ctx)

    @functools.cached_property
    def _instruments(self) -> dict[str, list[dict]]:
        """Built on first ask: most simulators never serve the list, and it is large."""
        return {"spot": [_spot_instrument(i, m) for i, m in self.spot.items()],
                "linear": [_contract_instrument(i, m) for i, m in self.linear.items()],
                "inverse": [_contract_instrument(i, m) for i, m in self.inverse.items()]}

    def configure_limits(self) -> None:
        lim = self.limits
        self.ip_window = RollingWindow(int(lim.ip_requests_per_5s), 5.0)
        self.ip_bans = BanList(1, lim.ip_ban_seconds, 5.0)
        self.private = RollingWindow(int(lim.private_per_second), 1.0)
        self.wallet = RollingWindow(int(lim.wallet_balance_per_second), 1.0)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        public = {
            "/v5/market/time": self._time,
            "/v5/market/instruments-info": self._instruments_info,
            "/v5/market/tickers": self._tickers,
            "/v5/market/orderbook": self._orderbook,
            "/v5/market/recent-trade": self._recent_trades,
            "/v5/market/kline": self._kline,
        }
        private = {
            "/v5/account/wallet-balance": self._wallet_balance,
            "/v5/account/info": self._account_info,
            "/v5/user/query-api": self._query_api,
            "/v5/spot-cross-margin-trade/account": self._margin_account,
            "/v5/asset/coin/query-info": self._coin_info,
            "/v5/order/realtime": self._empty_page,
            "/v5/position/list": self._empty_page,
        }
        routes: dict[tuple[str, str], Handler] = {("GET", p): partial(self._public, f) for p, f in public.items()}
        routes |= {("GET", p): partial(self._private, f) for p, f in private.items()}
        return routes

    # -- the request path ------------------------------------------------------------------

    def _ip_check(self, req: SimRequest, now: float) -> Reply | None:
        if self.ip_bans.banned_until(req.remote, now) is not None:
            return _access_too_frequent()
        allowed, _, _ = self.ip_window.try_acquire(req.remote, now)
        if not allowed:
            self.ip_bans.strike(req.remote, now)
            return _access_too_frequent()
        return None

    async def _public(self, produce: Producer, req: SimRequest) -> Reply:
        return self._ip_check(req, time.monotonic()) or produce(req)

    async def _private(self, produce: Producer, req: SimRequest) -> Reply:
        now = time.monotonic()
        refused = self._ip_check(req, now) or self._authenticate(req)
        if refused is not None:
            return refused
        account = req.account
        assert account is not None
        window = self.wallet if req.path == "/v5/account/wallet-balance" else self.private
        allowed, remaining, reset_at = window.try_acquire(f"{account.uid}:{req.path}", now)
        reset_ms = int((time.time() + max(0.0, reset_at - now)) * 1000) if not allowed else int(time.time() * 1000)
        headers = {"X-Bapi-Limit": str(window.limit), "X-Bapi-Limit-Status": str(remaining),
                   "X-Bapi-Limit-Reset-Timestamp": str(reset_ms)}
        if not allowed:
            return self._envelope(10006, "Too many visits!", {}, headers, "rate_limited")
        reply = produce(req)
        reply.headers = headers
        return reply

    def _authenticate(self, req: SimRequest) -> Reply | None:
        h = req.headers
        api_key, timestamp, signature = h.get("X-BAPI-API-KEY", ""), h.get("X-BAPI-TIMESTAMP", ""), h.get("X-BAPI-SIGN", "")
        recv_window = h.get("X-BAPI-RECV-WINDOW", "5000")
        account = self.ctx.account_by_key(api_key)
        if account is None:
            return self._envelope(10003, "API key is invalid.", {}, status=401, outcome="auth_failed")
        req.account = account
        if not timestamp or not signature:
            return self._envelope(10001, "missing required header X-BAPI-TIMESTAMP or X-BAPI-SIGN", {},
                                  outcome="bad_request")
        try:
            stamp, window = int(timestamp), int(recv_window)
        except ValueError:
            return self._envelope(10001, "params error: X-BAPI-TIMESTAMP", {}, outcome="bad_request")
        server = self.ctx.clock.now_ms()
        if not server - window <= stamp < server + 1000:
            return self._envelope(10002, "invalid request, please check your server timestamp or recv_window "
                                  f"param. req_timestamp[{stamp}],server_timestamp[{server}],"
                                  f"recv_window[{window}]", {}, outcome="invalid_timestamp")
        payload = req.body.decode() if req.method == "POST" else req.raw_query
        if not same(hmac_hex(account.secret, timestamp + api_key + recv_window + payload), signature):
            return self._envelope(10004, "error sign! origin_string[" + timestamp + api_key + recv_window
                                  + payload + "]", {}, outcome="auth_failed")
        if not account.can("read"):
            return self._envelope(10005, "Permission denied, please check your API key permissions.", {},
                                  outcome="permission_denied")
        return None

    def _envelope(self, code: int, message: str, result: object, headers: dict[str, str] | None = None,
                  outcome: str | None = None, status: int = 200) -> Reply:
        body = {"retCode": code, "retMsg": message, "result": result, "retExtInfo": {},
                "time": self.ctx.clock.now_ms()}
        return json_reply(body, status, headers, outcome or ("ok" if code == 0 else "error"))

    def _ok(self, result: object) -> Reply:
        return self._envelope(0, "OK", result)

    # -- market data -----------------------------------------------------------------------

    def _time(self, req: SimRequest) -> Reply:
        now_ns = self.ctx.clock.now_ms() * 1_000_000
        return self._ok({"timeSecond": str(now_ns // 10**9), "timeNano": str(now_ns)})

    def _category(self, req: SimRequest) -> str | Reply:
        """The category asked for, or the answer already due (options list nothing)."""
        category = req.query.get("category")
        if category in ("spot", "linear", "inverse"):
            return category
        if category == "option":
            return self._ok({"category": category, "list": [], "nextPageCursor": ""})
        return self._envelope(10001, "params error: category", {}, outcome="bad_request")

    def _instruments_info(self, req: SimRequest) -> Reply:
        category = self._category(req)
        if isinstance(category, Reply):
            return category
        rows = self._instruments[category]
        if req.query.get("status") not in (None, "Trading"):
            rows = []
        if "symbol" in req.query:
            rows = [r for r in rows if r["symbol"] == req.query["symbol"]]
        limit = min(int(req.query.get("limit", DEFAULT_PAGE)), PAGE_LIMIT) if category != "spot" else len(rows)
        start = int(req.query.get("cursor") or 0)
        page = rows[start:start + limit]
        cursor = str(start + limit) if start + limit < len(rows) else ""
        return self._ok({"category": category, "list": page, "nextPageCursor": cursor})

    def _market(self, req: SimRequest) -> MarketSpec | Reply:
        markets = self._categories.get(req.query.get("category", ""))
        if markets is None:
            return self._envelope(10001, "params error: category", {}, outcome="bad_request")
        market = markets.get(req.query.get("symbol", ""))
        return market or self._envelope(10001, "Not supported symbols", {}, outcome="bad_request")

    def _orderbook(self, req: SimRequest) -> Reply:
        market = self._market(req)
        if isinstance(market, Reply):
            return market
        spot = req.query["category"] == "spot"
        limit = req.int_param("limit", 1 if spot else 25, 200 if spot else 500)
        book = depth.order_book(self.ctx.prices, market, limit)
        d, q, now = market.price_decimals, market.qty_decimals, self.ctx.clock.now_ms()
        return self._ok({"s": req.query["symbol"], "b": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.bids],
                         "a": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.asks], "ts": now, "u": book.step + 1,
                         "seq": book.step + 7_000_000_000, "cts": now - 2})

    def _recent_trades(self, req: SimRequest) -> Reply:
        market = self._market(req)
        if isinstance(market, Reply):
            return market
        category = req.query["category"]
        limit = req.int_param("limit", 60 if category == "spot" else 500, 60 if category == "spot" else 1000)
        d, q = market.price_decimals, market.qty_decimals
        rows = [{"execId": f"{t.id:x}-{market.base}", "symbol": req.query["symbol"], "price": f"{t.price:.{d}f}",
                 "size": f"{t.amount:.{q}f}", "side": "Buy" if t.buy else "Sell", "time": str(t.timestamp_ms),
                 "isBlockTrade": False, "isRPITrade": False}
                for t in tape.recent_trades(self.ctx.prices, market, limit, self.ctx.clock.now_ms())]
        return self._ok({"category": category, "list": rows})

    def _kline(self, req: SimRequest) -> Reply:
        market = self._market(req)
        if isinstance(market, Reply):
            return market
        interval = candles.interval_seconds(req.query.get("interval", ""))
        if interval is None:
            return self._envelope(10001, "Invalid period!", {}, outcome="bad_request")
        rows = candles.in_window(self.ctx.prices, market, interval, req.int_param("limit", 200, 1000),
                                 self.ctx.clock.now_ms(), req.query.get("start"), req.query.get("end"))
        d = market.price_decimals
        return self._ok({"category": req.query["category"], "symbol": req.query["symbol"], "list": [
            [str(c.open_ms), f"{c.open:.{d}f}", f"{c.high:.{d}f}", f"{c.low:.{d}f}", f"{c.close:.{d}f}",
             f"{c.volume:.4f}", f"{c.volume * c.close:.4f}"] for c in reversed(rows)]})

    def _tickers(self, req: SimRequest) -> Reply:
        category = self._category(req)
        if isinstance(category, Reply):
            return category
        markets = self._categories[category]
        symbol = req.query.get("symbol")
        if symbol is None:
            items = list(markets.items())
        elif symbol in markets:
            items = [(symbol, markets[symbol])]
        else:
            return self._envelope(10001, "Not supported symbols", {}, outcome="bad_request")
        return self._ok({"category": category, "list": [self._ticker(category, s, m) for s, m in items]})

    def _ticker(self, category: str, symbol: str, m: MarketSpec) -> dict:
        walk = self.ctx.prices.quote(m.key, m.price)
        d, last = m.price_decimals, walk.price
        tick = 10.0 ** -d
        ticker = {
            "symbol": symbol, "bid1Price": f"{last - tick:.{d}f}", "bid1Size": "1.5",
            "ask1Price": f"{last + tick:.{d}f}", "ask1Size": "1.2", "lastPrice": f"{last:.{d}f}",
            "prevPrice24h": f"{walk.open_price:.{d}f}", "price24hPcnt": f"{last / walk.open_price - 1:.4f}",
            "highPrice24h": f"{walk.high:.{d}f}", "lowPrice24h": f"{walk.low:.{d}f}",
            "turnover24h": f"{walk.volume * last:.4f}", "volume24h": f"{walk.volume:.4f}",
        }
        if category != "spot":
            ticker |= {"indexPrice": f"{last:.{d}f}", "markPrice": f"{last:.{d}f}", "fundingRate": "0.0001",
                       "nextFundingTime": str((self.ctx.clock.now_ms() // 28_800_000 + 1) * 28_800_000),
                       "openInterest": f"{walk.volume / 10:.3f}", "deliveryTime": "0", "basis": ""}
        else:
            ticker["usdIndexPrice"] = f"{last:.{d}f}"
        return ticker

    # -- account ---------------------------------------------------------------------------

    def _wallet_balance(self, req: SimRequest) -> Reply:
        account = _authed(req)
        account_type = req.query.get("accountType", "")
        allowed = {"UNIFIED": "unified"} if _unified(account) else {"SPOT": "spot", "CONTRACT": "perpetual_futures"}
        wallet = allowed.get(account_type)
        if wallet is None:
            return self._envelope(10001, f"accountType only support {','.join(allowed)}.", {}, outcome="bad_request")
        coins = [_coin(a, v) for a, v in account.balance(wallet).items()]
        total = f"{sum(v for a, v in account.balance(wallet).items() if a in ('USDT', 'USDC')):.8f}"
        return self._ok({"list": [{
            "accountType": account_type, "accountIMRate": "0", "accountMMRate": "0", "accountLTV": "0",
            "totalEquity": total, "totalWalletBalance": total, "totalMarginBalance": total,
            "totalAvailableBalance": total, "totalPerpUPL": "0", "totalInitialMargin": "0",
            "totalMaintenanceMargin": "0", "coin": coins,
        }]})

    def _coin_info(self, req: SimRequest) -> Reply:
        """The wallet's coins and their chains: ccxt reads them before the markets."""
        balance = _authed(req).balance("unified" if _unified(_authed(req)) else "spot")
        rows = [{"name": a.code, "coin": a.code, "remainAmount": f"{balance.get(a.code, 0.0):g}", "chains": [
            {"chainType": c.name, "confirmation": str(c.confirmations), "withdrawFee": f"{c.withdraw_fee:g}",
             "depositMin": "0", "withdrawMin": f"{c.withdraw_min:g}", "chain": c.network, "chainDeposit": "1",
             "chainWithdraw": "1", "minAccuracy": str(a.decimals), "withdrawPercentageFee": "0",
             "contractAddress": "", "safeConfirmNumber": str(c.confirmations)} for c in a.chains]}
            for a in assets_for(self.ctx.markets)]
        return self._ok({"rows": rows})

    def _empty_page(self, req: SimRequest) -> Reply:
        """Open orders and positions: the simulator holds none (orders are only ever tested)."""
        return self._ok({"list": [], "nextPageCursor": "", "category": req.query.get("category", "")})

    def _margin_account(self, req: SimRequest) -> Reply:
        account = _authed(req)
        loans = [{"tokenId": a, "total": f"{v:.8f}", "free": f"{v:.8f}", "locked": "0", "loan": "0",
                  "interest": "0", "remainAmount": "0"} for a, v in account.balance("margin").items()]
        return self._ok({"acctBalanceSum": "0", "debtBalanceSum": "0", "loanAccountList": loans,
                         "riskRate": "0", "status": 1, "switchStatus": 0})

    def _account_info(self, req: SimRequest) -> Reply:
        unified = _unified(_authed(req))
        return self._ok({"marginMode": "REGULAR_MARGIN", "updatedTime": "1697078946000",
                         "unifiedMarginStatus": 6 if unified else 1, "dcpStatus": "OFF", "timeWindow": 10,
                         "smpGroup": 0, "isMasterTrader": False, "spotHedgingStatus": "OFF"})

    def _query_api(self, req: SimRequest) -> Reply:
        account = _authed(req)
        trade = account.can("trade")
        permissions = {
            "ContractTrade": ["Order", "Position"] if trade else [], "Spot": ["SpotTrade"] if trade else [],
            "Wallet": ["AccountTransfer"] if account.can("transfer") else [],
            "Options": [], "Derivatives": ["DerivativesTrade"] if trade else [], "CopyTrading": [],
            "BlockTrade": [], "Exchange": [], "NFT": [], "Affiliate": [],
        }
        if account.can("withdraw"):
            permissions["Wallet"].append("Withdraw")
        return self._ok({
            "id": str(account.uid % 100_000_000), "note": account.name, "apiKey": account.api_key,
            "readOnly": 0 if trade else 1, "secret": "", "permissions": permissions,
            "ips": list(account.ip_whitelist) or ["*"], "type": 1, **_expiry(account),
            "createdAt": "2024-01-01T00:00:00Z",
            "unified": 0, "uta": 1 if _unified(account) else 0, "userID": account.uid, "inviterID": 0,
            "vipLevel": "No VIP", "mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "", "isMaster": True,
        })

    # -- faults in Bybit's words -----------------------------------------------------------

    def fault_reply(self, kind, req: SimRequest) -> Reply:
        if kind == "maintenance":
            return self._envelope(10016, "Service is under maintenance.", {}, outcome="maintenance")
        if kind == "rate_limited":
            return _access_too_frequent()
        if kind == "server_error":
            return Reply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", None, "text/html",
                         "server_error")
        return Reply(404, b"404 page not found", None, "text/plain", "not_found")


def _access_too_frequent() -> Reply:
    return Reply(403, b"access too frequent", None, "text/plain", "rate_limited")



def _authed(req: SimRequest) -> SimAccount:
    assert req.account is not None  # _private authenticated before producing
    return req.account


def _unified(account: SimAccount) -> bool:
    return bool(account.options.get("unified", True))


def _coin(asset: str, amount: float) -> dict:
    value = f"{amount:.8f}"
    return {"coin": asset, "equity": value, "walletBalance": value, "availableToWithdraw": value,
            "usdValue": value if asset in ("USDT", "USDC") else "", "locked": "0", "borrowAmount": "0",
            "accruedInterest": "0", "totalOrderIM": "0", "totalPositionIM": "0", "totalPositionMM": "0",
            "unrealisedPnl": "0", "cumRealisedPnl": "0", "bonus": "0", "collateralSwitch": True,
            "marginCollateral": True, "spotHedgingQty": "0", "availableToBorrow": ""}


def _linear_id(m: MarketSpec) -> str:
    if not m.is_future:
        return m.base + m.quote
    expiry = dt.datetime.fromtimestamp((m.expiry_ms or 0) / 1000, dt.UTC)
    return f"{m.base}{m.quote}-{expiry.day:02d}{MONTHS[expiry.month - 1]}{expiry.year % 100:02d}"


def _spot_instrument(symbol: str, m: MarketSpec) -> dict:
    return {
        "symbol": symbol, "baseCoin": m.base, "quoteCoin": m.quote, "innovation": "0", "status": "Trading",
        "marginTrading": "both" if m.quote == "USDT" else "none", "stTag": "0",
        "lotSizeFilter": {"basePrecision": m.step, "quotePrecision": "0.00000001", "minOrderQty": m.step,
                          "maxOrderQty": "9000", "minOrderAmt": f"{m.min_notional:g}", "maxOrderAmt": "2000000"},
        "priceFilter": {"tickSize": m.tick},
        "riskParameters": {"priceLimitRatioX": "0.05", "priceLimitRatioY": "0.05"},
    }


def _inverse_id(m: MarketSpec) -> str:
    if not m.is_future:
        return f"{m.base}USD"
    expiry = dt.datetime.fromtimestamp((m.expiry_ms or 0) / 1000, dt.UTC)
    return f"{m.base}USD{MONTH_CODES[expiry.month - 1]}{expiry.year % 100:02d}"


def _contract_instrument(symbol: str, m: MarketSpec) -> dict:
    family = "Inverse" if m.is_inverse else "Linear"
    return {
        "symbol": symbol, "contractType": family + ("Futures" if m.is_future else "Perpetual"),
        "status": "Trading", "baseCoin": m.base, "quoteCoin": m.quote, "launchTime": "1585526400000",
        "deliveryTime": str(m.expiry_ms or 0), "deliveryFeeRate": "", "priceScale": str(m.price_decimals),
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "priceFilter": {"minPrice": m.tick, "maxPrice": f"{m.price * 1000:.{m.price_decimals}f}", "tickSize": m.tick},
        "lotSizeFilter": {"maxOrderQty": "1000", "minOrderQty": m.step, "qtyStep": m.step,
                          "postOnlyMaxOrderQty": "1000", "maxMktOrderQty": "100",
                          "minNotionalValue": f"{m.min_notional:g}"},
        "unifiedMarginTrade": True, "fundingInterval": 480, "settleCoin": m.settle, "copyTrading": "both",
        "upperFundingRate": "0.00375", "lowerFundingRate": "-0.00375", "isPreListing": False,
    }


SIM_EXCHANGE = BybitSim


def _expiry(account: SimAccount) -> dict[str, int | str]:
    """Bybit states an expiry only for a key that has one (no IP bound): days left and the day."""
    days = account.days_left()
    if days is None or account.expires_at_ms is None:
        return {"deadlineDay": 0, "expiredAt": ""}
    when = dt.datetime.fromtimestamp(account.expires_at_ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"deadlineDay": days, "expiredAt": when}
