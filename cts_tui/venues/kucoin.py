"""KuCoin: spot and cross margin on api.kucoin.com, futures on api-futures.kucoin.com (ccxt's
``kucoinfutures``), passphrase-signed; every endpoint draws weight from one resource pool (Spot,
Futures, Management, Public) per 30 s, public ones per IP and the others per account, as the
``gw-ratelimit-*`` headers report. Its sandbox is retired: no test environment."""

from __future__ import annotations

from typing import Any

from cts_tui.errors import ErrorKind as _E
from cts_tui.venues.kinds import ApiType as _A
from cts_tui.venues.kinds import ExchangeId, PassphrasePolicy
from cts_tui.venues.reading import epoch_ms, flags, listed_market_types, no_params, number, text, whitelist
from cts_tui.venues.venue import (
    USDT_SPOT, USDT_SWAP, DefaultLimits, ErrorFields, HeaderGetter, KeyReader, Profile, UsageReading, Venue,
    WindowSpec, rolling_windows,
)

POOL_QUOTAS = {"spot": 4000, "futures": 2000, "management": 2000, "public": 2000}
"""Weight per 30 s of each resource pool at VIP level 0 (the lowest, every account's floor)."""

SPOT_HOST, FUTURES_HOST = "api.kucoin.com", "api-futures.kucoin.com"

# Public endpoints of both hosts (per IP), then the account endpoints of the Management pool and
# the futures-only ones of the Futures pool; every other signed endpoint is its host's pool
# (both hosts have /api/v1/orders and /api/v1/fills: the Spot pool's on the spot host, the
# Futures pool's on the futures host).
_PUBLIC = (
    "/api/v1/timestamp", "/api/v1/status", "/api/v1/symbols", "/api/v2/symbols", "/api/v1/market/",
    "/api/v1/currencies", "/api/v3/currencies", "/api/v1/prices", "/api/v1/bullet-public", "/api/v1/contracts/",
    "/api/v1/ticker", "/api/v1/alltickers", "/api/v1/level2/", "/api/v1/trade/history", "/api/v1/kline/",
    "/api/v1/mark-price/", "/api/v1/index/", "/api/v1/funding-rate/",
)
_MANAGEMENT = (
    "/api/v1/accounts", "/api/v2/accounts", "/api/v1/sub", "/api/v2/sub", "/api/v1/user", "/api/v2/user",
    "/api/v1/deposit", "/api/v2/deposit", "/api/v1/withdrawals", "/api/v3/withdrawals",
)
_FUTURES = (
    "/api/v1/account-overview", "/api/v1/position", "/api/v2/position", "/api/v1/transaction-history",
    "/api/v1/funding-history", "/api/v1/recentdoneorders", "/api/v1/openorderstatistics",
)
_UNIFIED_POOLS = {
    "fetch_time": "public", "fetch_status": "public", "fetch_markets": "public", "load_markets": "public",
    "fetch_ticker": "public", "fetch_tickers": "public", "fetch_order_book": "public", "fetch_trades": "public",
    "fetch_ohlcv": "public", "fetch_balance": "management", "fetch_permissions": "management",
}


def _pool(endpoint: str, host: str | None) -> str:
    """``host`` None (a unified name, a caller that does not say): the Spot pool's host."""
    own = "futures" if host == FUTURES_HOST else "spot"
    path = endpoint.rpartition(" ")[2]
    if not path.startswith("/"):
        return _UNIFIED_POOLS.get(path, own)
    for pool, prefixes in (("public", _PUBLIC), ("management", _MANAGEMENT), ("futures", _FUTURES)):
        if path.startswith(prefixes):
            return pool
    return own


# Weights as documented per endpoint (where the two hosts share a path, the heavier).
WEIGHTS: dict[str, int] = {
    "fetch_time": 3, "fetch_status": 4, "fetch_ticker": 2, "fetch_order_book": 2, "fetch_trades": 3,
    "fetch_ohlcv": 3, "fetch_balance": 5, "fetch_permissions": 20,
    "/api/v1/timestamp": 3, "/api/v1/status": 4, "/api/v2/symbols": 4, "/api/v3/currencies": 3,
    "/api/v1/market/orderbook/level1": 2, "/api/v1/market/alltickers": 15, "/api/v1/market/stats": 15,
    "/api/v1/market/orderbook/level2_20": 2, "/api/v1/market/orderbook/level2_100": 4,
    "/api/v3/market/orderbook/level2": 3, "/api/v1/market/histories": 3, "/api/v1/market/candles": 3,
    "/api/v1/bullet-public": 10, "/api/v1/accounts": 5, "/api/v1/user/api-key": 20, "/api/v1/hf/accounts/opened": 2,
    "/api/v3/margin/symbols": 3, "/api/v1/isolated/symbols": 3, "/api/v1/contracts/active": 3, "/api/v1/ticker": 2,
    "/api/v1/alltickers": 5, "/api/v1/level2/depth20": 5, "/api/v1/level2/depth100": 10,
    "/api/v1/trade/history": 5, "/api/v1/kline/query": 3, "/api/v1/account-overview": 5,
    "/api/v1/margin/account": 40, "/api/v1/orders": 2,
}


def _windows(second: int, minute: int) -> tuple[WindowSpec, ...]:
    pools = WindowSpec("30s/pool", 30.0, max(POOL_QUOTAS.values()), per_pool=True, counts_weight=True,
                       by_exchange=True)
    return (*rolling_windows(second, minute), pools)


def _usage(get: HeaderGetter, at: float) -> UsageReading:
    """The pool's quota, what is left of it, and milliseconds until its window resets."""
    limit, remaining = number(get("gw-ratelimit-limit")), number(get("gw-ratelimit-remaining"))
    if remaining is None:
        return UsageReading()
    used = int(limit - remaining) if limit else None
    share = min(1.0, max(0.0, (limit - remaining) / limit)) if limit else None
    if remaining > 0:
        return UsageReading(used=used, used_share=share)
    reset_ms = number(get("gw-ratelimit-reset"))
    return UsageReading(True, max(0.0, reset_ms / 1000) if reset_ms is not None else None, used, share)


def _error_fields(payload: dict[str, Any]) -> ErrorFields:
    """Every answer carries a code; "200000" is success."""
    code = text(payload.get("code"))
    return (code, text(payload.get("msg"))) if code not in (None, "200000") else (None, None)


def _key(raw: dict[str, Any]) -> dict[str, Any]:
    data = raw.get("data") or {}
    granted = {p.strip() for p in str(data.get("permission", "")).split(",")}
    return {
        "permissions": flags(
            {
                "read": "General" in granted,
                "trade": bool(granted & {"Spot", "Margin", "Futures"}),
                "transfer": bool(granted & {"InnerTransfer", "Transfer"}),
                "withdraw": "Withdrawal" in granted,
            }
        ),
        **whitelist(data.get("ipWhitelist")),
        "created_at": epoch_ms(data.get("createdAt")),
    }


_KEY_READER = KeyReader((("private_get_user_api_key", no_params),), _key)


def _market_options(market_types: tuple[str, ...]) -> dict[str, Any]:
    """The kinds to load, without the fee schedule ccxt would read from every spot ticker; and
    the classic account's endpoints (the API types here are its spot and futures accounts), so
    that ccxt does not ask which kind of account the key has before every balance."""
    options = listed_market_types(market_types)
    options["fetchMarkets"]["fetchTickersFees"] = False
    return {**options, "uta": False}


VENUE = Venue(
    id=ExchangeId("kucoin"),
    title="KuCoin",
    main_host=SPOT_HOST,
    # The Public pool (2000 weight per 30 s) at its lightest weights (2) is ~30 requests a second.
    limits=DefaultLimits(per_second=30, per_minute=1800, max_concurrent=10),
    profiles={
        _A.SPOT: USDT_SPOT,
        _A.MARGIN: Profile("spot", ("spot",), "BTC/USDT", "spot", {"type": "margin"}),  # cross margin
        _A.PERPETUAL_FUTURES: USDT_SWAP,
    },
    passphrase=PassphrasePolicy.REQUIRED,
    windows=_windows,
    usage_window="30s/pool",
    weights=WEIGHTS,
    pool_of=_pool,
    pool_limits=POOL_QUOTAS,
    read_usage=_usage,
    error_codes={
        "400001": _E.AUTH, "400003": _E.AUTH, "400004": _E.AUTH, "400005": _E.AUTH, "400006": _E.PERMISSION,
        "400007": _E.PERMISSION, "411100": _E.PERMISSION, "429000": _E.RATE_LIMITED, "200002": _E.RATE_LIMITED,
        "400002": _E.INVALID_REQUEST, "400100": _E.INVALID_REQUEST, "900001": _E.INVALID_REQUEST,
        "500000": _E.EXCHANGE_DOWN,
    },
    timestamp_codes=frozenset({"400002"}),
    error_fields=_error_fields,
    code_field=("code", str),
    numeric_codes=True,
    ccxt_ids={_A.PERPETUAL_FUTURES: "kucoinfutures"},
    market_options=_market_options,
    market_loaders={"swap": "fetch_contract_markets"},
    key_readers={"kucoin": _KEY_READER, "kucoinfutures": KeyReader(_KEY_READER.requests, _key, _A.SPOT)},
    api_hosts={_A.PERPETUAL_FUTURES: FUTURES_HOST},
)
