"""OrangeX (a native client, JSON-RPC shaped): errors as ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.reading import text
from cts_tui.venues.venue import USDT_SPOT, USDT_SWAP, DefaultLimits, ErrorFields, Venue


def _error_fields(payload: dict[str, Any]) -> ErrorFields:
    error = payload.get("error")
    if isinstance(error, dict):
        return text(error.get("code")), text(error.get("message"))
    return None, None


VENUE = Venue(
    id=ExchangeId("orangex"),
    title="OrangeX",
    main_host="api.orangex.com",
    limits=DefaultLimits(per_second=5, per_minute=100, max_concurrent=3),
    profiles={
        _A.SPOT: USDT_SPOT,
        _A.PERPETUAL_FUTURES: USDT_SWAP,
    },
    ccxt=False,
    rest_url="https://api.orangex.com",
    stream_url="wss://api.orangex.com/ws/api/v1",
    error_codes={
        "10000": _E.AUTH, "2033": _E.PERMISSION, "10028": _E.RATE_LIMITED,
        "11000": _E.MAINTENANCE, "11001": _E.EXCHANGE_DOWN, "1000": _E.INVALID_REQUEST,
    },
    error_fields=_error_fields,
    numeric_codes=True,
)
