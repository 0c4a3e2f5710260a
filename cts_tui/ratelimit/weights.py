"""Endpoint weights (what one call costs against a weight-counted window) and the per-endpoint
limits that are tighter than the config's.

Binance counts REQUEST_WEIGHT per IP, and one request may cost 1 or 80 depending on the
endpoint and its parameters; the figures below are Binance's documented spot weights for the calls
ccxt makes (the parameter-free variants cost more, so their unified names map to the costlier
figure: ``fetch_tickers`` is the symbol-less ``ticker/24hr``). Endpoints may be named by ccxt
unified method (``fetch_ticker`` / ``fetchTicker``) or by HTTP path (``GET /api/v3/depth``).
"""

from __future__ import annotations

import re
from functools import lru_cache

BINANCE_WEIGHTS: dict[str, int] = {
    # unified methods
    "fetch_time": 1,
    "fetch_status": 1,
    "fetch_markets": 20,
    "load_markets": 20,
    "fetch_currencies": 10,
    "fetch_ticker": 2,
    "fetch_tickers": 80,
    "fetch_bids_asks": 4,
    "fetch_last_prices": 4,
    "fetch_order_book": 5,
    "fetch_trades": 25,
    "fetch_ohlcv": 2,
    "fetch_balance": 20,
    "fetch_permissions": 1,
    "create_order": 1,
    "cancel_order": 1,
    "fetch_order": 4,
    "fetch_open_orders": 6,
    "fetch_closed_orders": 20,
    "fetch_orders": 20,
    "fetch_my_trades": 20,
    # HTTP paths
    "/api/v3/ping": 1,
    "/api/v3/time": 1,
    "/api/v3/exchangeinfo": 20,
    "/api/v3/depth": 5,
    "/api/v3/trades": 25,
    "/api/v3/historicaltrades": 25,
    "/api/v3/aggtrades": 2,
    "/api/v3/klines": 2,
    "/api/v3/avgprice": 2,
    "/api/v3/ticker/24hr": 2,
    "/api/v3/ticker/price": 2,
    "/api/v3/ticker/bookticker": 2,
    "/api/v3/account": 20,
    "/api/v3/mytrades": 20,
    "/api/v3/openorders": 6,
    "/api/v3/allorders": 20,
    "get /api/v3/order": 4,
    "post /api/v3/order": 1,
    "delete /api/v3/order": 1,
    "/sapi/v1/account/apirestrictions": 1,
    "/sapi/v1/capital/config/getall": 10,
    "/sapi/v1/system/status": 1,
    "/sapi/v1/margin/account": 10,
    "/sapi/v1/margin/allpairs": 1,
    "/sapi/v1/margin/isolated/allpairs": 10,
    # USD-M and COIN-M futures
    "/fapi/v1/exchangeinfo": 1,
    "/fapi/v2/account": 5,
    "/fapi/v3/account": 5,
    "/fapi/v2/balance": 5,
    "/fapi/v3/balance": 5,
    "/dapi/v1/exchangeinfo": 1,
    "/dapi/v1/account": 5,
    "/dapi/v1/balance": 1,
}

# Binance endpoints whose weight depends on whether the request names one symbol: (one symbol,
# otherwise). A symbol-less 24 h ticker costs 40 times one symbol's; counting it as one would
# spend a minute's budget in a dozen calls. A ``symbols`` list is counted as all symbols.
BINANCE_SYMBOL_WEIGHTS: dict[str, tuple[int, int]] = {
    "/api/v3/ticker/24hr": (2, 80),
    "/api/v3/ticker/price": (2, 4),
    "/api/v3/ticker/bookticker": (2, 4),
    "/api/v3/openorders": (6, 80),
    "/fapi/v1/ticker/24hr": (1, 40),
    "/fapi/v1/ticker/price": (1, 2),
    "/fapi/v1/ticker/bookticker": (2, 5),
    "/fapi/v1/openorders": (1, 40),
}

# Pionex counts weight per second, per IP and per account; market lists and futures balances
# cost 5, the rest 1. The native client names endpoints by path.
PIONEX_WEIGHTS: dict[str, int] = {
    "/api/v1/common/symbols": 5,
    "/uapi/v1/common/symbols": 5,
    "/api/v1/market/tickers": 1,
    "/uapi/v1/market/tickers": 1,
    "/api/v1/account/balances": 1,
    "/uapi/v1/account/balances": 5,
    "/api/v1/trade/allorders": 5,
}

WEIGHTS: dict[str, dict[str, int]] = {"binance": BINANCE_WEIGHTS, "pionex": PIONEX_WEIGHTS}

# OKX limits each endpoint on its own, per 2 s (public data per IP, account data per key), and
# several are tighter than the config's per-second figure allows: the endpoint window takes the
# smaller of the two.
OKX_LIMITS_PER_2S: dict[str, int] = {
    "fetch_time": 10,
    "fetch_markets": 20,
    "load_markets": 20,
    "fetch_ticker": 20,
    "fetch_tickers": 20,
    "fetch_order_book": 40,
    "fetch_ohlcv": 40,
    "fetch_trades": 100,
    "fetch_balance": 10,
    "fetch_permissions": 5,
    "create_order": 60,
    "cancel_order": 60,
    "fetch_order": 60,
    "fetch_open_orders": 60,
    "/api/v5/public/time": 10,
    "/api/v5/public/instruments": 20,
    "/api/v5/market/ticker": 20,
    "/api/v5/market/tickers": 20,
    "/api/v5/market/books": 40,
    "/api/v5/market/candles": 40,
    "/api/v5/market/trades": 100,
    "/api/v5/account/balance": 10,
    "/api/v5/account/config": 5,
    "/api/v5/trade/order": 60,
    "/api/v5/trade/cancel-order": 60,
    "/api/v5/trade/orders-pending": 60,
}

ENDPOINT_LIMITS: dict[str, dict[str, int]] = {"okx": OKX_LIMITS_PER_2S}

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])([A-Z])")


@lru_cache(maxsize=4096)
def normalize_endpoint(endpoint: str) -> str:
    """One spelling per endpoint: ``fetchTicker`` -> ``fetch_ticker``; paths lower-cased with
    the method, if any, kept in front (``GET /api/v3/order`` -> ``get /api/v3/order``)."""
    text = endpoint.strip()
    if "/" in text:
        return " ".join(text.split()).lower()
    return _CAMEL_RE.sub(r"_\1", text).lower()


def _lookup(table: dict[str, int] | None, endpoint: str) -> int | None:
    """By unified name, by ``method path``, or by path whatever the method."""
    if not table:
        return None
    name = normalize_endpoint(endpoint)
    value = table.get(name)
    if value is None and " " in name:
        value = table.get(name.split(" ", 1)[1])
    return value


def weight_of(exchange: str, endpoint: str) -> int:
    """The documented weight, or 1 where the exchange counts requests rather than weight."""
    weight = _lookup(WEIGHTS.get(exchange), endpoint)
    return 1 if weight is None else weight


def request_weight(exchange: str, path: str, query: str) -> int | None:
    """The weight of one HTTP request where its parameters decide it; None where the endpoint's
    fixed weight applies."""
    if exchange != "binance":
        return None
    by_symbol = _symbol_weights(path)
    if by_symbol is None:
        return None
    names_one = query.startswith("symbol=") or "&symbol=" in query
    return by_symbol[0] if names_one else by_symbol[1]


@lru_cache(maxsize=1024)
def _symbol_weights(path: str) -> tuple[int, int] | None:
    return BINANCE_SYMBOL_WEIGHTS.get(path.lower())


def endpoint_limit(exchange: str, endpoint: str) -> int | None:
    """The exchange's own limit for this endpoint's window, where it documents one."""
    return _lookup(ENDPOINT_LIMITS.get(exchange), endpoint)
