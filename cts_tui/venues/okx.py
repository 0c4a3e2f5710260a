"""OKX: each endpoint limited on its own per rolling 2 s (public data per IP, account data per
key), several tighter than the config's per-second figure allows; passphrase-signed; demo trading
on the live host as its test environment."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId, PassphrasePolicy
from cts_tui.venues.reading import listed_market_types, no_params, whitelist
from cts_tui.venues.venue import USDT_SPOT, USDT_SWAP, DefaultLimits, KeyReader, Profile, Venue, WindowSpec

# Each endpoint is limited on its own, per 2 s (public data per IP, account data per key), and
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


def _windows(second: int, minute: int) -> tuple[WindowSpec, ...]:
    return (WindowSpec("2s/endpoint", 2.0, second * 2, per_endpoint=True, by_exchange=True),
            WindowSpec("1m", 60.0, minute))


def _key(raw: dict[str, Any]) -> dict[str, Any]:
    config = (raw.get("data") or [{}])[0] or {}
    names = {"read_only": "read", "trade": "trade", "withdraw": "withdraw"}
    perms = [names[p.strip()] for p in str(config.get("perm", "")).split(",") if p.strip() in names]
    return {"permissions": perms, **whitelist(config.get("ip"))}


VENUE = Venue(
    id=ExchangeId("okx"),
    title="OKX",
    main_host="www.okx.com",
    limits=DefaultLimits(per_second=20, per_minute=600, max_concurrent=10),
    profiles={
        _A.SPOT: USDT_SPOT,
        _A.PERPETUAL_FUTURES: USDT_SWAP,
        _A.FUTURES: Profile("future", ("future",), "BTC/USDT:USDT", "future"),
        _A.MARGIN: Profile("margin", ("spot",), "BTC/USDT", "spot"),
    },
    passphrase=PassphrasePolicy.REQUIRED,
    testnet=True,
    windows=_windows,
    endpoint_limits=OKX_LIMITS_PER_2S,
    error_codes={
        "50111": _E.AUTH, "50113": _E.AUTH, "50105": _E.AUTH, "50119": _E.AUTH, "50101": _E.AUTH,
        "50104": _E.AUTH, "50114": _E.AUTH, "50100": _E.PERMISSION, "50110": _E.PERMISSION,
        "50120": _E.PERMISSION, "50011": _E.RATE_LIMITED, "50061": _E.RATE_LIMITED,
        "50001": _E.MAINTENANCE, "50013": _E.EXCHANGE_DOWN, "50026": _E.EXCHANGE_DOWN,
        "50004": _E.TIMEOUT, "50102": _E.INVALID_REQUEST, "50112": _E.INVALID_REQUEST,
    },
    timestamp_codes=frozenset({"50102", "50112"}),
    code_field=("code", str),
    numeric_codes=True,
    market_options=listed_market_types,
    key_readers={"okx": KeyReader((("private_get_account_config", no_params),), _key)},
)
