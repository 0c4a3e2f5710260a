"""Bybit: a rolling 1 s window per endpoint (its usage headers describe it), 600 requests per 5 s
per IP whatever the key, and an IP limit answered with HTTP 403 in plain text."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.reading import flags, iso_time, listed_market_types, no_params, number, text, until_reset, whitelist
from cts_tui.venues.venue import (
    USDT_SPOT, DefaultLimits, ErrorFields, HeaderGetter, IpWindow, KeyReader, Profile, UsageReading, Venue, WindowSpec,
)


def _windows(second: int, minute: int) -> tuple[WindowSpec, ...]:
    return (WindowSpec("1s/endpoint", 1.0, second, per_endpoint=True, by_exchange=True),
            WindowSpec("1m", 60.0, minute))


def _usage(get: HeaderGetter, at: float) -> UsageReading:
    remaining = number(get("X-Bapi-Limit-Status"))
    limit = number(get("X-Bapi-Limit"))
    used_share = None
    if remaining is not None and limit:
        used_share = min(1.0, max(0.0, (limit - remaining) / limit))
    if remaining is None or remaining > 0:
        return UsageReading(used_share=used_share)
    reset = number(get("X-Bapi-Limit-Reset-Timestamp"))
    return UsageReading(True, until_reset(reset, at) if reset is not None else None, None, used_share)


def _error_fields(payload: dict[str, Any]) -> ErrorFields:
    code = text(payload.get("retCode"))
    return (code, text(payload.get("retMsg"))) if code not in (None, "0") else (None, None)


def _key(raw: dict[str, Any]) -> dict[str, Any]:
    result = raw.get("result") or {}
    groups = result.get("permissions") or {}
    wallet = groups.get("Wallet") or []
    trade = any(groups.get(name) for name in ("ContractTrade", "Spot", "Options", "Derivatives"))
    return {
        "permissions": flags(
            {
                "read": True,
                "trade": trade and str(result.get("readOnly", "0")) == "0",
                "transfer": any(p in wallet for p in ("AccountTransfer", "SubMemberTransfer", "SubMemberTransferList")),
                "withdraw": "Withdraw" in wallet,
            }
        ),
        **whitelist(result.get("ips")),
        "expires_at": iso_time(result.get("expiredAt")),
        "expiry_reported": True,
        "created_at": iso_time(result.get("createdAt")),
    }


VENUE = Venue(
    id=ExchangeId("bybit"),
    title="Bybit",
    main_host="api.bybit.com",
    limits=DefaultLimits(per_second=10, per_minute=120, max_concurrent=5, ip_limit=600),
    profiles={
        _A.UNIFIED: Profile("swap", ("spot", "linear"), "BTC/USDT:USDT", "swap", {"type": "unified"}),
        _A.PERPETUAL_FUTURES: Profile("swap", ("linear",), "BTC/USDT:USDT", "swap"),
        _A.SPOT: USDT_SPOT,
        _A.MARGIN: Profile("spot", ("spot",), "BTC/USDT", "spot", {"type": "margin"}),
    },
    testnet=True,
    windows=_windows,
    usage_window="1s/endpoint",
    ip_window=IpWindow("5s/ip", 5.0, False),
    read_usage=_usage,
    error_codes={
        "10003": _E.AUTH, "10004": _E.AUTH, "10007": _E.AUTH, "33004": _E.AUTH,
        "10005": _E.PERMISSION, "10010": _E.PERMISSION, "10006": _E.RATE_LIMITED,
        "10018": _E.RATE_LIMITED, "10009": _E.BANNED, "10016": _E.EXCHANGE_DOWN,
        "10002": _E.INVALID_REQUEST, "10001": _E.INVALID_REQUEST,
    },
    timestamp_codes=frozenset({"10002"}),
    # The IP limit: HTTP 403 "access too frequent", not JSON.
    text_status_kinds={403: _E.RATE_LIMITED},
    error_fields=_error_fields,
    code_field=("retCode", int),
    numeric_codes=True,
    market_options=listed_market_types,
    key_readers={"bybit": KeyReader((("private_get_v5_user_query_api", no_params),), _key)},
)
