"""HTX (formerly Huobi): word error codes in ``err-code`` with ``status: error``; a key's facts
read in two steps (the account's uid first); market types narrowed by a flag per kind."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.reading import epoch_ms, no_params, text, whitelist
from cts_tui.venues.venue import USDT_SPOT, DefaultLimits, ErrorFields, KeyReader, Profile, Venue


def _error_fields(payload: dict[str, Any]) -> ErrorFields | None:
    if payload.get("status") == "error":
        return text(payload.get("err-code")), text(payload.get("err-msg"))
    return None


def _market_options(market_types: tuple[str, ...]) -> dict[str, Any]:
    return {"fetchMarkets": {"types": {t: t in market_types for t in ("spot", "linear", "inverse")}}}


def _key_params(uid_answer: dict[str, Any]) -> dict[str, Any]:
    return {"uid": uid_answer.get("data")}


def _key(raw: dict[str, Any]) -> dict[str, Any]:
    keys = raw.get("data") or [{}]
    key = keys[0] or {}
    names = {"readOnly": "read", "trade": "trade", "withdraw": "withdraw"}
    days = key.get("validDays")
    # validDays: the days the key stays valid, -1 for a key that never expires.
    expires = None if days in (None, -1, "-1") else datetime.now(UTC) + timedelta(days=float(days))
    return {
        "permissions": [names[p] for p in str(key.get("permission", "")).split(",") if p in names],
        **whitelist(key.get("ipAddresses")),
        "expires_at": expires,
        "expiry_reported": days is not None,
        "created_at": epoch_ms(key.get("createTime")),
    }


VENUE = Venue(
    id=ExchangeId("htx"),
    title="HTX",
    main_host="api.huobi.pro",
    api_hosts={_A.PERPETUAL_FUTURES: "api.hbdm.com"},
    # 10 requests per second per key, from HTX's own documentation.
    limits=DefaultLimits(per_second=10, per_minute=600, max_concurrent=5),
    # Spot, cross/isolated margin and USDT-margined swaps (linear-swap-api).
    profiles={
        _A.SPOT: USDT_SPOT,
        _A.MARGIN: Profile("spot", ("spot",), "BTC/USDT", "spot", {"type": "margin", "marginMode": "cross"}),
        _A.PERPETUAL_FUTURES: Profile("swap", ("linear",), "BTC/USDT:USDT", "swap"),
    },
    error_codes={
        "api-signature-not-valid": _E.AUTH, "invalid-access-key-id": _E.AUTH,
        "api-signature-check-failed": _E.AUTH, "login-required": _E.AUTH,
        "api-not-support-temp-addr": _E.PERMISSION, "forbidden-trade-for-open-protect": _E.PERMISSION,
        "too-many-request": _E.RATE_LIMITED, "invalid-timestamp": _E.INVALID_REQUEST,
        "system-maintenance": _E.MAINTENANCE, "base-system-error": _E.EXCHANGE_DOWN,
    },
    timestamp_codes=frozenset({"invalid-timestamp"}),
    error_fields=_error_fields,
    code_field=("err-code", str),
    market_options=_market_options,
    key_readers={
        "htx": KeyReader(
            (("v2private_get_user_uid", no_params), ("v2private_get_user_api_key", _key_params)), _key
        )
    },
)
