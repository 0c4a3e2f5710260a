"""BingX: requests remaining in ``X-RateLimit-Requests-Remain`` with the window's expiry; numeric
permission codes; markets loaded per type (its ``fetch_markets`` always pulls every type)."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.reading import flags, no_params, number, until_reset, whitelist
from cts_tui.venues.venue import (
    USDT_SPOT, USDT_SWAP, DefaultLimits, HeaderGetter, KeyReader, UsageReading, Venue,
)

_PLAIN = UsageReading()


def _usage(get: HeaderGetter, at: float) -> UsageReading:
    remaining = number(get("X-RateLimit-Requests-Remain"))
    if remaining is None or remaining > 0:
        return _PLAIN
    expire = number(get("X-RateLimit-Requests-Expire"))
    return UsageReading(True, until_reset(expire, at) if expire is not None else None)


def _key(raw: dict[str, Any]) -> dict[str, Any]:
    data = raw.get("data") or {}
    codes = {int(p) for p in (data.get("permissions") or []) if str(p).isdigit()}
    # BingX's codes: 1 spot trading, 2 read, 3 perpetual trading, 4 universal transfer, 5 withdraw.
    return {
        "permissions": flags(
            {"read": 2 in codes or bool(codes), "trade": bool(codes & {1, 3}), "transfer": 4 in codes,
             "withdraw": 5 in codes}
        ),
        **whitelist(data.get("ipAddresses")),
    }


VENUE = Venue(
    id=ExchangeId("bingx"),
    title="BingX",
    main_host="open-api.bingx.com",
    limits=DefaultLimits(per_second=5, per_minute=100, max_concurrent=3),
    profiles={
        _A.SPOT: USDT_SPOT,
        _A.PERPETUAL_FUTURES: USDT_SWAP,
    },
    testnet=True,
    read_usage=_usage,
    error_codes={
        "100001": _E.AUTH, "100412": _E.AUTH, "100413": _E.AUTH, "100419": _E.PERMISSION,
        "100410": _E.RATE_LIMITED, "100500": _E.EXCHANGE_DOWN, "100503": _E.EXCHANGE_DOWN,
        "100421": _E.INVALID_REQUEST,
    },
    timestamp_codes=frozenset({"100421"}),
    code_field=("code", int),
    numeric_codes=True,
    market_loaders={"spot": "fetch_spot_markets", "swap": "fetch_swap_markets"},
    key_readers={"bingx": KeyReader((("account_v1_private_get_account_apipermissions", no_params),), _key)},
)
