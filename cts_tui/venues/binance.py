"""Binance: request weight per IP over the clock-aligned UTC minute, reported back in
``X-MBX-USED-WEIGHT-1M``; weights that depend on whether a request names one symbol.

The weights are Binance's documented spot weights for the calls ccxt makes (the parameter-free
variants cost more, so their unified names map to the costlier figure: ``fetch_tickers`` is the
symbol-less ``ticker/24hr``). Endpoints may be named by ccxt unified method (``fetch_ticker`` /
``fetchTicker``) or by HTTP path (``GET /api/v3/depth``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.reading import epoch_ms, flags, listed_market_types, no_params, number
from cts_tui.venues.venue import (
    USDT_SPOT, DefaultLimits, HeaderGetter, KeyReader, Profile, Scope, UsageReading, Venue, WindowSpec,
)

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


def _windows(second: int, minute: int) -> tuple[WindowSpec, ...]:
    return (
        WindowSpec("1s", 1.0, second, scope=Scope.IP),
        WindowSpec("1m", 60.0, minute, aligned=True, counts_weight=True, scope=Scope.IP, by_exchange=True),
    )


def _request_weight(path: str, query: str) -> int | None:
    by_symbol = _symbol_weights(path)
    if by_symbol is None:
        return None
    names_one = query.startswith("symbol=") or "&symbol=" in query
    return by_symbol[0] if names_one else by_symbol[1]


@lru_cache(maxsize=1024)
def _symbol_weights(path: str) -> tuple[int, int] | None:
    return BINANCE_SYMBOL_WEIGHTS.get(path.lower())


_NOT_SAID = UsageReading()


def _usage(get: HeaderGetter, _at: float) -> UsageReading:
    weight = number(get("X-MBX-USED-WEIGHT-1M"))
    return _NOT_SAID if weight is None else UsageReading(False, None, int(weight), None)


def _key(raw: dict[str, Any]) -> dict[str, Any]:
    # Binance states whether a whitelist is set, not the addresses; the expiry it reports is
    # that of the key's trading authority (keys without an IP whitelist lose it after a while).
    return {
        "permissions": flags(
            {
                "read": bool(raw.get("enableReading")),
                "trade": bool(raw.get("enableSpotAndMarginTrading")),
                "futures": bool(raw.get("enableFutures")),
                "margin": bool(raw.get("enableMargin")),
                "transfer": bool(raw.get("enableInternalTransfer") or raw.get("permitsUniversalTransfer")),
                "withdraw": bool(raw.get("enableWithdrawals")),
            }
        ),
        "ip_restricted": bool(raw.get("ipRestrict")),
        "expires_at": epoch_ms(raw.get("tradingAuthorityExpirationTime")),
        "expiry_reported": True,
        "created_at": epoch_ms(raw.get("createTime")),
    }


VENUE = Venue(
    id=ExchangeId("binance"),
    title="Binance",
    main_host="api.binance.com",
    api_hosts={
        _A.PERPETUAL_FUTURES: "fapi.binance.com",
        _A.FUTURES: "fapi.binance.com",  # USD-M quarterly contracts
    },
    limits=DefaultLimits(per_second=10, per_minute=1200, max_concurrent=10),
    profiles={
        _A.SPOT: USDT_SPOT,
        _A.PERPETUAL_FUTURES: Profile("swap", ("linear",), "BTC/USDT:USDT", "swap"),
        _A.FUTURES: Profile("future", ("linear",), "BTC/USDT:USDT", "future"),
        _A.MARGIN: Profile("margin", ("spot",), "BTC/USDT", "spot", {"type": "margin"}),
    },
    testnet=True,
    windows=_windows,
    usage_window="1m",
    weights=BINANCE_WEIGHTS,
    request_weight=_request_weight,
    read_usage=_usage,
    error_codes={
        "-1002": _E.AUTH, "-1022": _E.AUTH, "-2014": _E.AUTH, "-2015": _E.AUTH, "-2008": _E.AUTH,
        "-1003": _E.RATE_LIMITED, "-1015": _E.RATE_LIMITED, "-1001": _E.EXCHANGE_DOWN,
        "-1007": _E.TIMEOUT, "-1016": _E.EXCHANGE_DOWN, "-1021": _E.INVALID_REQUEST,
        "-1121": _E.INVALID_REQUEST, "-2010": _E.INVALID_REQUEST,
    },
    timestamp_codes=frozenset({"-1021"}),
    code_field=("code", int),
    numeric_codes=True,
    market_options=listed_market_types,
    # On api.binance.com (/sapi) for every API type, USD-M futures keys included.
    key_readers={"binance": KeyReader((("sapi_get_account_apirestrictions", no_params),), _key, _A.SPOT)},
)
