"""Kraken spot REST: ``/0/public/*`` and ``/0/private/*`` with API-Key / API-Sign.

Orders: ``AddOrder`` with ``validate=true`` checks an order as Kraken does (pair, side, type,
volume against ``ordermin``, a price for limit orders) and describes it without placing it; the
simulator places nothing, so an order without ``validate`` is refused with
``EAPI:Feature disabled``.

Every answer is ``{"error": [...], "result": ...}`` with HTTP 200, as Kraken sends it. Private
calls carry a nonce that must grow for each key (``EAPI:Invalid nonce`` otherwise) and draw on a
call counter that decays over time (``EAPI:Rate limit exceeded`` when it would pass its maximum);
the starter tier's figures are the defaults.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from email.utils import formatdate
from urllib.parse import parse_qsl

from cts_tui.sim import candles, depth, tape
from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.assets import assets_for
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply, raw_json_reply
from cts_tui.sim.exchanges import _kraken_auth
from cts_tui.sim.markets import MarketSpec

# Kraken's own asset ids (X for crypto, Z for fiat on the legacy assets) and pair-name spellings.
ASSET_IDS = {"BTC": "XXBT", "ETH": "XETH", "LTC": "XLTC", "XRP": "XXRP", "XLM": "XXLM", "ETC": "XETC",
             "DOGE": "XXDG", "USD": "ZUSD", "EUR": "ZEUR"}
ALTNAMES = {"BTC": "XBT", "DOGE": "XDG"}
OHLC_INTERVALS = (1, 5, 15, 30, 60, 240, 1440, 10080, 21600)  # minutes
OHLC_ROWS = 720  # Kraken answers the last 720 candles at most


class KrakenLimits(LimitsModel):
    # Private call counter (starter tier): at most 15, decaying by 0.33 per second.
    private_max: float = 15.0
    private_decay_per_s: float = 0.33
    # Public endpoints: about one call per second per IP, with a small burst allowance.
    public_max: float = 15.0
    public_decay_per_s: float = 1.0


class DecayingCounter:
    """Kraken's call counter: each call adds its cost, the counter drains at a steady rate."""

    def __init__(self, maximum: float, decay_per_s: float) -> None:
        self.maximum = maximum
        self.decay_per_s = decay_per_s
        self._state: dict[str, tuple[float, float]] = {}

    def try_add(self, key: str, cost: float, now: float) -> bool:
        level, at = self._state.get(key, (0.0, now))
        level = max(0.0, level - (now - at) * self.decay_per_s)
        if level + cost > self.maximum:
            self._state[key] = (level, now)
            return False
        self._state[key] = (level + cost, now)
        return True


class Kraken(SimExchange):
    exchange_id = "kraken"
    market_kinds = {"spot": 1.0}
    Limits = KrakenLimits
    limits: KrakenLimits

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._pairs = {_pair_id(m): m for m in ctx.markets if m.is_spot}
        self._by_altname = {_altname(m.base) + _altname(m.quote): pair for pair, m in self._pairs.items()}
        self._last_nonce: dict[str, int] = {}

    @functools.cached_property
    def _pairs_body(self) -> bytes:
        """Encoded on first ask: most simulators never serve the list, and it is large."""
        result = {pair: _pair_row(pair, m) for pair, m in self._pairs.items()}
        return json.dumps({"error": [], "result": result}, separators=(",", ":")).encode()

    def configure_limits(self) -> None:
        self._private = DecayingCounter(self.limits.private_max, self.limits.private_decay_per_s)
        self._public = DecayingCounter(self.limits.public_max, self.limits.public_decay_per_s)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        public = {"Time": self._time, "SystemStatus": self._system_status, "AssetPairs": self._asset_pairs,
                  "Ticker": self._ticker, "Assets": self._assets, "Depth": self._depth, "Trades": self._trades,
                  "OHLC": self._ohlc}
        private = {"Balance": self._balance, "BalanceEx": self._balance_ex, "TradeBalance": self._trade_balance,
                   "OpenOrders": self._open_orders, "OpenPositions": self._open_positions,
                   "AddOrder": self._add_order}
        routes: dict[tuple[str, str], Handler] = {}
        for name, handler in public.items():
            # GET only: since February 2024 Kraken answers a public method by POST with
            # "EGeneral:Unknown method" (voidloop/krakenapi pull request 14)
            routes[("GET", f"/0/public/{name}")] = self._public_call(handler)
        for name, handler in private.items():
            routes[("POST", f"/0/private/{name}")] = self._private_call(handler)
        return routes

    def fault_reply(self, kind, request: SimRequest) -> Reply:
        errors = {"maintenance": (200, "EService:Unavailable"), "rate_limited": (200, "EAPI:Rate limit exceeded"),
                  "server_error": (500, "EGeneral:Internal error"), "not_found": (404, "EGeneral:Unknown method")}
        status, error = errors[kind]
        return _error(error, status, kind)

    # -- public ------------------------------------------------------------------------------

    def _public_call(self, handler: Handler) -> Handler:
        async def limited(request: SimRequest) -> Reply:
            if not self._public.try_add(request.remote, 1.0, request.mono):
                return _error("EGeneral:Too many requests", outcome="rate_limited")
            return await handler(request)
        return limited

    async def _time(self, request: SimRequest) -> Reply:
        now = self.ctx.clock.now_s()
        return _result({"unixtime": int(now), "rfc1123": formatdate(now, usegmt=True)})

    async def _system_status(self, request: SimRequest) -> Reply:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.ctx.clock.now_s()))
        return _result({"status": "online", "timestamp": stamp})

    async def _asset_pairs(self, request: SimRequest) -> Reply:
        wanted = request.query.get("pair")
        if not wanted:
            return raw_json_reply(self._pairs_body)
        pairs = {}
        for name in wanted.split(","):
            pair = self._resolve(name)
            if pair is None:
                return _error("EQuery:Unknown asset pair")
            pairs[pair] = _pair_row(pair, self._pairs[pair])
        return _result(pairs)

    async def _ticker(self, request: SimRequest) -> Reply:
        result = {}
        for name in request.query.get("pair", "").split(","):
            pair = self._resolve(name)
            if pair is None:
                return _error("EQuery:Unknown asset pair")
            result[pair] = self._ticker_row(self._pairs[pair])
        return _result(result)

    async def _assets(self, request: SimRequest) -> Reply:
        """Every asset in Kraken's own ids (XXBT, ZUSD, ...): ccxt reads them before the markets."""
        wanted = set(request.query["asset"].split(",")) if "asset" in request.query else None
        return _result({_asset_id(a.code): {"aclass": "currency", "altname": _altname(a.code),
                                            "decimals": 4 if a.fiat else 10, "display_decimals": 2 if a.fiat else 5,
                                            "collateral_value": 1.0, "status": "enabled"}
                        for a in assets_for(self._pairs.values())
                        if wanted is None or {a.code, _asset_id(a.code), _altname(a.code)} & wanted})

    def _pair_of(self, request: SimRequest) -> tuple[str, MarketSpec] | Reply:
        pair = self._resolve(request.query.get("pair", ""))
        return (pair, self._pairs[pair]) if pair else _error("EQuery:Unknown asset pair")

    async def _depth(self, request: SimRequest) -> Reply:
        found = self._pair_of(request)
        if isinstance(found, Reply):
            return found
        pair, market = found
        book = depth.order_book(self.ctx.prices, market, request.int_param("count", 100, 500))
        d, now = market.price_decimals, int(self.ctx.clock.now_s())
        return _result({pair: {"asks": [[f"{p:.{d}f}", f"{a:.8f}", now] for p, a in book.asks],
                               "bids": [[f"{p:.{d}f}", f"{a:.8f}", now] for p, a in book.bids]}})

    async def _trades(self, request: SimRequest) -> Reply:
        found = self._pair_of(request)
        if isinstance(found, Reply):
            return found
        pair, market = found
        trades = tape.recent_trades(self.ctx.prices, market, request.int_param("count", 1000, 1000),
                                    self.ctx.clock.now_ms())
        d = market.price_decimals
        rows = [[f"{t.price:.{d}f}", f"{t.amount:.8f}", t.timestamp_ms / 1000, "b" if t.buy else "s", "l", "", t.id]
                for t in reversed(trades)]  # oldest first
        return _result({pair: rows, "last": str(trades[0].timestamp_ms * 1_000_000)})

    async def _ohlc(self, request: SimRequest) -> Reply:
        found = self._pair_of(request)
        if isinstance(found, Reply):
            return found
        pair, market = found
        minutes = request.query.get("interval", "1")
        if not minutes.isdigit() or int(minutes) not in OHLC_INTERVALS:
            return _error("EGeneral:Invalid arguments:interval")
        rows = candles.in_window(self.ctx.prices, market, int(minutes) * 60, OHLC_ROWS, self.ctx.clock.now_ms(),
                                 request.query.get("since"), None, 1000)
        d = market.price_decimals
        return _result({pair: [[c.open_ms // 1000, f"{c.open:.{d}f}", f"{c.high:.{d}f}", f"{c.low:.{d}f}",
                                f"{c.close:.{d}f}", f"{(c.open + c.close) / 2:.{d}f}", f"{c.volume:.8f}", 100]
                               for c in rows], "last": rows[-1].open_ms // 1000 if rows else 0})

    def _resolve(self, name: str) -> str | None:
        return name if name in self._pairs else self._by_altname.get(name)

    def _ticker_row(self, market: MarketSpec) -> dict:
        walk = self.ctx.prices.quote(market.key, market.price)
        digits = market.price_decimals
        price = round(walk.price, digits)
        tick = 10.0 ** -digits
        fmt = f"{{:.{digits}f}}"
        volume = f"{walk.volume:.8f}"
        return {"a": [fmt.format(price + tick), "1", "1.000"], "b": [fmt.format(price - tick), "1", "1.000"],
                "c": [fmt.format(price), "0.01000000"], "v": [volume, volume],
                "p": [fmt.format(price), fmt.format(price)], "t": [1000, 5000],
                "l": [fmt.format(walk.low), fmt.format(walk.low)], "h": [fmt.format(walk.high), fmt.format(walk.high)],
                "o": fmt.format(walk.open_price)}

    # -- private -----------------------------------------------------------------------------

    def _private_call(self, handler: Handler) -> Handler:
        async def checked(request: SimRequest) -> Reply:
            text = request.body.decode(errors="replace")
            form = dict(parse_qsl(text)) if not text.startswith("{") else (request.json_body() or {})
            account = self.ctx.account_by_key(request.headers.get("API-Key"))
            nonce = str(form.get("nonce", ""))
            if account is None or not _kraken_auth.verify(account.secret, request.headers.get("API-Sign", ""),
                                                          request.path, nonce, text):
                request.account = account
                return _error("EAPI:Invalid key", outcome="auth_failed")
            request.account = account
            if not nonce.isdigit() or int(nonce) <= self._last_nonce.get(account.api_key, 0):
                return _error("EAPI:Invalid nonce", outcome="invalid_timestamp")
            self._last_nonce[account.api_key] = int(nonce)
            if not self._private.try_add(account.api_key, 1.0, request.mono):
                return _error("EAPI:Rate limit exceeded", outcome="rate_limited")
            if not account.can("read"):
                return _error("EGeneral:Permission denied", outcome="permission_denied")
            return await handler(request)
        return checked

    async def _balance(self, request: SimRequest) -> Reply:
        return _result({_asset_id(a): f"{v:.10f}" for a, v in _spot_assets(request.signed).items()})

    async def _balance_ex(self, request: SimRequest) -> Reply:
        return _result({_asset_id(a): {"balance": f"{v:.10f}", "hold_trade": "0.0000000000"}
                        for a, v in _spot_assets(request.signed).items()})

    async def _trade_balance(self, request: SimRequest) -> Reply:
        """Margin view of the account, valued in the requested asset (ZUSD by default)."""
        margin = request.signed.balance("margin")
        equity = sum(v * self._usd_price(asset) for asset, v in margin.items())
        amount = f"{equity:.4f}"
        return _result({"eb": amount, "tb": amount, "m": "0.0000", "n": "0.0000", "c": "0.0000",
                        "v": "0.0000", "e": amount, "mf": amount, "uv": "0.0000"})

    async def _open_orders(self, request: SimRequest) -> Reply:
        """Open orders: the simulator holds none (orders are only ever validated)."""
        return _result({"open": {}})

    async def _add_order(self, request: SimRequest) -> Reply:
        text = request.body.decode(errors="replace")
        form = dict(parse_qsl(text)) if not text.startswith("{") else (request.json_body() or {})
        if not request.signed.can("trade"):
            return _error("EGeneral:Permission denied", outcome="permission_denied")
        pair = self._resolve(str(form.get("pair", "")))
        side, kind, price = form.get("type"), form.get("ordertype"), str(form.get("price", ""))
        if pair is None:
            return _error("EQuery:Unknown asset pair")
        if side not in ("buy", "sell"):
            return _error("EGeneral:Invalid arguments:type")
        if kind not in ("market", "limit"):
            return _error("EGeneral:Invalid arguments:ordertype")
        market = self._pairs[pair]
        try:
            volume = float(form.get("volume", ""))
        except ValueError:
            return _error("EGeneral:Invalid arguments:volume")
        try:
            limit = float(price) if kind == "limit" else None
        except ValueError:
            return _error("EGeneral:Invalid arguments:price")
        if volume < market.min_qty:
            return _error("EOrder:Order minimum not met")
        if str(form.get("validate", "")).lower() not in ("true", "1"):
            return _error("EAPI:Feature disabled")
        name = _altname(market.base) + _altname(market.quote)
        at = f"limit {limit:.{market.price_decimals}f}" if limit else "market"
        described = f"{side} {volume:.8f} {name} @ {at}"
        return _result({"descr": {"order": described}})

    async def _open_positions(self, request: SimRequest) -> Reply:
        return _result({})

    def _usd_price(self, asset: str) -> float:
        if asset in ("USD", "USDT", "USDC"):
            return 1.0
        for market in self._pairs.values():
            if market.base == asset and market.quote == "USDT":
                return self.ctx.prices.quote(market.key, market.price).price
        return 0.0


def _spot_assets(account: SimAccount) -> dict[str, float]:
    return account.balance("spot")


def _asset_id(asset: str) -> str:
    return ASSET_IDS.get(asset, asset)


def _altname(asset: str) -> str:
    return ALTNAMES.get(asset, asset)


def _pair_id(market: MarketSpec) -> str:
    base, quote = _asset_id(market.base), _asset_id(market.quote)
    if base.startswith(("X", "Z")) and len(base) == 4 and quote.startswith(("X", "Z")) and len(quote) == 4:
        return base + quote  # legacy pairs such as XETHXXBT
    return _altname(market.base) + _altname(market.quote)


def _pair_row(pair: str, market: MarketSpec) -> dict:
    return {
        "altname": _altname(market.base) + _altname(market.quote),
        "wsname": f"{_altname(market.base)}/{_altname(market.quote)}",
        "aclass_base": "currency", "base": _asset_id(market.base),
        "aclass_quote": "currency", "quote": _asset_id(market.quote),
        "lot": "unit", "cost_decimals": 5, "pair_decimals": market.price_decimals,
        "lot_decimals": market.qty_decimals, "lot_multiplier": 1,
        "leverage_buy": [2, 3] if market.quote == "USDT" else [], "leverage_sell": [2, 3] if market.quote == "USDT" else [],
        "fees": [[0, 0.26], [50000, 0.24]], "fees_maker": [[0, 0.16], [50000, 0.14]],
        "fee_volume_currency": "ZUSD", "margin_call": 80, "margin_stop": 40,
        "ordermin": f"{market.min_qty:.8f}", "costmin": f"{market.min_notional}", "tick_size": market.tick,
        "status": "online",
    }


def _result(result) -> Reply:
    return json_reply({"error": [], "result": result})


def _error(error: str, status: int = 200, outcome: str = "error") -> Reply:
    return json_reply({"error": [error]}, status, outcome=outcome)


SIM_EXCHANGE = Kraken
