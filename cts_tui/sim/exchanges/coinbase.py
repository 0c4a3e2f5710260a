"""Coinbase: Advanced Trade (``/api/v3/brokerage``, ``/v2`` on api.coinbase.com) and Coinbase
Exchange (``/time``, ``/products``, ``/accounts`` on api.exchange.coinbase.com), each host on a
port of its own (`cts_tui.sim.hosts`).

A key without a passphrase signs the Advanced Trade way (ccxt ``coinbase``); a key with one signs
the Coinbase Exchange way and must send its passphrase (ccxt ``coinbaseexchange``). A CDP key
(the default account "cdp": ``organizations/.../apiKeys/...`` with a PEM EC key, see
``cts_tui.sim.cdp``) sends ``Authorization: Bearer`` with an ES256 JWT to Advanced Trade; its
``uri`` claim may name the real host (api.coinbase.com) or the host the client addressed, with or
without the port. Advanced Trade
errors are ``{"errors": [{"id", "message"}]}``; Exchange errors are ``{"message"}``. Both refuse a
timestamp more than 30 s from the server clock with "request timestamp expired".
"""

from __future__ import annotations

import hmac
import time
import uuid
from collections.abc import Mapping
from typing import Any

from cts_tui.sim import candles, cdp, depth, tape
from cts_tui.sim.accounts import SimAccount
from cts_tui.sim.assets import FIAT, asset, assets_for
from cts_tui.sim.exchange import Handler, LimitsModel, Reply, SimExchange, SimRequest, json_reply
from cts_tui.sim.exchanges import _coinbase_auth
from cts_tui.sim.limits import RollingWindow
from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.scenario import AccountSpec

PRODUCTS = "/api/v3/brokerage/market/products"
PRIVATE_PRODUCTS = "/api/v3/brokerage/products"
GRANULARITIES = {"ONE_MINUTE": 60, "FIVE_MINUTE": 300, "FIFTEEN_MINUTE": 900, "THIRTY_MINUTE": 1800,
                 "ONE_HOUR": 3600, "TWO_HOUR": 7200, "SIX_HOUR": 21600, "ONE_DAY": 86400}
MAX_CANDLES = 350  # Coinbase answers at most 350 candles per request
TAKER_FEE = 0.012  # the "Advanced 1" tier's taker rate that transaction_summary reports


class CoinbaseLimits(LimitsModel):
    # Advanced Trade: 30 requests per second per user (private), 10 per second per IP (public).
    private_per_s: int = 30
    public_per_s: int = 10
    # Coinbase Exchange: 15 requests per second per profile (private).
    exchange_private_per_s: int = 15


class Coinbase(SimExchange):
    exchange_id = "coinbase"
    market_kinds = {"spot": 1.0}
    extra_accounts = (AccountSpec(name="cdp", options={"key": "cdp"}),)
    Limits = CoinbaseLimits
    limits: CoinbaseLimits

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self._products = {f"{m.base}-{m.quote}": m for m in ctx.markets if m.is_spot}

    def configure_limits(self) -> None:
        self._private_limit = RollingWindow(self.limits.private_per_s, 1.0)
        self._public_limit = RollingWindow(self.limits.public_per_s, 1.0)
        self._exchange_limit = RollingWindow(self.limits.exchange_private_per_s, 1.0)

    def routes(self) -> Mapping[tuple[str, str], Handler]:
        return {
            ("GET", "/v2/time"): self._public(self._v2_time),
            ("GET", "/api/v3/brokerage/time"): self._public(self._v3_time),
            ("GET", PRODUCTS): self._public(self._v3_products),
            ("GET", PRIVATE_PRODUCTS): self._advanced(self._v3_products),
            ("GET", "/api/v3/brokerage/market/product_book"): self._public(self._product_book),
            ("GET", "/api/v3/brokerage/product_book"): self._advanced(self._product_book),
            ("GET", "/api/v3/brokerage/orders/historical/batch"): self._advanced(self._orders),
            ("POST", "/api/v3/brokerage/orders/preview"): self._advanced(self._preview_order),
            ("GET", "/v2/currencies"): self._public(self._fiat_currencies),
            ("GET", "/v2/currencies/crypto"): self._public(self._crypto_currencies),
            ("GET", "/v2/exchange-rates"): self._public(self._exchange_rates),
            ("GET", "/v2/accounts"): self._advanced(self._v2_accounts),
            ("GET", "/api/v3/brokerage/accounts"): self._advanced(self._v3_accounts),
            ("GET", "/api/v3/brokerage/transaction_summary"): self._advanced(self._transaction_summary),
            ("GET", "/api/v3/brokerage/key_permissions"): self._advanced(self._key_permissions),
            ("GET", "/time"): self._public(self._exchange_time),
            ("GET", "/products"): self._public(self._exchange_products),
            ("GET", "/currencies"): self._public(self._exchange_currencies),
            ("GET", "/accounts"): self._exchange(self._exchange_accounts),
        }

    def route_prefixes(self) -> Mapping[tuple[str, str], Handler]:
        return {("GET", PRODUCTS + "/"): self._public(self._v3_product),
                ("GET", PRIVATE_PRODUCTS + "/"): self._advanced(self._v3_product),
                ("GET", "/products/"): self._public(self._exchange_ticker)}

    def fault_reply(self, kind, request: SimRequest) -> Reply:
        if kind == "maintenance":
            return json_reply({"message": "Coinbase is under maintenance"}, 503, outcome=kind)
        if kind == "rate_limited":
            return self._rate_limited(request)
        if kind == "server_error":
            return json_reply({"message": "Internal server error"}, 500, outcome=kind)
        if request.host == "api.exchange.coinbase.com":
            return json_reply({"message": "NotFound"}, 404, outcome=kind)
        # Advanced Trade and v2 share api.coinbase.com's error shape (ccxt's coinbase quotes it).
        return _advanced_error(404, "not_found", "Not found", kind)

    # -- checks ------------------------------------------------------------------------------

    def _public(self, handler: Handler) -> Handler:
        async def limited(request: SimRequest) -> Reply:
            window = self._public_limit.try_acquire(request.remote, request.mono)
            reply = await handler(request) if window[0] else self._rate_limited(request)
            return _with_usage(reply, request, self._public_limit.limit, window)
        return limited

    def _advanced(self, handler: Handler) -> Handler:
        async def checked(request: SimRequest) -> Reply:
            authorization = request.headers.get("Authorization", "")
            if authorization.startswith("Bearer "):
                refused = self._check_jwt(request, authorization.removeprefix("Bearer ").strip())
            else:
                refused = self._check_hmac(request)
            if refused is not None:
                return refused
            account = request.signed
            assert account is not None
            window = self._private_limit.try_acquire(account.api_key, request.mono)
            if not window[0]:
                return _with_usage(self._rate_limited(request), request, self._private_limit.limit, window)
            if not account.can("read") and not request.path.endswith("/key_permissions"):
                return _advanced_error(403, "PERMISSION_DENIED", "Missing required scopes", "permission_denied")
            return _with_usage(await handler(request), request, self._private_limit.limit, window)
        return checked

    def _check_hmac(self, request: SimRequest) -> Reply | None:
        account = self.ctx.account_by_key(request.headers.get("CB-ACCESS-KEY"))
        request.account = account
        timestamp = request.headers.get("CB-ACCESS-TIMESTAMP", "")
        signed_path = request.path
        if request.path.startswith("/v2/") and request.raw_query:
            signed_path += "?" + request.raw_query
        body = request.body.decode(errors="replace")
        if account is None or account.passphrase is not None or cdp.is_cdp_key(account.api_key):
            return _advanced_error(401, "authentication_error", "invalid api key", "auth_failed")
        expected = _coinbase_auth.advanced_signature(account.secret, timestamp, request.method, signed_path, body)
        if not _coinbase_auth.same(expected, request.headers.get("CB-ACCESS-SIGN", "")):
            return _advanced_error(401, "authentication_error", "invalid signature", "auth_failed")
        if not _coinbase_auth.timestamp_fresh(timestamp, self.ctx.clock.now_s()):
            return _advanced_error(401, "authentication_error", "request timestamp expired", "invalid_timestamp")
        return None

    def _check_jwt(self, request: SimRequest, token: str) -> Reply | None:
        account = self.ctx.account_by_key(cdp.unverified_kid(token))
        request.account = account
        if account is None or not cdp.is_cdp_key(account.api_key):
            return Reply(401, b"Unauthorized\n", None, "text/plain", "auth_failed")
        host = request.headers.get("Host", "")
        hosts = {"api.coinbase.com", host, host.rpartition(":")[0] or host, f"http://{host}"}
        uris = {f"{request.method} {h}{request.path}" for h in hosts}
        problem = cdp.verify(token, account.api_key, account.secret, uris, self.ctx.clock.now_s())
        if problem is not None:
            outcome = "invalid_timestamp" if problem == "token expired" else "auth_failed"
            return Reply(401, b"Unauthorized\n", None, "text/plain", outcome)
        return None

    def _exchange(self, handler: Handler) -> Handler:
        async def checked(request: SimRequest) -> Reply:
            account = self.ctx.account_by_key(request.headers.get("CB-ACCESS-KEY"))
            request.account = account
            if account is None or account.passphrase is None:
                return json_reply({"message": "Invalid API Key"}, 401, outcome="auth_failed")
            timestamp = request.headers.get("CB-ACCESS-TIMESTAMP", "")
            signed_path = request.path + ("?" + request.raw_query if request.raw_query else "")
            expected = _coinbase_auth.exchange_signature(account.secret, timestamp, request.method, signed_path,
                                                         request.body.decode(errors="replace"))
            if not _coinbase_auth.same(expected, request.headers.get("CB-ACCESS-SIGN", "")):
                return json_reply({"message": "invalid signature"}, 401, outcome="auth_failed")
            if not hmac.compare_digest(account.passphrase, request.headers.get("CB-ACCESS-PASSPHRASE", "")):
                return json_reply({"message": "Invalid Passphrase"}, 401, outcome="auth_failed")
            if not _coinbase_auth.timestamp_fresh(timestamp, self.ctx.clock.now_s()):
                return json_reply({"message": "request timestamp expired"}, 401, outcome="invalid_timestamp")
            if not self._exchange_limit.try_acquire(account.api_key, request.mono)[0]:
                return json_reply({"message": "Private rate limit exceeded"}, 429, outcome="rate_limited")
            if not account.can("read"):
                return json_reply({"message": "Forbidden"}, 403, outcome="permission_denied")
            return await handler(request)
        return checked

    def _rate_limited(self, request: SimRequest) -> Reply:
        if request.path.startswith(("/v2/", "/api/v3/")):
            return _advanced_error(429, "rate_limit_exceeded", "Too many requests", "rate_limited")
        return json_reply({"message": "Public rate limit exceeded"}, 429, outcome="rate_limited")

    # -- Advanced Trade ----------------------------------------------------------------------

    async def _v2_time(self, request: SimRequest) -> Reply:
        now = self.ctx.clock.now_s()
        return json_reply({"data": {"epoch": int(now), "iso": _iso(now)}})

    async def _v3_time(self, request: SimRequest) -> Reply:
        now = self.ctx.clock.now_s()
        return json_reply({"iso": _iso(now), "epochSeconds": str(int(now)), "epochMillis": str(int(now * 1000))})

    async def _v3_products(self, request: SimRequest) -> Reply:
        kind = request.query.get("product_type", "SPOT")
        products = [self._product_row(pid, m) for pid, m in self._products.items()] if kind == "SPOT" else []
        return json_reply({"products": products, "num_products": len(products)})

    async def _v3_product(self, request: SimRequest) -> Reply:
        """/products/{product_id}[/ticker|/candles], public (market/) or private alike."""
        root = PRODUCTS if request.path.startswith(PRODUCTS) else PRIVATE_PRODUCTS
        product_id, _, rest = request.path.removeprefix(root + "/").partition("/")
        request.endpoint = root + "/{product_id}" + (f"/{rest}" if rest else "")
        market = self._products.get(product_id)
        if market is None or rest not in ("", "ticker", "candles"):
            return _advanced_error(404, "NOT_FOUND", "ProductID is invalid", "error")
        if rest == "ticker":
            return self._market_trades(product_id, market, request)
        if rest == "candles":
            return self._candles(market, request)
        return json_reply(self._product_row(product_id, market))

    def _market_trades(self, product_id: str, market: MarketSpec, request: SimRequest) -> Reply:
        _, bid, ask = self._prices(market)
        d, q = market.price_decimals, market.qty_decimals
        trades = [{"trade_id": str(t.id), "product_id": product_id, "price": f"{t.price:.{d}f}",
                   "size": f"{t.amount:.{q}f}", "time": _iso(t.timestamp_ms / 1000), "side": "BUY" if t.buy else "SELL",
                   "bid": "", "ask": "", "exchange": "coinbase"}
                  for t in tape.recent_trades(self.ctx.prices, market, request.int_param("limit", 100, 1000),
                                              self.ctx.clock.now_ms())]
        return json_reply({"trades": trades, "best_bid": bid, "best_ask": ask})

    def _candles(self, market: MarketSpec, request: SimRequest) -> Reply:
        interval = GRANULARITIES.get(request.query.get("granularity", ""))
        if interval is None:
            return _advanced_error(400, "INVALID_ARGUMENT", "Invalid granularity", "bad_request")
        limit = request.int_param("limit", MAX_CANDLES, MAX_CANDLES)
        rows = candles.in_window(self.ctx.prices, market, interval, limit, self.ctx.clock.now_ms(), request.query.get("start"), request.query.get("end"), 1000)
        d = market.price_decimals
        return json_reply({"candles": [{"start": str(c.open_ms // 1000), "low": f"{c.low:.{d}f}",
                                        "high": f"{c.high:.{d}f}", "open": f"{c.open:.{d}f}",
                                        "close": f"{c.close:.{d}f}", "volume": f"{c.volume:.8f}"}
                                       for c in reversed(rows)]})

    async def _product_book(self, request: SimRequest) -> Reply:
        product_id = request.query.get("product_id", "")
        market = self._products.get(product_id)
        if market is None:
            return _advanced_error(404, "NOT_FOUND", "ProductID is invalid", "error")
        book = depth.order_book(self.ctx.prices, market, request.int_param("limit", 50, 500))
        d, q = market.price_decimals, market.qty_decimals
        best_bid, best_ask = book.bids[0][0], book.asks[0][0]
        return json_reply({"pricebook": {
            "product_id": product_id, "time": _iso(self.ctx.clock.now_s()),
            "bids": [{"price": f"{p:.{d}f}", "size": f"{a:.{q}f}"} for p, a in book.bids],
            "asks": [{"price": f"{p:.{d}f}", "size": f"{a:.{q}f}"} for p, a in book.asks]},
            "last": f"{best_bid:.{d}f}", "mid_market": f"{(best_bid + best_ask) / 2:.{d + 1}f}",
            "spread_bps": f"{(best_ask - best_bid) / best_ask * 10_000:.4f}",
            "spread_absolute": f"{best_ask - best_bid:.{d}f}"})

    async def _orders(self, request: SimRequest) -> Reply:
        """Orders: the simulator holds none (orders are only ever previewed)."""
        return json_reply({"orders": [], "sequence": "0", "has_next": False, "cursor": ""})

    async def _preview_order(self, request: SimRequest) -> Reply:
        """Advanced Trade's order preview: the test order (nothing is placed). Market orders by
        quote or base size and limit GTC orders; the fee is the account's taker rate."""
        body = request.json_body() or {}
        market = self._products.get(str(body.get("product_id", "")))
        configuration = body.get("order_configuration") or {}
        if market is None:
            return _advanced_error(400, "INVALID_ARGUMENT", "ProductID is invalid", "bad_request")
        if body.get("side") not in ("BUY", "SELL") or len(configuration) != 1:
            return _advanced_error(400, "INVALID_ARGUMENT", "invalid order configuration", "bad_request")
        if not request.signed.can("trade"):
            return _advanced_error(403, "PERMISSION_DENIED", "Missing required scopes", "permission_denied")
        (kind, terms), = configuration.items()
        try:
            price = float(terms.get("limit_price") or self._prices(market)[0])
            base = float(terms["base_size"]) if "base_size" in terms else float(terms["quote_size"]) / price
        except (AttributeError, KeyError, TypeError, ValueError, ZeroDivisionError):
            return _advanced_error(400, "INVALID_ARGUMENT", f"invalid {kind}", "bad_request")
        quote, fee = base * price, base * price * TAKER_FEE
        too_small = base < market.min_qty or quote < market.min_notional
        errors = ["PREVIEW_INVALID_BASE_SIZE_TOO_SMALL"] if too_small else []
        _, bid, ask = self._prices(market)
        d = market.price_decimals
        return json_reply({
            "order_total": f"{quote + fee:.{d}f}", "commission_total": f"{fee:.{d}f}", "errs": errors, "warning": [],
            "quote_size": f"{quote:.{d}f}", "base_size": f"{base:.{market.qty_decimals}f}", "best_bid": bid,
            "best_ask": ask, "is_max": False, "order_margin_total": "0", "leverage": "", "long_leverage": "",
            "short_leverage": "", "slippage": "0", "preview_id": str(uuid.uuid4()),
            "current_liquidation_buffer": "", "projected_liquidation_buffer": "", "max_leverage": "",
            "pnl_configuration": None, "twap_bucket_metadata": None, "position_notional_limit": "",
            "max_notional_at_requested_leverage": "", "margin_ratio_data": None})

    async def _fiat_currencies(self, request: SimRequest) -> Reply:
        return json_reply({"data": [{"id": code, "name": asset(code).name, "min_size": "0.01"}
                                    for code in sorted(FIAT)]})

    async def _crypto_currencies(self, request: SimRequest) -> Reply:
        rows = [{"asset_id": str(uuid.uuid5(uuid.NAMESPACE_OID, f"coinbase:{a.code}")), "code": a.code,
                 "name": a.name, "color": "#0052FF", "sort_index": n, "exponent": a.decimals, "type": "crypto",
                 "address_regex": ""} for n, a in enumerate(assets_for(self.ctx.markets)) if not a.fiat]
        return json_reply({"data": rows})

    async def _exchange_rates(self, request: SimRequest) -> Reply:
        """How much of each currency one unit of `currency` (USD by default) buys, at the simulated
        prices of its USD (or USDT, USDC) markets."""
        base = request.query.get("currency", "USD").upper()
        usd = {"USD": 1.0, "USDT": 1.0, "USDC": 1.0}
        for m in self._products.values():
            if m.quote in ("USD", "USDT", "USDC") and m.base not in usd:
                usd[m.base] = self.ctx.prices.quote(m.key, m.price).price
        if base not in usd:
            return _advanced_error(400, "invalid_request", "Invalid currency", "bad_request")
        return json_reply({"data": {"currency": base, "rates": {code: f"{usd[base] / price:.12g}"
                                                                for code, price in usd.items()}}})

    async def _v2_accounts(self, request: SimRequest) -> Reply:
        rows = [{"id": _account_id(request.signed, asset), "name": f"{asset} Wallet", "primary": asset == "BTC",
                 "type": "wallet", "currency": {"code": asset, "name": asset, "type": "crypto"},
                 "balance": {"amount": f"{amount:.8f}", "currency": asset},
                 "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-01-01T00:00:00Z",
                 "resource": "account", "resource_path": f"/v2/accounts/{_account_id(request.signed, asset)}",
                 "allow_deposits": True, "allow_withdrawals": True}
                for asset, amount in request.signed.balance("spot").items()]
        pagination = {"ending_before": None, "starting_after": None, "limit": int(request.query.get("limit", 25)),
                      "order": "desc", "previous_uri": None, "next_uri": None}
        return json_reply({"pagination": pagination, "data": rows})

    async def _v3_accounts(self, request: SimRequest) -> Reply:
        rows = [{"uuid": _account_id(request.signed, asset), "name": f"{asset} Wallet", "currency": asset,
                 "available_balance": {"value": f"{amount:.8f}", "currency": asset}, "default": asset == "BTC",
                 "active": True, "type": "ACCOUNT_TYPE_CRYPTO", "ready": True,
                 "hold": {"value": "0", "currency": asset}}
                for asset, amount in request.signed.balance("spot").items()]
        return json_reply({"accounts": rows, "has_next": False, "cursor": "", "size": len(rows)})

    async def _transaction_summary(self, request: SimRequest) -> Reply:
        tier = {"pricing_tier": "Advanced 1", "usd_from": "0", "usd_to": "1000", "taker_fee_rate": str(TAKER_FEE),
                "maker_fee_rate": "0.006", "aop_from": "", "aop_to": ""}
        return json_reply({"total_volume": 0, "total_fees": 0, "fee_tier": tier, "margin_rate": None,
                           "goods_and_services_tax": None, "advanced_trade_only_volume": 0,
                           "advanced_trade_only_fees": 0, "coinbase_pro_volume": 0, "coinbase_pro_fees": 0})

    async def _key_permissions(self, request: SimRequest) -> Reply:
        account = request.signed
        return json_reply({"can_view": account.can("read"), "can_trade": account.can("trade"),
                           "can_transfer": account.can("withdraw"),
                           "portfolio_uuid": str(uuid.uuid5(uuid.NAMESPACE_OID, account.api_key)),
                           "portfolio_type": "DEFAULT"})

    # -- Coinbase Exchange -------------------------------------------------------------------

    async def _exchange_time(self, request: SimRequest) -> Reply:
        now = self.ctx.clock.now_s()
        return json_reply({"iso": _iso(now), "epoch": round(now, 3)})

    async def _exchange_products(self, request: SimRequest) -> Reply:
        return json_reply([{
            "id": pid, "base_currency": m.base, "quote_currency": m.quote, "quote_increment": m.tick,
            "base_increment": m.step, "display_name": f"{m.base}/{m.quote}", "min_market_funds": str(m.min_notional),
            "margin_enabled": False, "post_only": False, "limit_only": False, "cancel_only": False,
            "status": "online", "status_message": "", "trading_disabled": False, "fx_stablecoin": False,
            "max_slippage_percentage": "0.03000000", "auction_mode": False,
        } for pid, m in self._products.items()])

    async def _exchange_currencies(self, request: SimRequest) -> Reply:
        rows: list[dict[str, Any]] = []
        for a in assets_for(self.ctx.markets):
            step = f"{10.0 ** -a.decimals:.{a.decimals}f}"
            networks = [{"id": c.network.lower(), "name": c.name, "status": "online", "contract_address": "",
                         "crypto_address_link": "", "crypto_transaction_link": "",
                         "min_withdrawal_amount": c.withdraw_min, "max_withdrawal_amount": 1_000_000,
                         "network_confirmations": c.confirmations, "processing_time_seconds": 0} for c in a.chains]
            rows.append({"id": a.code, "name": a.name, "min_size": step, "status": "online", "message": "",
                         "max_precision": step, "convertible_to": [], "details": {
                             "type": "fiat" if a.fiat else "crypto", "symbol": "", "network_confirmations": 0,
                             "sort_order": len(rows), "crypto_address_link": "", "crypto_transaction_link": "",
                             "push_payment_methods": [], "group_types": [], "display_name": "",
                             "processing_time_seconds": 0, "min_withdrawal_amount": 0, "max_withdrawal_amount": 0},
                         "default_network": networks[0]["id"] if networks else "",
                         "supported_networks": networks})
        return json_reply(rows)

    async def _exchange_ticker(self, request: SimRequest) -> Reply:
        product_id, _, rest = request.path.removeprefix("/products/").partition("/")
        request.endpoint = "/products/{id}/ticker"
        market = self._products.get(product_id)
        if market is None or rest != "ticker":
            return json_reply({"message": "NotFound"}, 404, outcome="error")
        price, bid, ask = self._prices(market)
        return json_reply({"trade_id": self.ctx.clock.now_ms(), "price": price, "size": "0.01",
                           "time": _iso(self.ctx.clock.now_s()), "bid": bid, "ask": ask, "volume": "1000"})

    async def _exchange_accounts(self, request: SimRequest) -> Reply:
        account = request.signed
        return json_reply([{"id": _account_id(account, asset), "currency": asset, "balance": f"{amount:.16f}",
                            "hold": "0.0000000000000000", "available": f"{amount:.16f}",
                            "profile_id": str(uuid.uuid5(uuid.NAMESPACE_OID, account.api_key)),
                            "trading_enabled": account.can("trade")}
                           for asset, amount in account.balance("spot").items()])

    # -- shapes ------------------------------------------------------------------------------

    def _product_row(self, product_id: str, market: MarketSpec) -> dict:
        price, _, _ = self._prices(market)
        return {
            "product_id": product_id, "price": price, "price_percentage_change_24h": "0",
            "volume_24h": "1000", "volume_percentage_change_24h": "0", "base_increment": market.step,
            "quote_increment": market.tick, "quote_min_size": str(market.min_notional), "quote_max_size": "10000000",
            "base_min_size": market.step, "base_max_size": "10000", "base_name": market.base,
            "quote_name": market.quote, "watched": False, "is_disabled": False, "new": False, "status": "online",
            "cancel_only": False, "limit_only": False, "post_only": False, "trading_disabled": False,
            "auction_mode": False, "product_type": "SPOT", "quote_currency_id": market.quote,
            "base_currency_id": market.base, "fcm_trading_session_details": None, "mid_market_price": "",
            "alias": "", "alias_to": [], "base_display_symbol": market.base, "quote_display_symbol": market.quote,
            "view_only": False, "price_increment": market.tick, "display_name": product_id, "product_venue": "CBE",
        }

    def _prices(self, market: MarketSpec) -> tuple[str, str, str]:
        walk = self.ctx.prices.quote(market.key, market.price)
        digits = market.price_decimals
        tick = 10.0 ** -digits
        return (f"{walk.price:.{digits}f}", f"{walk.price - tick:.{digits}f}", f"{walk.price + tick:.{digits}f}")


def _advanced_error(status: int, error_id: str, message: str, outcome: str) -> Reply:
    return json_reply({"errors": [{"id": error_id, "message": message}]}, status, outcome=outcome)


def _account_id(account: SimAccount, asset: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_OID, f"{account.api_key}:{asset}"))


def _iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


SIM_EXCHANGE = Coinbase


def _with_usage(reply: Reply, request: SimRequest, limit: int, window: tuple[bool, int, float]) -> Reply:
    """Advanced Trade's usage headers (lower case: the official SDK reads them from a plain dict):
    the limit, what is left of it, and when (Unix seconds) the window frees a request."""
    if request.path.startswith("/api/v3/"):
        _, remaining, frees_at = window
        reset = time.time() + max(0.0, frees_at - request.mono)
        reply.headers = {**(reply.headers or {}), "x-ratelimit-limit": str(limit),
                         "x-ratelimit-remaining": str(remaining), "x-ratelimit-reset": str(int(reset + 0.999))}
    return reply
