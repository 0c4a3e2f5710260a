"""Kraken: errors as a list of ``"EAPI:..."`` strings; a nonce that must grow per key; a clock
read in whole seconds; no endpoint that describes a key."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.venue import DefaultLimits, ErrorFields, Profile, Venue


def _error_fields(payload: dict[str, Any]) -> ErrorFields:
    errors = payload.get("error")
    if isinstance(errors, list) and errors:
        first = str(errors[0])
        return ":".join(first.split(":")[:2]), first
    return None, None


VENUE = Venue(
    id=ExchangeId("kraken"),
    title="Kraken",
    main_host="api.kraken.com",
    # 1 request per second public, from Kraken's own documentation.
    limits=DefaultLimits(per_second=1, per_minute=60, max_concurrent=2),
    # Spot REST: spot and margin on one account (futures is a separate API).
    profiles={
        _A.SPOT: Profile("spot", ("spot",), "BTC/USD", "spot"),
        _A.MARGIN: Profile("spot", ("spot",), "BTC/USD", "spot"),
    },
    error_codes={
        "EAPI:Invalid key": _E.AUTH, "EAPI:Invalid signature": _E.AUTH,
        "EAPI:Bad request": _E.INVALID_REQUEST, "EGeneral:Permission denied": _E.PERMISSION,
        "EAPI:Rate limit exceeded": _E.RATE_LIMITED, "EGeneral:Temporary lockout": _E.BANNED,
        "EService:Unavailable": _E.MAINTENANCE, "EService:Busy": _E.EXCHANGE_DOWN,
        "EAPI:Invalid nonce": _E.INVALID_REQUEST,
    },
    timestamp_codes=frozenset({"EAPI:Invalid nonce"}),
    error_fields=_error_fields,
    own_clock_nonce=True,
    whole_second_clock=True,
)
