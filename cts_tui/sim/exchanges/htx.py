"""HTX (Huobi): spot and margin on the spot host (api.huobi.pro); USDT-margined swaps,
coin-margined swaps and coin-margined (inverse) delivery futures on the contract host
(api.hbdm.com); `cts_tui.sim.hosts` gives each its own port. The host is part of HTX's signed
text and is checked against the Host header the request carried, as HTX does.

Errors use the envelope of the API family that raised them: spot ``{"status": "error",
"err-code", "err-msg"}``, contract v1 ``{"status": "error", "err_code", "err_msg"}`` and
contract v5 ``{"code", "message"}``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator, Mapping

from cts_tui.sim import candles, depth, tape
from cts_tui.sim.assets import Asset, assets_for
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply, raw_json_reply
from cts_tui.sim.exchanges import _htx_auth
from cts_tui.sim.limits import RollingWindow
from cts_tui.sim.markets import MarketSpec

BAD_SIGNATURE = "Signature not valid: Verification failure [校验失败]"
BAD_KEY = "Signature not valid: Incorrect Access key [Access key错误]"
STALE_TIMESTAMP = "Signature not valid: Timestamp expired [时间戳过期]"
TIMESTAMP_WINDOW_S = 300.0  # HTX accepts a `Timestamp` within five minutes of its clock
SPOT_RATE_LIMIT = ("base-request-exceed-frequency-limit",
                   "Frequency of requests has exceeded the limit, please try again later")
PERMISSION_NAMES = {"read": "readOnly", "trade": "trade", "withdraw": "withdraw"}
PERIODS = {"1min": 60, "5min": 300, "15min": 900, "30min": 1800, "60min": 3600, "4hour": 14400,
           "1day": 86400, "1week": 604800, "1mon": 2_592_000, "1year": 31_536_000}
QUARTERS = ("CQ", "NQ")  # HTX's aliases of the current and the next quarter's contract


class HtxLimits(LimitsModel):
    # Spot private endpoints: 100 requests per 10 s per UID and endpoint.
    spot_private_limit: int = 100
    spot_private_window_s: float = 10.0
    # Contract private endpoints: 72 requests per 3 s per UID.
    contract_private_limit: int = 72
    contract_private_window_s: float = 3.0
    # Public market data: 800 requests per second per IP.
    public_limit: int = 800
    public_window_s: float = 1.0


class Htx(SimExchange):
    exchange_id = "htx"
    market_kinds = {"spot": 0.6, "linear_swap": 0.3, "inverse_swap": 0.05, "inverse_future": 0.05}
    Limits = HtxLimits
    limits: HtxLimits

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._spot = {m.base.lower() + m.quote.lower(): m for m in ctx.markets if m.is_spot}
        self._swaps = {f"{m.base}-{m.quote}": m for m in ctx.markets if m.kind == "linear_swap"}
        self._inverse_swaps = {f"{m.base}-USD": m for m in ctx.markets if m.kind == "inverse_swap"}
        futures = sorted((m for m in ctx.markets if m.kind == "inverse_future"), key=lambda m: m.expiry_ms or 0)
        self._futures = {_future_code(m): m for m in futures}
        # A future answers to its code (BTC240628) and to its alias (BTC_CQ) in market data.
        self._future_aliases = {f"{m.base}_{QUARTERS[n]}": m for n, m in _ranked(futures)}

    @functools.cached_property
    def _symbols_body(self) -> bytes:
        """Encoded on first ask: most simulators never serve the list, and it is large."""
        return json.dumps({"status": "ok", "data": [_spot_row(m) for m in self._spot.values()]},
                          separators=(",", ":")).encode()

    def configure_limits(self) -> None:
        lim = self.limits
        self._spot_private_limiter = RollingWindow(lim.spot_private_limit, lim.spot_private_window_s)
        self._contract_private_limiter = RollingWindow(lim.contract_private_limit, lim.contract_private_window_s)
        self._public = RollingWindow(lim.public_limit, lim.public_window_s)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        return {
            ("GET", "/v1/common/timestamp"): self._spot_time,
            ("GET", "/v2/market-status"): self._market_status,
            ("GET", "/v1/common/symbols"): self._symbols,
            ("GET", "/market/detail/merged"): self._spot_ticker,
            ("GET", "/api/v1/timestamp"): self._contract_time,
            ("GET", "/linear-swap-api/v1/swap_contract_info"): self._swap_contracts,
            ("GET", "/linear-swap-ex/market/detail/merged"): self._swap_ticker,
            ("GET", "/v2/reference/currencies"): self._currencies,
            ("GET", "/swap-api/v1/swap_contract_info"): self._inverse_swap_contracts,
            ("GET", "/api/v1/contract_contract_info"): self._future_contracts,
            ("GET", "/market/depth"): self._depth,
            ("GET", "/linear-swap-ex/market/depth"): self._depth,
            ("GET", "/swap-ex/market/depth"): self._depth,
            ("GET", "/market/history/trade"): self._trades,
            ("GET", "/linear-swap-ex/market/history/trade"): self._trades,
            ("GET", "/swap-ex/market/history/trade"): self._trades,
            ("GET", "/market/history/kline"): self._klines,
            ("GET", "/market/history/candles"): self._klines,
            ("GET", "/linear-swap-ex/market/history/kline"): self._klines,
            ("GET", "/swap-ex/market/history/kline"): self._klines,
            ("GET", "/v1/order/openOrders"): self._spot_private(self._no_orders),
            ("POST", "/linear-swap-api/v1/swap_cross_position_info"): self._contract_private(self._no_positions),
            ("POST", "/linear-swap-api/v1/swap_position_info"): self._contract_private(self._no_positions),
            ("POST", "/swap-api/v1/swap_position_info"): self._contract_private(self._no_positions),
            ("POST", "/api/v1/contract_position_info"): self._contract_private(self._no_positions),
            ("GET", "/v1/account/accounts"): self._spot_private(self._accounts),
            ("GET", "/v1/cross-margin/accounts/balance"): self._spot_private(self._cross_margin_balance),
            ("GET", "/v1/margin/accounts/balance"): self._spot_private(self._isolated_margin_balance),
            ("GET", "/v2/user/uid"): self._spot_private(self._uid),
            ("GET", "/v2/user/api-key"): self._spot_private(self._api_key),
            ("GET", "/v5/account/balance"): self._contract_private(self._swap_balance),
        }

    def route_prefixes(self) -> Mapping[tuple[str, str], Handler]:
        return {("GET", "/v1/account/accounts/"): self._spot_private(self._spot_balance)}

    def fault_reply(self, kind, request: SimRequest) -> Reply:
        if kind == "maintenance":
            return self._error(request, "system-maintenance", "System is in maintenance!")
        if kind == "rate_limited":
            return self._error(request, *SPOT_RATE_LIMIT, status=429, outcome="rate_limited")
        if kind == "server_error":
            return self._error(request, "gateway-internal-error", "Failed to load data. Try again later.",
                               status=500, outcome="server_error")
        return self._error(request, "invalid-parameter", "invalid request path", status=404, outcome="not_found")

    # -- public ------------------------------------------------------------------------------

    async def _spot_time(self, request: SimRequest) -> Reply:
        return self._public_reply(request) or json_reply({"status": "ok", "data": self.ctx.clock.now_ms()})

    async def _contract_time(self, request: SimRequest) -> Reply:
        return self._public_reply(request) or json_reply({"status": "ok", "ts": self.ctx.clock.now_ms()})

    async def _market_status(self, request: SimRequest) -> Reply:
        return self._public_reply(request) or json_reply(
            {"code": 200, "message": "success", "data": {"marketStatus": 1}})

    async def _symbols(self, request: SimRequest) -> Reply:
        return self._public_reply(request) or raw_json_reply(self._symbols_body)

    async def _swap_contracts(self, request: SimRequest) -> Reply:
        code = request.query.get("contract_code")
        markets = [self._swaps[code]] if code in self._swaps else [] if code else list(self._swaps.values())
        now = self.ctx.clock.now_ms()
        return self._public_reply(request) or json_reply(
            {"status": "ok", "data": [_swap_row(m) for m in markets], "ts": now})

    async def _inverse_swap_contracts(self, request: SimRequest) -> Reply:
        code = request.query.get("contract_code")
        rows = [_inverse_swap_row(c, m) for c, m in self._inverse_swaps.items() if not code or c == code]
        return self._public_reply(request) or json_reply({"status": "ok", "data": rows, "ts": self.ctx.clock.now_ms()})

    async def _future_contracts(self, request: SimRequest) -> Reply:
        code = request.query.get("contract_code")
        rows = [_future_row(m, n) for n, m in _ranked(self._futures.values()) if not code or _future_code(m) == code]
        return self._public_reply(request) or json_reply({"status": "ok", "data": rows, "ts": self.ctx.clock.now_ms()})

    async def _currencies(self, request: SimRequest) -> Reply:
        """Every currency with its chains: ccxt reads them before the markets."""
        rows = [_currency_row(a) for a in assets_for(self.ctx.markets)]
        return self._public_reply(request) or json_reply({"code": 200, "data": rows})

    def _market_of(self, request: SimRequest) -> tuple[str, MarketSpec] | None:
        """The market a data request names: spot by `symbol`, swaps by `contract_code`, and the
        inverse futures by `symbol` (BTC_CQ) on the contract host's /market paths."""
        if request.path.startswith("/linear-swap-ex/"):
            name = request.query.get("contract_code", "")
            return (name, self._swaps[name]) if name in self._swaps else None
        if request.path.startswith("/swap-ex/"):
            name = request.query.get("contract_code", "")
            return (name, self._inverse_swaps[name]) if name in self._inverse_swaps else None
        name = request.query.get("symbol", "")
        market = self._spot.get(name) or self._future_aliases.get(name) or self._futures.get(name)
        return (name, market) if market else None

    def _unknown_symbol(self, request: SimRequest) -> Reply:
        if request.path.startswith(("/linear-swap-ex/", "/swap-ex/")) or "_" in request.query.get("symbol", ""):
            return json_reply({"status": "error", "err-code": "invalid-parameter",
                               "err-msg": "invalid contract code", "ts": self.ctx.clock.now_ms()}, outcome="error")
        return self._error(request, "invalid-parameter", "invalid symbol")

    async def _depth(self, request: SimRequest) -> Reply:
        found = self._public_reply(request) or self._market_of(request)
        if isinstance(found, Reply) or found is None:
            return found or self._unknown_symbol(request)
        name, market = found
        book = depth.order_book(self.ctx.prices, market, request.int_param("depth", 150, 150))
        now, kind = self.ctx.clock.now_ms(), request.query.get("type", "step0")
        channel = f"market.{name}.depth.{kind}"
        tick = {"bids": [[p, a] for p, a in book.bids], "asks": [[p, a] for p, a in book.asks],
                "version": book.step + 1, "ts": now}
        if not market.is_spot:
            tick |= {"ch": channel, "id": now // 1000, "mrid": book.step + 1}
        return json_reply({"ch": channel, "status": "ok", "ts": now, "tick": tick})

    async def _trades(self, request: SimRequest) -> Reply:
        found = self._public_reply(request) or self._market_of(request)
        if isinstance(found, Reply) or found is None:
            return found or self._unknown_symbol(request)
        name, market = found
        trades = tape.recent_trades(self.ctx.prices, market, request.int_param("size", 1, 2000),
                                    self.ctx.clock.now_ms())
        rows = []
        for t in trades:
            fill = {"id": t.id * 1000, "ts": t.timestamp_ms, "amount": t.amount, "price": t.price,
                    "direction": "buy" if t.buy else "sell"}
            if market.is_spot:
                fill["trade-id"] = t.id
            else:
                fill |= {"quantity": t.amount * market.contract_size / (t.price if market.is_inverse else 1),
                         "trade_turnover": t.amount * market.contract_size}
            rows.append({"id": t.id, "ts": t.timestamp_ms, "data": [fill]})
        return json_reply({"ch": f"market.{name}.trade.detail", "status": "ok", "ts": self.ctx.clock.now_ms(),
                           "data": rows})

    async def _klines(self, request: SimRequest) -> Reply:
        found = self._public_reply(request) or self._market_of(request)
        if isinstance(found, Reply) or found is None:
            return found or self._unknown_symbol(request)
        name, market = found
        period = request.query.get("period", "")
        if period not in PERIODS:
            return self._error(request, "invalid-parameter", "invalid period")
        rows = candles.in_window(self.ctx.prices, market, PERIODS[period], request.int_param("size", 150, 2000),
                                 self.ctx.clock.now_ms(), request.query.get("from"), request.query.get("to"), 1000)
        data = [{"id": c.open_ms // 1000, "open": c.open, "close": c.close, "low": c.low, "high": c.high,
                 "amount": c.volume, "vol": round(c.volume * c.close, 4), "count": 100} for c in rows]
        if market.is_spot:
            data.reverse()  # the spot host lists the newest first, the contract host the oldest
        return json_reply({"ch": f"market.{name}.kline.{period}", "status": "ok", "ts": self.ctx.clock.now_ms(),
                           "data": data})

    async def _no_orders(self, request: SimRequest) -> Reply:
        """Open orders: the simulator holds none (orders are only ever tested)."""
        return json_reply({"status": "ok", "data": []})

    async def _no_positions(self, request: SimRequest) -> Reply:
        return json_reply({"status": "ok", "data": [], "ts": self.ctx.clock.now_ms()})

    async def _spot_ticker(self, request: SimRequest) -> Reply:
        limited = self._public_reply(request)
        if limited:
            return limited
        market = self._spot.get(request.query.get("symbol", ""))
        if market is None:
            return self._error(request, "invalid-parameter", "invalid symbol")
        tick = self._tick(market)
        return json_reply({"status": "ok", "ch": f"market.{request.query['symbol']}.detail.merged",
                           "ts": self.ctx.clock.now_ms(), "tick": tick})

    async def _swap_ticker(self, request: SimRequest) -> Reply:
        limited = self._public_reply(request)
        if limited:
            return limited
        code = request.query.get("contract_code", "")
        market = self._swaps.get(code)
        if market is None:
            return json_reply({"status": "error", "err_code": 1013, "err_msg": "This contract symbol doesnt exist.",
                               "ts": self.ctx.clock.now_ms()}, outcome="error")
        tick = self._tick(market)
        return json_reply({"ch": f"market.{code}.detail.merged", "status": "ok", "tick": tick,
                           "ts": self.ctx.clock.now_ms()})

    def _tick(self, market: MarketSpec) -> dict:
        walk = self.ctx.prices.quote(market.key, market.price)
        half_spread = 10.0 ** -market.price_decimals
        price = round(walk.price, market.price_decimals)
        return {"id": self.ctx.clock.now_ms() // 1000, "version": self.ctx.clock.now_ms() // 1000,
                "open": walk.open_price, "close": price, "high": walk.high, "low": walk.low,
                "amount": walk.volume, "vol": walk.volume * price, "count": 1000 + int(walk.volume) % 9000,
                "bid": [round(price - half_spread, market.price_decimals), 1.0],
                "ask": [round(price + half_spread, market.price_decimals), 1.0]}

    def _public_reply(self, request: SimRequest) -> Reply | None:
        allowed, _, _ = self._public.try_acquire(request.remote, request.mono)
        if allowed:
            return None
        return self._error(request, *SPOT_RATE_LIMIT, status=429, outcome="rate_limited")

    # -- private -----------------------------------------------------------------------------

    def _spot_private(self, handler: Handler) -> Handler:
        """Spot limits count per UID and endpoint."""
        return self._private(handler, lambda request: (self._spot_private_limiter, request.path))

    def _contract_private(self, handler: Handler) -> Handler:
        """Contract limits count per UID across the private endpoints."""
        return self._private(handler, lambda request: (self._contract_private_limiter, "contract"))

    def _private(self, handler: Handler, limiter_for) -> Handler:
        async def checked(request: SimRequest) -> Reply:
            failure = self._authenticate(request)
            if failure is not None:
                return failure
            account = request.signed
            limiter, scope = limiter_for(request)
            allowed, remaining, expires = limiter.try_acquire(f"{account.uid}:{scope}", request.mono)
            expires_ms = int((request.wall + expires - request.mono) * 1000)
            headers = {"X-HB-RateLimit-Requests-Remain": str(remaining),
                       "X-HB-RateLimit-Requests-Expire": str(expires_ms)}
            if not allowed:
                reply = self._error(request, *SPOT_RATE_LIMIT, status=429, outcome="rate_limited")
            elif not account.can("read"):
                reply = self._error(request, "api-signature-not-valid",
                                    "Signature not valid: API key has no permission [API Key没有权限]",
                                    outcome="permission_denied")
            else:
                reply = await handler(request)
            reply.headers = {**(reply.headers or {}), **headers}
            return reply
        return checked

    def _authenticate(self, request: SimRequest) -> Reply | None:
        params = list(request.query.items())
        given = request.query.get("Signature")
        account = self.ctx.account_by_key(request.query.get("AccessKeyId"))
        if account is None:
            return self._error(request, "api-signature-not-valid", BAD_KEY, outcome="auth_failed")
        request.account = account
        if (request.query.get("SignatureMethod") != "HmacSHA256" or request.query.get("SignatureVersion") != "2"
                or not given):
            return self._error(request, "api-signature-not-valid", BAD_SIGNATURE, outcome="auth_failed")
        host = request.headers.get("Host", "")
        if not _htx_auth.verify(account.secret, given, request.method, host, request.path, params):
            return self._error(request, "api-signature-not-valid", BAD_SIGNATURE, outcome="auth_failed")
        sent_at = _htx_auth.parse_timestamp(request.query.get("Timestamp", ""))
        if sent_at is None or abs(self.ctx.clock.now_s() - sent_at) > TIMESTAMP_WINDOW_S:
            return self._error(request, "api-signature-not-valid", STALE_TIMESTAMP, outcome="invalid_timestamp")
        return None

    async def _accounts(self, request: SimRequest) -> Reply:
        uid = request.signed.uid
        data = [{"id": uid, "type": "spot", "subtype": "", "state": "working"},
                {"id": uid + 1, "type": "super-margin", "subtype": "", "state": "working"},
                {"id": uid + 2, "type": "margin", "subtype": "btcusdt", "state": "working"}]
        return json_reply({"status": "ok", "data": data})

    async def _spot_balance(self, request: SimRequest) -> Reply:
        account = request.signed
        tail = request.path.removeprefix("/v1/account/accounts/")
        account_id, _, rest = tail.partition("/")
        request.endpoint = "/v1/account/accounts/{account-id}/balance"
        if rest != "balance" or account_id != str(account.uid):
            return self._error(request, "account-get-balance-account-inexistent-error",
                               "account for id `%s` and user id `%s` does not exist" % (account_id, account.uid))
        return json_reply({"status": "ok", "data": {"id": account.uid, "type": "spot", "state": "working",
                                                    "list": _balance_list(account.balance("spot"))}})

    async def _cross_margin_balance(self, request: SimRequest) -> Reply:
        account = request.signed
        balances = account.balance("margin")
        return json_reply({"status": "ok", "code": 200, "data": {
            "id": account.uid + 1, "type": "cross-margin", "state": "working", "risk-rate": "10",
            "acct-balance-sum": str(sum(balances.values())), "debt-balance-sum": "0",
            "list": _balance_list(balances)}})

    async def _isolated_margin_balance(self, request: SimRequest) -> Reply:
        account = request.signed
        return json_reply({"status": "ok", "data": [{
            "id": account.uid + 2, "type": "margin", "state": "working", "symbol": "btcusdt", "fl-price": "0",
            "fl-type": "safe", "risk-rate": "10", "list": _balance_list(account.balance("margin"))}]})

    async def _uid(self, request: SimRequest) -> Reply:
        return json_reply({"code": 200, "data": request.signed.uid})

    async def _api_key(self, request: SimRequest) -> Reply:
        account = request.signed
        if request.query.get("uid") != str(account.uid):
            return json_reply({"code": 2002, "message": "invalid field value in `uid`", "data": None})
        if request.query.get("accessKey") not in (None, account.api_key):
            return json_reply({"code": 200, "message": "success", "data": []})
        permission = ",".join(PERMISSION_NAMES[p] for p in ("read", "trade", "withdraw") if account.can(p))
        return json_reply({"code": 200, "message": "success", "data": [{
            "accessKey": account.api_key, "status": "normal", "note": account.name, "permission": permission,
            "ipAddresses": ",".join(account.ip_whitelist),
            "validDays": -1 if (days := account.days_left()) is None else days, "createTime": 1_700_000_000_000,
            "updateTime": 1_700_000_000_000}]})

    async def _swap_balance(self, request: SimRequest) -> Reply:
        now = self.ctx.clock.now_ms()
        balances = request.signed.balance("perpetual_futures")
        details = [{"currency": asset, "equity": str(amount), "available": str(amount),
                    "available_margin": str(amount), "withdraw_available": str(amount), "profit_unreal": "0",
                    "initial_margin": "0", "maintenance_margin": "0", "created_time": now, "updated_time": now}
                   for asset, amount in balances.items()]
        equity = sum(amount for asset, amount in balances.items() if asset == "USDT")
        return json_reply({"code": 200, "message": "Success", "data": {
            "state": "normal", "equity": str(equity), "details": details, "initial_margin": "0",
            "maintenance_margin": "0", "profit_unreal": "0", "available_margin": str(equity),
            "created_time": now, "updated_time": now}, "ts": now})

    # -- error envelopes ---------------------------------------------------------------------

    def _error(self, request: SimRequest, code: str, message: str, status: int = 200,
               outcome: str = "error") -> Reply:
        """HTX's error in the envelope of the API family the path belongs to."""
        now = self.ctx.clock.now_ms()
        if request.path.startswith("/v5/"):
            numeric = {"api-signature-not-valid": 1003, "system-maintenance": 1000,
                       "base-request-exceed-frequency-limit": 1032}.get(code, 1001)
            if message == BAD_KEY:
                numeric = 403
            body = {"code": numeric, "message": message, "data": None, "ts": now, "success": False}
        elif request.path.startswith(("/api/", "/linear-swap")):
            numeric = {"api-signature-not-valid": 403 if message == BAD_KEY else 1003,
                       "system-maintenance": 1000, "base-request-exceed-frequency-limit": 1032}.get(code, 1001)
            body = {"status": "error", "err_code": numeric, "err_msg": message, "ts": now}
        else:
            body = {"status": "error", "err-code": code, "err-msg": message, "data": None}
        return json_reply(body, status, outcome=outcome)


def _spot_row(market: MarketSpec) -> dict:
    return {
        "base-currency": market.base.lower(), "quote-currency": market.quote.lower(),
        "price-precision": market.price_decimals, "amount-precision": market.qty_decimals,
        "symbol-partition": "main", "symbol": market.base.lower() + market.quote.lower(), "state": "online",
        "value-precision": 8, "min-order-amt": market.min_qty, "max-order-amt": 10_000_000,
        "min-order-value": market.min_notional, "limit-order-min-order-amt": market.min_qty,
        "limit-order-max-order-amt": 10_000_000, "sell-market-min-order-amt": market.min_qty,
        "sell-market-max-order-amt": 1_000_000, "buy-market-max-order-value": 1_000_000,
        "leverage-ratio": 5 if market.quote == "USDT" else 1, "super-margin-leverage-ratio": 3,
        "api-trading": "enabled", "tags": "",
    }


def _swap_row(market: MarketSpec) -> dict:
    code = f"{market.base}-{market.quote}"
    return {
        "symbol": market.base, "contract_code": code, "contract_size": market.min_qty,
        "price_tick": float(market.tick), "settlement_date": "1700000000000", "create_date": "20200325",
        "delivery_time": "", "contract_status": 1, "support_margin_mode": "all", "business_type": "swap",
        "pair": code, "contract_type": "swap", "trade_partition": "USDT",
    }


def _inverse_swap_row(code: str, market: MarketSpec) -> dict:
    return {"symbol": market.base, "contract_code": code, "contract_size": market.contract_size,
            "price_tick": float(market.tick), "delivery_time": "", "create_date": "20200325", "contract_status": 1,
            "settlement_date": "1700000000000"}


def _future_row(market: MarketSpec, rank: int) -> dict:
    delivery = dt.datetime.fromtimestamp((market.expiry_ms or 0) / 1000, dt.UTC)
    return {"symbol": market.base, "contract_code": _future_code(market),
            "contract_type": ("quarter", "next_quarter")[rank],
            "contract_size": market.contract_size, "price_tick": float(market.tick),
            "delivery_date": f"{delivery:%Y%m%d}", "delivery_time": str(market.expiry_ms), "create_date": "20200325",
            "contract_status": 1, "settlement_time": str(market.expiry_ms)}


def _future_code(market: MarketSpec) -> str:
    return f"{market.base}{dt.datetime.fromtimestamp((market.expiry_ms or 0) / 1000, dt.UTC):%y%m%d}"


def _ranked(futures: Iterable[MarketSpec]) -> Iterator[tuple[int, MarketSpec]]:
    """Each future (nearest first) with its rank among its base's futures: 0 is the current
    quarter, 1 the next; HTX lists no further quarter."""
    seen: dict[str, int] = {}
    for market in futures:
        seen[market.base] = seen.get(market.base, -1) + 1
        if seen[market.base] < len(QUARTERS):
            yield seen[market.base], market


def _currency_row(asset: Asset) -> dict:
    code = asset.code.lower()
    return {"currency": code, "assetType": 2 if asset.fiat else 1, "instStatus": "normal", "chains": [
        {"chain": code if c.network == asset.code else f"{c.network.lower()}{code}", "displayName": c.name,
         "baseChain": c.network, "baseChainProtocol": "", "isDynamic": False,
         "numOfConfirmations": c.confirmations, "numOfFastConfirmations": c.confirmations,
         "depositStatus": "allowed", "minDepositAmt": "0.0001", "withdrawStatus": "allowed",
         "minWithdrawAmt": f"{c.withdraw_min:g}", "withdrawPrecision": asset.decimals,
         "maxWithdrawAmt": "1000000", "withdrawQuotaPerDay": "1000000", "withdrawQuotaPerYear": None,
         "withdrawQuotaTotal": None, "withdrawFeeType": "fixed", "transactFeeWithdraw": f"{c.withdraw_fee:g}",
         "addrWithTag": False, "addrDepositTag": False} for c in asset.chains]}


def _balance_list(balances: Mapping[str, float]) -> list[dict]:
    rows = []
    for asset, amount in balances.items():
        rows.append({"currency": asset.lower(), "type": "trade", "balance": str(amount), "seq-num": "0"})
        rows.append({"currency": asset.lower(), "type": "frozen", "balance": "0", "seq-num": "0"})
    return rows


SIM_EXCHANGE = Htx
