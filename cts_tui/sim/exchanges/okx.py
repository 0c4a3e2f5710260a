"""OKX v5: spot, margin, perpetual swaps and dated futures on one trading account.

Signature: OK-ACCESS-SIGN is base64 HMAC-SHA256 of timestamp + METHOD + request path (with the
query string as sent) + body, where timestamp is the ISO 8601 OK-ACCESS-TIMESTAMP, valid within
30 s of the server clock; OK-ACCESS-PASSPHRASE must match. Demo-trading keys (accounts with
testnet=True) work only with the header `x-simulated-trading: 1`, and live keys only without it.
Refusals, all HTTP 401: 50111 unknown key, 50113 bad signature, 50105 wrong passphrase, 50102
stale timestamp, 50101 key of the other environment, 50103/50104/50106/50107 missing headers.

Rate limits as OKX counts them: per endpoint per 2 s (public data per IP, account data per
UID); over the limit HTTP 429 with code 50011. The trading account (`/api/v5/account/balance`)
is the one wallet of every API type and shows the account's "spot" balances; key permissions
are `perm` in `/api/v5/account/config`.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from cts_tui.sim import candles, depth, tape
from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.assets import Chain, assets_for
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply
from cts_tui.sim.limits import FixedWindow
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.signing import hmac_base64, same

Producer = Callable[[SimRequest], Reply]
TIMESTAMP_WINDOW_MS = 30_000
CHAIN_NAMES = {"ETH": "ERC20", "TRX": "TRC20", "BSC": "BSC", "BTC": "Bitcoin", "SOL": "Solana",
               "ARBITRUM": "Arbitrum One", "AVAXC": "Avalanche C-Chain"}
INST_TYPES = {"SPOT", "MARGIN", "SWAP", "FUTURES", "OPTION"}


class OkxSim(SimExchange):
    exchange_id = "okx"
    market_kinds = {"spot": 0.55, "linear_swap": 0.3, "inverse_swap": 0.05, "linear_future": 0.05,
                    "inverse_future": 0.05}
    needs_passphrase = True
    has_demo_keys = True

    class Limits(LimitsModel):
        # Requests per 2 s, per IP for public data and per UID for account data.
        time_per_2s: float = 10
        instruments_per_2s: float = 20
        ticker_per_2s: float = 20
        balance_per_2s: float = 10
        config_per_2s: float = 5
        books_per_2s: float = 40
        trades_per_2s: float = 100
        candles_per_2s: float = 40
        history_candles_per_2s: float = 20
        currencies_per_s: float = 6
        orders_pending_per_2s: float = 60
        positions_per_2s: float = 10

    limits: Limits

    def __init__(self, ctx) -> None:
        self.markets = {_inst_id(m): m for m in ctx.markets}
        super().__init__(ctx)

    @functools.cached_property
    def _instruments(self) -> dict[str, list[dict]]:
        """Built on first ask: most simulators never serve the list, and it is large."""
        instruments: dict[str, list[dict]] = {t: [] for t in INST_TYPES}
        for inst_id, m in self.markets.items():
            instruments[_inst_type(m)].append(_instrument(inst_id, m))
        instruments["MARGIN"] = [dict(i, instType="MARGIN") for i in instruments["SPOT"] if i["quoteCcy"] == "USDT"]
        return instruments

    def configure_limits(self) -> None:
        lim = self.limits
        self.windows = {
            "/api/v5/public/time": FixedWindow(int(lim.time_per_2s), 2.0),
            "/api/v5/public/instruments": FixedWindow(int(lim.instruments_per_2s), 2.0),
            "/api/v5/market/ticker": FixedWindow(int(lim.ticker_per_2s), 2.0),
            "/api/v5/market/tickers": FixedWindow(int(lim.ticker_per_2s), 2.0),
            "/api/v5/account/balance": FixedWindow(int(lim.balance_per_2s), 2.0),
            "/api/v5/account/config": FixedWindow(int(lim.config_per_2s), 2.0),
            "/api/v5/market/books": FixedWindow(int(lim.books_per_2s), 2.0),
            "/api/v5/market/trades": FixedWindow(int(lim.trades_per_2s), 2.0),
            "/api/v5/market/candles": FixedWindow(int(lim.candles_per_2s), 2.0),
            "/api/v5/market/history-candles": FixedWindow(int(lim.history_candles_per_2s), 2.0),
            "/api/v5/asset/currencies": FixedWindow(int(lim.currencies_per_s), 1.0),
            "/api/v5/trade/orders-pending": FixedWindow(int(lim.orders_pending_per_2s), 2.0),
            "/api/v5/account/positions": FixedWindow(int(lim.positions_per_2s), 2.0),
        }

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        public: dict[str, Callable[[SimRequest], Reply]] = {
            "/api/v5/public/time": self._time,
            "/api/v5/public/instruments": self._instruments_list,
            "/api/v5/market/ticker": self._ticker,
            "/api/v5/market/tickers": self._tickers,
            "/api/v5/market/books": self._books,
            "/api/v5/market/trades": self._trades,
            "/api/v5/market/candles": partial(self._candles, 300),
            "/api/v5/market/history-candles": partial(self._candles, 100),
        }
        private: dict[str, Callable[[SimRequest], Reply]] = {"/api/v5/account/balance": self._balance, "/api/v5/account/config": self._config,
                   "/api/v5/asset/currencies": self._currencies,
                   "/api/v5/trade/orders-pending": lambda req: self._ok([]),
                   "/api/v5/account/positions": lambda req: self._ok([])}
        routes: dict[tuple[str, str], Handler] = {("GET", p): partial(self._public, f) for p, f in public.items()}
        routes |= {("GET", p): partial(self._private, f) for p, f in private.items()}
        return routes

    # -- the request path ------------------------------------------------------------------

    def _limited(self, req: SimRequest, key: str) -> Reply | None:
        window = self.windows[req.path]
        suffix = req.query.get("instType", "") if req.path == "/api/v5/public/instruments" else ""
        allowed, _, _ = window.try_acquire(f"{key}:{suffix}", time.monotonic())
        if allowed:
            return None
        return json_reply({"msg": "Too Many Requests", "code": "50011"}, 429, outcome="rate_limited")

    async def _public(self, produce: Producer, req: SimRequest) -> Reply:
        return self._limited(req, req.remote) or produce(req)

    async def _private(self, produce: Producer, req: SimRequest) -> Reply:
        refused = self._authenticate(req)
        if refused is not None:
            return refused
        assert req.account is not None
        return self._limited(req, str(req.account.uid)) or produce(req)

    def _authenticate(self, req: SimRequest) -> Reply | None:
        h = req.headers
        api_key, sign = h.get("OK-ACCESS-KEY"), h.get("OK-ACCESS-SIGN")
        stamp, passphrase = h.get("OK-ACCESS-TIMESTAMP", ""), h.get("OK-ACCESS-PASSPHRASE")
        for value, code, name in ((api_key, "50103", "OK-ACCESS-KEY"), (passphrase, "50104", "OK-ACCESS-PASSPHRASE"),
                                  (sign, "50106", "OK-ACCESS-SIGN"), (stamp, "50107", "OK-ACCESS-TIMESTAMP")):
            if not value:
                return _refusal(code, f'Request header "{name}" can\'t be empty.', "auth_failed")
        account = self.ctx.account_by_key(api_key)
        if account is None:
            return _refusal("50111", "Invalid OK-ACCESS-KEY", "auth_failed")
        req.account = account
        if (h.get("x-simulated-trading") == "1") != account.testnet:
            return _refusal("50101", "APIKey does not match current environment.", "auth_failed")
        try:
            sent_ms = int(dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            return _refusal("50112", "Invalid OK-ACCESS-TIMESTAMP", "invalid_timestamp")
        if abs(self.ctx.clock.now_ms() - sent_ms) > TIMESTAMP_WINDOW_MS:
            return _refusal("50102", "Timestamp request expired", "invalid_timestamp")
        if passphrase != account.passphrase:
            return _refusal("50105", "OK-ACCESS-PASSPHRASE incorrect.", "auth_failed")
        request_path = req.path + (f"?{req.raw_query}" if req.raw_query else "")
        expected = hmac_base64(account.secret, stamp + req.method + request_path + req.body.decode())
        if not same(expected, sign):
            return _refusal("50113", "Invalid Sign", "auth_failed")
        if not account.can("read"):
            return _refusal("50120", "API key doesn't have permission to access this endpoint.", "permission_denied")
        return None

    def _ok(self, data: list) -> Reply:
        return json_reply({"code": "0", "msg": "", "data": data})

    # -- market data -----------------------------------------------------------------------

    def _time(self, req: SimRequest) -> Reply:
        return self._ok([{"ts": str(self.ctx.clock.now_ms())}])

    def _instruments_list(self, req: SimRequest) -> Reply:
        inst_type = req.query.get("instType")
        if inst_type not in INST_TYPES:
            return json_reply({"code": "51000", "msg": "Parameter instType error", "data": []}, 400,
                              outcome="bad_request")
        rows = self._instruments[inst_type]
        if "instId" in req.query:
            rows = [r for r in rows if r["instId"] == req.query["instId"]]
        return self._ok(rows)

    def _market(self, req: SimRequest) -> MarketSpec | Reply:
        market = self.markets.get(req.query.get("instId", ""))
        return market or json_reply({"code": "51001", "msg": "Instrument ID does not exist.", "data": []},
                                    outcome="bad_request")

    def _ticker(self, req: SimRequest) -> Reply:
        market = self._market(req)
        if isinstance(market, Reply):
            return market
        return self._ok([self._ticker_row(req.query["instId"], market)])

    def _books(self, req: SimRequest) -> Reply:
        market = self._market(req)
        if isinstance(market, Reply):
            return market
        book = depth.order_book(self.ctx.prices, market, req.int_param("sz", 1, 400))
        d, q = market.price_decimals, market.qty_decimals
        return self._ok([{"asks": [[f"{p:.{d}f}", f"{a:.{q}f}", "0", "1"] for p, a in book.asks],
                          "bids": [[f"{p:.{d}f}", f"{a:.{q}f}", "0", "1"] for p, a in book.bids],
                          "ts": str(self.ctx.clock.now_ms()), "seqId": book.step + 9_000_000_000}])

    def _trades(self, req: SimRequest) -> Reply:
        market = self._market(req)
        if isinstance(market, Reply):
            return market
        d, q = market.price_decimals, market.qty_decimals
        trades = tape.recent_trades(self.ctx.prices, market, req.int_param("limit", 100, 500), self.ctx.clock.now_ms())
        return self._ok([{"instId": req.query["instId"], "side": "buy" if t.buy else "sell", "sz": f"{t.amount:.{q}f}",
                          "px": f"{t.price:.{d}f}", "tradeId": str(t.id), "ts": str(t.timestamp_ms), "source": "0"}
                         for t in trades])

    def _candles(self, most: int, req: SimRequest) -> Reply:
        """`after`: candles older than it (paging back); `before`: newer than it."""
        market = self._market(req)
        if isinstance(market, Reply):
            return market
        interval = candles.interval_seconds(req.query.get("bar", "1m"))
        if interval is None:
            return json_reply({"code": "51000", "msg": "Parameter bar error", "data": []}, 400, outcome="bad_request")
        after, before = req.query.get("after"), req.query.get("before")
        limit = req.int_param("limit", 100, most)
        until = int(after) - 1 if after and after.isdigit() else None
        since = int(before) + 1 if before and before.isdigit() and until is None else None
        rows = candles.candles(self.ctx.prices, market, interval, limit, self.ctx.clock.now_ms(), since, until)
        d = market.price_decimals
        return self._ok([[str(c.open_ms), f"{c.open:.{d}f}", f"{c.high:.{d}f}", f"{c.low:.{d}f}", f"{c.close:.{d}f}",
                          f"{c.volume:.4f}", f"{c.volume * c.close:.4f}", f"{c.volume * c.close:.4f}",
                          "0" if n == 0 else "1"] for n, c in enumerate(reversed(rows))])

    def _tickers(self, req: SimRequest) -> Reply:
        inst_type = req.query.get("instType")
        return self._ok([self._ticker_row(i, m) for i, m in self.markets.items() if _inst_type(m) == inst_type])

    def _ticker_row(self, inst_id: str, m: MarketSpec) -> dict:
        walk = self.ctx.prices.quote(m.key, m.price)
        d, last = m.price_decimals, walk.price
        tick = 10.0 ** -d
        return {"instType": _inst_type(m), "instId": inst_id, "last": f"{last:.{d}f}", "lastSz": "0.1",
                "askPx": f"{last + tick:.{d}f}", "askSz": "2", "bidPx": f"{last - tick:.{d}f}", "bidSz": "3",
                "open24h": f"{walk.open_price:.{d}f}", "high24h": f"{walk.high:.{d}f}",
                "low24h": f"{walk.low:.{d}f}", "volCcy24h": f"{walk.volume * last:.2f}",
                "vol24h": f"{walk.volume:.4f}", "ts": str(self.ctx.clock.now_ms()),
                "sodUtc0": f"{walk.open_price:.{d}f}", "sodUtc8": f"{walk.open_price:.{d}f}"}

    # -- account ---------------------------------------------------------------------------

    def _balance(self, req: SimRequest) -> Reply:
        account = _authed(req)
        now = str(self.ctx.clock.now_ms())
        wallet = account.balance("spot")
        wanted = set(req.query["ccy"].split(",")) if "ccy" in req.query else None
        details = [{"ccy": a, "eq": f"{v:.8f}", "cashBal": f"{v:.8f}", "availBal": f"{v:.8f}",
                    "availEq": f"{v:.8f}", "frozenBal": "0", "ordFrozen": "0", "upl": "0", "liab": "",
                    "crossLiab": "", "isoEq": "0", "eqUsd": f"{v:.2f}" if a in ("USDT", "USDC") else "",
                    "uTime": now} for a, v in wallet.items() if wanted is None or a in wanted]
        total = sum(v for a, v in wallet.items() if a in ("USDT", "USDC"))
        return self._ok([{"adjEq": "", "borrowFroz": "", "details": details, "imr": "", "isoEq": "0",
                          "mgnRatio": "", "mmr": "", "notionalUsd": "", "ordFroz": "", "totalEq": f"{total:.2f}",
                          "uTime": now, "upl": "0"}])

    def _currencies(self, req: SimRequest) -> Reply:
        """One row per currency and chain: ccxt reads them before the markets."""
        wanted = set(req.query["ccy"].split(",")) if "ccy" in req.query else None
        return self._ok([_currency_row(a.code, a.name, a.decimals, c, n == 0)
                         for a in assets_for(self.ctx.markets) if wanted is None or a.code in wanted
                         for n, c in enumerate(a.chains)])

    def _config(self, req: SimRequest) -> Reply:
        account = _authed(req)
        perms = ["read_only"] + [p for p in ("trade", "withdraw") if account.can(p)]
        return self._ok([{"acctLv": "2", "autoLoan": False, "ctIsoMode": "automatic", "greeksType": "PA",
                          "level": "Lv1", "levelTmp": "", "mgnIsoMode": "automatic", "posMode": "net_mode",
                          "spotOffsetType": "", "uid": str(account.uid), "mainUid": str(account.uid),
                          "label": account.name, "roleType": "0", "traderInsts": [], "spotRoleType": "0",
                          "spotTraderInsts": [], "opAuth": "0", "kycLv": "2", "ip": ",".join(account.ip_whitelist),
                          "perm": ",".join(perms),
                          "liquidationGear": "-1", "enableSpotBorrow": False, "spotBorrowAutoRepay": False}])

    # -- faults in OKX's words -------------------------------------------------------------

    def fault_reply(self, kind, req: SimRequest) -> Reply:
        if kind == "maintenance":
            return json_reply({"code": "50001", "msg": "Service temporarily unavailable. Please try again later.",
                               "data": []}, 503, outcome="maintenance")
        if kind == "rate_limited":
            return json_reply({"msg": "Too Many Requests", "code": "50011"}, 429, outcome="rate_limited")
        if kind == "server_error":
            return json_reply({"code": "50013", "msg": "Systems are busy. Please try again later.", "data": []},
                              503, outcome="server_error")
        return json_reply({"msg": "", "code": "404"}, 404, outcome="not_found")


def _refusal(code: str, message: str, outcome: str) -> Reply:
    return json_reply({"msg": message, "code": code}, 401, outcome=outcome)



def _currency_row(code: str, name: str, decimals: int, chain: Chain, main: bool) -> dict:
    fee = f"{chain.withdraw_fee:g}"
    return {"ccy": code, "name": name, "logoLink": "", "chain": f"{code}-{CHAIN_NAMES.get(chain.network, chain.name)}",
            "ctAddr": "", "canDep": True, "canWd": True, "canInternal": True, "depEstOpenTime": "",
            "wdEstOpenTime": "", "minDep": "0.00000001", "minDepArrivalConfirm": str(chain.confirmations),
            "minWdUnlockConfirm": str(chain.confirmations), "minWd": f"{chain.withdraw_min:g}", "maxWd": "9999999999",
            "wdTickSz": str(decimals), "wdQuota": "10000000", "usedWdQuota": "0", "fee": fee, "minFee": fee,
            "maxFee": f"{chain.withdraw_fee * 2:g}", "minFeeForCtAddr": fee, "maxFeeForCtAddr": fee,
            "burningFeeRate": "", "mainNet": main, "needTag": False, "depQuotaFixed": "", "usedDepQuotaFixed": "",
            "depQuoteDailyLayer2": ""}


def _authed(req: SimRequest) -> SimAccount:
    assert req.account is not None  # _private authenticated before producing
    return req.account


def _inst_type(m: MarketSpec) -> str:
    return "SPOT" if m.is_spot else "SWAP" if m.is_swap else "FUTURES"


def _inst_id(m: MarketSpec) -> str:
    if m.is_spot:
        return f"{m.base}-{m.quote}"
    if m.is_swap:
        return f"{m.base}-{m.quote}-SWAP"
    expiry = dt.datetime.fromtimestamp((m.expiry_ms or 0) / 1000, dt.UTC)
    return f"{m.base}-{m.quote}-{expiry:%y%m%d}"


def _instrument(inst_id: str, m: MarketSpec) -> dict:
    row: dict[str, Any] = {"alias": "", "baseCcy": "", "category": "1", "ctMult": "", "ctType": "", "ctVal": "", "ctValCcy": "",
           "expTime": "", "instFamily": "", "instId": inst_id, "instType": _inst_type(m), "lever": "10",
           "listTime": "1606468572000", "lotSz": m.step, "maxIcebergSz": "9999999999", "maxLmtAmt": "1000000",
           "maxLmtSz": "9999999999", "maxMktAmt": "1000000", "maxMktSz": "1000000", "maxStopSz": "1000000",
           "maxTriggerSz": "9999999999", "maxTwapSz": "9999999999", "minSz": m.step, "optType": "",
           "quoteCcy": "", "settleCcy": "", "state": "live", "stk": "", "tickSz": m.tick, "uly": "",
           "ruleType": "normal"}
    if m.is_spot:
        row |= {"baseCcy": m.base, "quoteCcy": m.quote}
        return row
    family = f"{m.base}-{m.quote}"
    row |= {"ctMult": "1", "ctType": "inverse" if m.is_inverse else "linear", "settleCcy": m.settle,
            "ctVal": f"{m.contract_size:g}" if m.is_inverse else "0.01", "ctValCcy": m.quote if m.is_inverse else m.base,
            "instFamily": family, "uly": family, "lever": "100", "lotSz": "1" if m.is_inverse else "0.01",
            "minSz": "1" if m.is_inverse else "0.01"}
    if m.is_future:
        row |= {"expTime": str(m.expiry_ms), "alias": "quarter"}
    return row


SIM_EXCHANGE = OkxSim
