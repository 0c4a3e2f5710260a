"""Coinbase: Advanced Trade keys (CDP keys, JWT-signed) and Coinbase Exchange keys, which carry a
passphrase, sign differently and have their own ccxt class; a clock read in whole seconds."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId, PassphrasePolicy
from cts_tui.venues.reading import flags, no_params, text
from cts_tui.venues.venue import DefaultLimits, ErrorFields, KeyReader, Profile, Venue


def _error_fields(payload: dict[str, Any]) -> ErrorFields:
    code = text(payload.get("error") or payload.get("error_details"))
    return (code, text(payload.get("message"))) if code or payload.get("message") else (None, None)


def _key(raw: dict[str, Any]) -> dict[str, Any]:
    # can_transfer covers sending funds off the account: a withdrawal in every other exchange's words.
    return {
        "permissions": flags(
            {"read": bool(raw.get("can_view")), "trade": bool(raw.get("can_trade")),
             "withdraw": bool(raw.get("can_transfer"))}
        )
    }


VENUE = Venue(
    id=ExchangeId("coinbase"),
    title="Coinbase",
    main_host="api.coinbase.com",
    passphrase_host="api.exchange.coinbase.com",
    # Advanced Trade: 10 requests per second public, from Coinbase's own documentation.
    limits=DefaultLimits(per_second=10, per_minute=600, max_concurrent=5),
    # Spot only for retail API keys.
    profiles={_A.SPOT: Profile("spot", ("spot",), "BTC/USD", "spot")},
    # Coinbase Exchange-style keys carry a passphrase; Advanced Trade keys do not.
    passphrase=PassphrasePolicy.OPTIONAL,
    error_codes={
        "UNAUTHORIZED": _E.AUTH, "authentication_error": _E.AUTH, "invalid_signature": _E.AUTH,
        "PERMISSION_DENIED": _E.PERMISSION, "permission_denied": _E.PERMISSION,
        "rate_limit_exceeded": _E.RATE_LIMITED, "RATE_LIMIT_EXCEEDED": _E.RATE_LIMITED,
        "INTERNAL": _E.EXCHANGE_DOWN, "UNAVAILABLE": _E.MAINTENANCE,
    },
    # Advanced Trade refuses a CDP key's JWT (wrong key, expired, wrong uri) with HTTP 401
    # "Unauthorized" in plain text.
    text_status_kinds={401: _E.AUTH},
    error_fields=_error_fields,
    passphrase_ccxt_id="coinbaseexchange",
    # Coinbase Exchange keys (coinbaseexchange) have no endpoint that describes them.
    key_readers={"coinbase": KeyReader((("v3_private_get_brokerage_key_permissions", no_params),), _key)},
    whole_second_clock=True,
    pem_keys="Coinbase CDP keys",
)
