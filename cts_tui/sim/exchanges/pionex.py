"""Pionex REST as its documentation describes it: market data of both kinds under ``/api/v1``
(perpetual symbols end ``_PERP``; lists take ``type=PERP``), the futures account under ``/uapi/v1``
(pionex-official/pionex-open-api: ``openapi.yaml``, ``openapi_futures.yaml``).

Private calls carry ``PIONEX-KEY`` and ``PIONEX-SIGNATURE`` headers and a ``timestamp`` query
parameter in milliseconds, valid within ±20 s of the server clock. Every answer is
``{"result": true, "data": ..., "timestamp": ...}`` or ``{"result": false, "code", "message",
"timestamp"}``. The codes of the documented error table are used as documented; Pionex documents
only the HTTP status (429) of a rate-limit rejection and no code for maintenance, so those two
codes (``TOO_MANY_REQUESTS``, ``SYSTEM_MAINTENANCE``) are the simulator's own spelling.

Limits, as documented: endpoint weights against 10 per second per IP (all endpoints) and 10 per
second per account (private endpoints), counted per clock second.

Market data of both kinds is under ``/api/v1/market`` (pionex-official/pionex-open-api:
``openapi.yaml`` for spot, ``openapi_futures.yaml`` for ``_PERP`` symbols): the order book
(``depth``: ``symbol`` required, ``limit`` 1-1000, default 20) weighs 1 for a spot symbol and 5
for a perpetual one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from cts_tui.sim import depth
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply
from cts_tui.sim.exchanges import _pionex_auth
from cts_tui.sim.limits import AlignedWindow
from cts_tui.sim.markets import MarketSpec

TIMESTAMP_WINDOW_MS = 20_000
DEPTH_DEFAULT, DEPTH_MOST = 20, 1000
DEPTH_WEIGHT = {"SPOT": 1, "PERP": 5}
AUTH_STATUS = 401


class PionexLimits(LimitsModel):
    ip_weight_per_s: float = 10
    account_weight_per_s: float = 10


class Pionex(SimExchange):
    exchange_id = "pionex"
    market_kinds = {"spot": 0.6, "linear_swap": 0.4}
    Limits = PionexLimits
    limits: PionexLimits

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._spot = {f"{m.base}_{m.quote}": m for m in ctx.markets if m.is_spot}
        self._perp = {f"{m.base}_{m.quote}_PERP": m for m in ctx.markets if m.kind == "linear_swap"}
        self._symbol_rows = {
            kind: [_symbol_row(name, m, kind) for name, m in markets.items()]
            for kind, markets in (("SPOT", self._spot), ("PERP", self._perp))
        }

    def configure_limits(self) -> None:
        self._ip = AlignedWindow(self.limits.ip_weight_per_s, 1.0)
        self._account = AlignedWindow(self.limits.account_weight_per_s, 1.0)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        routes: dict[tuple[str, str], Handler] = {}
        routes[("GET", "/api/v1/common/symbols")] = self._public(self._symbols, weight=5)
        routes[("GET", "/api/v1/market/tickers")] = self._public(self._tickers, weight=1)
        routes[("GET", "/api/v1/market/depth")] = self._public(self._depth, weight=self._depth_weight)
        routes[("GET", "/api/v1/account/balances")] = self._private(self._balances("spot"), weight=1)
        routes[("GET", "/uapi/v1/account/balances")] = self._private(self._balances("perpetual_futures"), weight=5)
        routes[("GET", "/api/v1/trade/allOrders")] = self._private(self._all_orders, weight=5)
        return routes

    def fault_reply(self, kind, request: SimRequest) -> Reply:
        status, code, message = {
            "maintenance": (503, "SYSTEM_MAINTENANCE", "System maintenance"),
            "rate_limited": (429, "TOO_MANY_REQUESTS", "Too many requests"),
            "server_error": (500, "SYSTEM_ERROR", "Internal server error"),
            "not_found": (404, "NOT_FOUND", "Not found"),
        }[kind]
        return self._error(status, code, message, kind)

    # -- request checks ----------------------------------------------------------------------

    def _public(self, handler: Handler, weight: int | Callable[[SimRequest], int]) -> Handler:
        async def limited(request: SimRequest) -> Reply:
            request.weight = weight if isinstance(weight, int) else weight(request)
            if self._ip.add(request.remote, request.weight, request.wall) > self._ip.limit:
                return self.fault_reply("rate_limited", request)
            return await handler(request)
        return limited

    def _private(self, handler: Handler, weight: int) -> Handler:
        async def checked(request: SimRequest) -> Reply:
            request.weight = weight
            failure = self._authenticate(request)
            if failure is not None:
                return failure
            account = request.signed
            over_ip = self._ip.add(request.remote, weight, request.wall) > self._ip.limit
            over_account = self._account.add(account.api_key, weight, request.wall) > self._account.limit
            if over_ip or over_account:
                return self.fault_reply("rate_limited", request)
            if not account.can("read"):
                return self._error(403, "PERMISSION_DENIED", "Permission denied", "permission_denied")
            return await handler(request)
        return checked

    def _authenticate(self, request: SimRequest) -> Reply | None:
        key = request.headers.get("PIONEX-KEY")
        given = request.headers.get("PIONEX-SIGNATURE")
        if not key:
            return self._error(AUTH_STATUS, "APIKEY_LOST", "API Key is missing", "auth_failed")
        if not given:
            return self._error(AUTH_STATUS, "SIGNATURE_LOST", "Signature is missing", "auth_failed")
        account = self.ctx.account_by_key(key)
        if account is None:
            return self._error(AUTH_STATUS, "INVALID_APIKEY", "Invalid API Key", "auth_failed")
        request.account = account
        body = request.body.decode(errors="replace")
        if not _pionex_auth.verify(account.secret, given, request.method, request.path,
                                   request.query.items(), body):
            return self._error(AUTH_STATUS, "INVALID_SIGNATURE", "Invalid signature", "auth_failed")
        timestamp = request.query.get("timestamp", "")
        if not timestamp.isdigit() or abs(int(timestamp) - self.ctx.clock.now_ms()) > TIMESTAMP_WINDOW_MS:
            return self._error(AUTH_STATUS, "INVALID_TIMESTAMP", "Invalid timestamp", "invalid_timestamp")
        return None

    # -- handlers ----------------------------------------------------------------------------

    async def _symbols(self, request: SimRequest) -> Reply:
        wanted = request.query.get("symbols") or request.query.get("symbol")
        kind = request.query.get("type", "SPOT").upper()
        if not wanted:
            if kind not in self._symbol_rows:
                return self._error(400, "MARKET_PARAMETER_ERROR", "Invalid type", "error")
            return json_reply(self._data({"symbols": self._symbol_rows[kind]}))
        rows = []
        for name in wanted.split(","):
            market, market_kind = self._market(name)
            if market is None:
                return self._error(400, "MARKET_INVALID_SYMBOL", "Invalid symbol", "error")
            rows.append(_symbol_row(name, market, market_kind))
        return json_reply(self._data({"symbols": rows}))

    async def _tickers(self, request: SimRequest) -> Reply:
        wanted = request.query.get("symbol")
        if wanted:
            market, _ = self._market(wanted)
            if market is None:
                return self._error(400, "MARKET_INVALID_SYMBOL", "Invalid symbol", "error")
            chosen = {wanted: market}
        else:
            kind = request.query.get("type", "SPOT").upper()
            chosen = self._perp if kind == "PERP" else self._spot
        return json_reply(self._data({"tickers": [self._ticker(name, m) for name, m in chosen.items()]}))

    def _depth_weight(self, request: SimRequest) -> int:
        return DEPTH_WEIGHT[self._market(request.query.get("symbol", ""))[1]]

    async def _depth(self, request: SimRequest) -> Reply:
        name = request.query.get("symbol", "")
        market, _ = self._market(name)
        if not name:
            return self._error(400, "MARKET_PARAMETER_ERROR", "symbol is required", "bad_request")
        if market is None:
            return self._error(400, "MARKET_INVALID_SYMBOL", "Invalid symbol", "bad_request")
        limit = request.query.get("limit", str(DEPTH_DEFAULT))
        if not limit.isdigit() or not 1 <= int(limit) <= DEPTH_MOST:
            return self._error(400, "MARKET_PARAMETER_ERROR", "Invalid limit", "bad_request")
        book = depth.order_book(self.ctx.prices, market, int(limit))
        d, q = market.price_decimals, market.qty_decimals
        return json_reply(self._data({"bids": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.bids],
                                      "asks": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.asks],
                                      "updateTime": self.ctx.clock.now_ms()}))

    def _balances(self, api_type: str) -> Handler:
        async def balances(request: SimRequest) -> Reply:
            rows = [{"coin": asset, "free": f"{amount:.8f}", "frozen": "0.00000000"}
                    for asset, amount in request.signed.balance(api_type).items()]
            return json_reply(self._data({"balances": rows}))
        return balances

    async def _all_orders(self, request: SimRequest) -> Reply:
        market, _ = self._market(request.query.get("symbol", ""))
        if market is None:
            return self._error(400, "TRADE_INVALID_SYMBOL", "Invalid symbol", "error")
        return json_reply(self._data({"orders": []}))

    def _market(self, name: str) -> tuple[MarketSpec | None, str]:
        if name in self._perp:
            return self._perp[name], "PERP"
        return self._spot.get(name), "SPOT"

    def _ticker(self, name: str, market: MarketSpec) -> dict:
        walk = self.ctx.prices.quote(market.key, market.price)
        digits = market.price_decimals
        return {"symbol": name, "time": self.ctx.clock.now_ms(), "open": f"{walk.open_price:.{digits}f}",
                "close": f"{walk.price:.{digits}f}", "high": f"{walk.high:.{digits}f}",
                "low": f"{walk.low:.{digits}f}", "volume": f"{walk.volume:.4f}",
                "amount": f"{walk.volume * walk.price:.4f}", "count": 1000}

    # -- envelopes ---------------------------------------------------------------------------

    def _data(self, data) -> dict:
        return {"result": True, "data": data, "timestamp": self.ctx.clock.now_ms()}

    def _error(self, status: int, code: str, message: str, outcome: str) -> Reply:
        return json_reply({"result": False, "code": code, "message": message,
                           "timestamp": self.ctx.clock.now_ms()}, status, outcome=outcome)


def _symbol_row(name: str, market: MarketSpec, kind: str) -> dict:
    row = {
        "symbol": name, "type": kind, "baseCurrency": market.base, "quoteCurrency": market.quote,
        "basePrecision": market.qty_decimals, "quotePrecision": market.price_decimals, "amountPrecision": 8,
        "minTradeSize": market.step, "maxTradeSize": "1000000", "minTradeDumping": market.step,
        "maxTradeDumping": "100000", "enable": True, "buyCeiling": "1.1", "sellFloor": "0.9",
    }
    if kind == "SPOT":
        row |= {"minAmount": str(market.min_notional), "minTradeAmount": str(market.min_notional),
                "maxTradeAmount": "1000000"}
    else:
        row |= {"minNotional": str(market.min_notional), "baseStep": market.step, "quoteStep": market.tick,
                "minSizeLimit": market.step, "maxSizeLimit": "100000"}
    return row


SIM_EXCHANGE = Pionex
