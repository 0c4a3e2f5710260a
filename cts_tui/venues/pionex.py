"""Pionex (a native client): weight per second per IP and per account, 10 weight per second per
IP whatever the key; errors as ``{"result": false, "code": ...}``."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.reading import text
from cts_tui.venues.venue import USDT_SPOT, USDT_SWAP, DefaultLimits, ErrorFields, IpWindow, Venue, WindowSpec

# Weight per second, per IP and per account; market lists and futures balances
# cost 5, the rest 1. The native client names endpoints by path.
PIONEX_WEIGHTS: dict[str, int] = {
    "/api/v1/common/symbols": 5,
    "/api/v1/market/tickers": 1,
    "/api/v1/account/balances": 1,
    "/uapi/v1/account/balances": 5,
    "/api/v1/trade/allorders": 5,
}


def _windows(second: int, minute: int) -> tuple[WindowSpec, ...]:
    return (WindowSpec("1s", 1.0, second, counts_weight=True, by_exchange=True),
            WindowSpec("1m", 60.0, minute, counts_weight=True))


def _error_fields(payload: dict[str, Any]) -> ErrorFields | None:
    if payload.get("result") is False:
        return text(payload.get("code")), text(payload.get("message"))
    return None


VENUE = Venue(
    id=ExchangeId("pionex"),
    title="Pionex",
    main_host="api.pionex.com",
    limits=DefaultLimits(per_second=5, per_minute=100, max_concurrent=3, ip_limit=10),
    profiles={
        _A.SPOT: USDT_SPOT,
        _A.PERPETUAL_FUTURES: USDT_SWAP,
    },
    ccxt=False,
    rest_url="https://api.pionex.com",
    stream_url="wss://ws.pionex.com/wsPub",
    windows=_windows,
    ip_window=IpWindow("1s/ip", 1.0, True),
    weights=PIONEX_WEIGHTS,
    error_codes={
        "APIKEY_LOST": _E.AUTH, "INVALID_APIKEY": _E.AUTH, "INVALID_SIGNATURE": _E.AUTH,
        "SIGNATURE_MISMATCH": _E.AUTH, "IP_NOT_WHITELISTED": _E.PERMISSION,
        "PERMISSION_DENIED": _E.PERMISSION, "INVALID_TIMESTAMP": _E.INVALID_REQUEST,
        "RATE_LIMIT": _E.RATE_LIMITED, "TOO_MANY_REQUESTS": _E.RATE_LIMITED,
        "SYSTEM_MAINTENANCE": _E.MAINTENANCE, "MAINTENANCE": _E.MAINTENANCE,
    },
    timestamp_codes=frozenset({"INVALID_TIMESTAMP"}),
    error_fields=_error_fields,
)
