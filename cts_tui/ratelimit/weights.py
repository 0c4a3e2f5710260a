"""Endpoint weights: what one call costs against a weight-counted window.

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
}

WEIGHTS: dict[str, dict[str, int]] = {"binance": BINANCE_WEIGHTS}

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])([A-Z])")


@lru_cache(maxsize=4096)
def normalize_endpoint(endpoint: str) -> str:
    """One spelling per endpoint: ``fetchTicker`` -> ``fetch_ticker``; paths lower-cased with
    the method, if any, kept in front (``GET /api/v3/order`` -> ``get /api/v3/order``)."""
    text = endpoint.strip()
    if "/" in text:
        return " ".join(text.split()).lower()
    return _CAMEL_RE.sub(r"_\1", text).lower()


def weight_of(exchange: str, endpoint: str) -> int:
    """The documented weight, or 1 where the exchange counts requests rather than weight."""
    table = WEIGHTS.get(exchange)
    if not table:
        return 1
    name = normalize_endpoint(endpoint)
    weight = table.get(name)
    if weight is None and " " in name:
        weight = table.get(name.split(" ", 1)[1])
    return 1 if weight is None else weight
