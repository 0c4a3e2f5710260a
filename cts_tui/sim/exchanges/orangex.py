"""OrangeX: JSON-RPC 2.0 over ``POST /api/v1/<method>`` as OrangeX documents it.

``/public/auth`` grants a bearer token for the `client_credentials` grant (client_id and
client_secret in clear), the `client_signature` grant (hex HMAC-SHA256 of ``client_id\\n
timestamp\\nnonce\\n``) and the `refresh_token` grant; private methods take the token in an
``Authorization: bearer <token>`` header. Every answer carries ``usIn``, ``usOut`` and
``usDiff`` (microseconds); errors are ``{"error": {"code", "message"}}``.

Codes: 10000 "Authentication Failure", 2033 "Access denied" and 1000 "No service found" are
OrangeX's. OrangeX documents no code for rate limiting or maintenance; 10028 "too_many_requests"
(the Deribit-family code its API derives from) and 11000 "System maintenance" are the
simulator's own. The documented limit is 10 requests per second.

Like the Deribit API it derives from, a method also answers ``GET /api/v1/<method>?<params>``
(market-data clients poll ``/public/get_order_book?instrument_name=BTC-USDT-SPOT&depth=5`` so).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cts_tui.sim import depth
from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply
from cts_tui.sim.exchanges import _orangex_auth
from cts_tui.sim.limits import RollingWindow
from cts_tui.sim.markets import MarketSpec

ROOT = "/api/v1"
AUTH_FAILURE = (10000, "Authentication Failure")
ACCESS_DENIED = (2033, "Access denied")
NO_SERVICE = (1000, "No service found")
TOO_MANY = (10028, "too_many_requests")
MAINTENANCE = (11000, "System maintenance")
BOOK_DEPTH, BOOK_MOST = 20, 1000


class OrangexLimits(LimitsModel):
    requests_per_s: int = 10
    # Session parameters, overridable like the limits so that tests can use short-lived tokens.
    token_ttl_s: float = 43_199  # the `expires_in` OrangeX's documentation shows
    refresh_ttl_s: float = 7 * 86_400
    signature_window_s: float = 60  # how far a client_signature timestamp may be from the server clock


@dataclass(slots=True)
class Session:
    account: SimAccount
    expires_at: float  # server clock, seconds


class Orangex(SimExchange):
    exchange_id = "orangex"
    market_kinds = {"spot": 0.6, "linear_swap": 0.4}
    Limits = OrangexLimits
    limits: OrangexLimits

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._instruments = {_instrument_name(m): m for m in ctx.markets if m.kind in ("spot", "linear_swap")}
        self._aliases = {name.removesuffix("-SPOT"): name for name in self._instruments if name.endswith("-SPOT")}
        self._access: dict[str, Session] = {}
        self._refresh: dict[str, Session] = {}
        self._methods: dict[str, Handler] = {
            "/public/auth": self._auth,
            "/public/get_time": self._get_time,
            "/public/get_instruments": self._get_instruments,
            "/public/tickers": self._tickers,
            "/public/ticker": self._ticker,
            "/public/get_order_book": self._get_order_book,
            "/private/get_assets_info": self._private(self._get_assets_info),
        }

    def configure_limits(self) -> None:
        self._window = RollingWindow(self.limits.requests_per_s, 1.0)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        return {}

    def route_prefixes(self) -> Mapping[tuple[str, str], Handler]:
        return {("POST", ROOT + "/"): self._rpc, ("GET", ROOT + "/"): self._rpc}

    def fault_reply(self, kind, request: SimRequest) -> Reply:
        status, error = {"maintenance": (503, MAINTENANCE), "rate_limited": (429, TOO_MANY),
                         "server_error": (500, (11001, "Internal server error")),
                         "not_found": (404, NO_SERVICE)}[kind]
        return self._error(request, error, status, kind)

    # -- JSON-RPC ----------------------------------------------------------------------------

    async def _rpc(self, request: SimRequest) -> Reply:
        method = request.path.removeprefix(ROOT)
        handler = self._methods.get(method)
        if handler is None:
            return self._error(request, NO_SERVICE, outcome="not_found")
        if not self._window.try_acquire(request.headers.get("Authorization") or request.remote, request.mono)[0]:
            return self._error(request, TOO_MANY, 429, "rate_limited")
        return await handler(request)

    def _params(self, request: SimRequest) -> dict:
        if request.method == "GET":
            return dict(request.query)
        body = request.json_body()
        params = body.get("params") if isinstance(body, dict) else None
        return params if isinstance(params, dict) else {}

    def _result(self, request: SimRequest, result) -> Reply:
        return json_reply(self._envelope(request) | {"result": result})

    def _error(self, request: SimRequest, error: tuple[int, str], status: int = 200, outcome: str = "error") -> Reply:
        code, message = error
        return json_reply(self._envelope(request) | {"error": {"code": code, "message": message}}, status,
                          outcome=outcome)

    def _envelope(self, request: SimRequest) -> dict:
        body = request.json_body()
        rpc_id = body.get("id") if isinstance(body, dict) else None
        us_in = int(request.wall * 1_000_000)
        us_out = max(us_in, int(time.time() * 1_000_000))
        return {"jsonrpc": "2.0", "id": rpc_id, "usIn": us_in, "usOut": us_out, "usDiff": us_out - us_in}

    # -- authentication ----------------------------------------------------------------------

    async def _auth(self, request: SimRequest) -> Reply:
        params = self._params(request)
        grant = params.get("grant_type")
        now = self.ctx.clock.now_s()
        if grant == "refresh_token":
            session = self._refresh.pop(str(params.get("refresh_token", "")), None)
            if session is None or session.expires_at < now:
                return self._error(request, AUTH_FAILURE, outcome="auth_failed")
            return self._grant(request, session.account)
        account = self.ctx.account_by_key(str(params.get("client_id", "")))
        request.account = account
        if account is None:
            return self._error(request, AUTH_FAILURE, outcome="auth_failed")
        if grant == "client_credentials":
            if not secrets.compare_digest(str(params.get("client_secret", "")), account.secret):
                return self._error(request, AUTH_FAILURE, outcome="auth_failed")
        elif grant == "client_signature":
            timestamp = str(params.get("timestamp", ""))
            if not _orangex_auth.verify(account.api_key, account.secret, timestamp, str(params.get("nonce", "")),
                                        str(params.get("signature", ""))):
                return self._error(request, AUTH_FAILURE, outcome="auth_failed")
            if not _fresh(timestamp, now, self.limits.signature_window_s):
                return self._error(request, AUTH_FAILURE, outcome="invalid_timestamp")
        else:
            return self._error(request, AUTH_FAILURE, outcome="auth_failed")
        return self._grant(request, account)

    def _grant(self, request: SimRequest, account: SimAccount) -> Reply:
        request.account = account
        now = self.ctx.clock.now_s()
        access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
        self._access[access] = Session(account, now + self.limits.token_ttl_s)
        self._refresh[refresh] = Session(account, now + self.limits.refresh_ttl_s)
        scope = " ".join(
            f"{area}:{'read_write' if account.can('trade') else 'read'}" for area in ("account", "trade")
        ) + (" wallet:read_write" if account.can("withdraw") else " wallet:read")
        return self._result(request, {"access_token": access, "token_type": "bearer", "refresh_token": refresh,
                                      "expires_in": int(self.limits.token_ttl_s), "scope": scope})

    def _private(self, handler: Handler) -> Handler:
        async def checked(request: SimRequest) -> Reply:
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            session = self._access.get(token) if scheme.lower() == "bearer" else None
            if session is None or session.expires_at < self.ctx.clock.now_s():
                if session is not None:
                    del self._access[token]
                return self._error(request, AUTH_FAILURE, outcome="auth_failed")
            request.account = session.account
            if not session.account.can("read"):
                return self._error(request, ACCESS_DENIED, outcome="permission_denied")
            return await handler(request)
        return checked

    # -- methods -----------------------------------------------------------------------------

    async def _get_time(self, request: SimRequest) -> Reply:
        return self._result(request, self.ctx.clock.now_ms())

    async def _get_instruments(self, request: SimRequest) -> Reply:
        params = self._params(request)
        wanted = str(params.get("currency") or params.get("kind") or "").upper()
        rows = [_instrument_row(name, m) for name, m in self._instruments.items()
                if not wanted or _currency(m) == wanted]
        return self._result(request, rows)

    async def _tickers(self, request: SimRequest) -> Reply:
        name = self._resolve(str(self._params(request).get("instrument_name", "")))
        if name is None:
            return self._error(request, (9010, "instrument not found"))
        return self._result(request, [self._ticker_row(name)])

    async def _ticker(self, request: SimRequest) -> Reply:
        name = self._resolve(str(self._params(request).get("instrument_name", "")))
        if name is None:
            return self._error(request, (9010, "instrument not found"))
        return self._result(request, self._ticker_row(name))

    async def _get_order_book(self, request: SimRequest) -> Reply:
        params = self._params(request)
        name = self._resolve(str(params.get("instrument_name", "")))
        if name is None:
            return self._error(request, (9010, "instrument not found"))
        count = str(params.get("depth", BOOK_DEPTH))
        market = self._instruments[name]
        book = depth.order_book(self.ctx.prices, market, max(1, min(int(count), BOOK_MOST)) if count.isdigit()
                                else BOOK_DEPTH)
        d, q = market.price_decimals, market.qty_decimals
        ticker = self._ticker_row(name)
        return self._result(request, {
            "timestamp": ticker["timestamp"], "instrument_name": name, "state": "open", "change_id": book.step,
            "bids": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.bids],
            "asks": [[f"{p:.{d}f}", f"{a:.{q}f}"] for p, a in book.asks],
            "best_bid_price": f"{book.bids[0][0]:.{d}f}", "best_ask_price": f"{book.asks[0][0]:.{d}f}",
            "last_price": ticker["last_price"], "mark_price": ticker["mark_price"]})

    async def _get_assets_info(self, request: SimRequest) -> Reply:
        asset_types = self._params(request).get("asset_type") or ["SPOT"]
        if not isinstance(asset_types, list):
            return self._error(request, (9001, "asset_type must be an array"))
        account = request.signed
        result: dict[str, Any] = {}
        for asset_type in asset_types:
            if asset_type == "SPOT":
                details = [{"coin_type": coin, "available": f"{amount:.8f}", "freeze": "0", "total": f"{amount:.8f}"}
                           for coin, amount in account.balance("spot").items()]
                result["SPOT"] = {"details": details}
            elif asset_type == "PERPETUAL":
                usdt = account.balance("perpetual_futures").get("USDT", 0.0)
                amount = f"{usdt:.8f}"
                result["PERPETUAL"] = {"currency": "USDT", "wallet_balance": amount, "available_funds": amount,
                                       "total_margin_balance": amount, "total_upl_cross": "0",
                                       "total_initial_margin_cross": "0"}
            else:
                return self._error(request, (9001, f"unknown asset_type {asset_type}"))
        return self._result(request, result)

    def _resolve(self, name: str) -> str | None:
        return name if name in self._instruments else self._aliases.get(name)

    def _ticker_row(self, name: str) -> dict:
        market = self._instruments[name]
        walk = self.ctx.prices.quote(market.key, market.price)
        digits = market.price_decimals
        tick = 10.0 ** -digits
        fmt = f"{{:.{digits}f}}"
        return {"instrument_name": name, "timestamp": str(self.ctx.clock.now_ms()),
                "last_price": fmt.format(walk.price), "mark_price": fmt.format(walk.price),
                "index_price": fmt.format(walk.price), "best_bid_price": fmt.format(walk.price - tick),
                "best_ask_price": fmt.format(walk.price + tick), "state": "open",
                "stats": {"volume": f"{walk.volume:.4f}", "turnover": f"{walk.volume * walk.price:.4f}",
                          "high": fmt.format(walk.high), "low": fmt.format(walk.low),
                          "price_change": f"{(walk.price / walk.open_price - 1) * 100:.2f}"}}


def _currency(market: MarketSpec) -> str:
    return "SPOT" if market.is_spot else "PERPETUAL"


def _instrument_name(market: MarketSpec) -> str:
    return f"{market.base}-{market.quote}-{_currency(market)}"


def _instrument_row(name: str, market: MarketSpec) -> dict:
    return {
        "instrument_name": name, "show_name": name.removesuffix("-SPOT"), "base_currency": market.base,
        "quote_currency": market.quote, "currency": _currency(market), "kind": _currency(market).lower(),
        "is_active": True, "tick_size": market.tick, "min_trade_amount": market.step, "min_qty": market.step,
        "contract_size": str(market.contract_size), "min_notional": str(market.min_notional),
        "maker_commission": "0.0002", "taker_commission": "0.0005",
    }


def _fresh(timestamp: str, now_s: float, window_s: float) -> bool:
    try:
        return abs(float(timestamp) / 1000 - now_s) <= window_s
    except ValueError:
        return False


SIM_EXCHANGE = Orangex
