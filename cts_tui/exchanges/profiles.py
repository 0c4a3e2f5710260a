"""What each (exchange, API type) pair means to ccxt: market types, account type, ticker symbol.

One table instead of branches scattered through the client: the market types to load (so a spot
connection never downloads thousands of derivatives), the ``defaultType`` that selects the account
a balance comes from, and the extra balance parameters some exchanges need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cts_tui.capabilities import ApiType, ExchangeId

_A = ApiType
_X = ExchangeId


@dataclass(frozen=True, slots=True)
class Profile:
    """ccxt settings for one exchange and API type."""

    default_type: str
    market_types: tuple[str, ...]
    """Market kinds to load, as the exchange's ``fetchMarkets`` option names them."""
    symbol: str
    """The market the connection test reads a ticker of (another of the same type if absent)."""
    market_kind: str
    """The unified market type (spot, swap, future) a fallback ticker market must have."""
    balance_params: dict[str, Any] = field(default_factory=dict)


_SPOT = ("spot",)
_BTC = "BTC/USDT"
_BTC_SWAP = "BTC/USDT:USDT"

PROFILES: dict[tuple[ExchangeId, ApiType], Profile] = {
    (_X.BINANCE, _A.SPOT): Profile("spot", _SPOT, _BTC, "spot"),
    (_X.BINANCE, _A.MARGIN): Profile("margin", _SPOT, _BTC, "spot", {"type": "margin"}),
    (_X.BINANCE, _A.PERPETUAL_FUTURES): Profile("swap", ("linear",), _BTC_SWAP, "swap"),
    (_X.BINANCE, _A.FUTURES): Profile("future", ("linear",), _BTC_SWAP, "future"),
    (_X.BYBIT, _A.UNIFIED): Profile("swap", ("spot", "linear"), _BTC_SWAP, "swap", {"type": "unified"}),
    (_X.BYBIT, _A.PERPETUAL_FUTURES): Profile("swap", ("linear",), _BTC_SWAP, "swap"),
    (_X.BYBIT, _A.SPOT): Profile("spot", _SPOT, _BTC, "spot"),
    (_X.BYBIT, _A.MARGIN): Profile("spot", _SPOT, _BTC, "spot", {"type": "margin"}),
    (_X.OKX, _A.SPOT): Profile("spot", _SPOT, _BTC, "spot"),
    (_X.OKX, _A.MARGIN): Profile("margin", _SPOT, _BTC, "spot"),
    (_X.OKX, _A.PERPETUAL_FUTURES): Profile("swap", ("swap",), _BTC_SWAP, "swap"),
    (_X.OKX, _A.FUTURES): Profile("future", ("future",), _BTC_SWAP, "future"),
    (_X.BINGX, _A.SPOT): Profile("spot", _SPOT, _BTC, "spot"),
    (_X.BINGX, _A.PERPETUAL_FUTURES): Profile("swap", ("swap",), _BTC_SWAP, "swap"),
    (_X.HTX, _A.SPOT): Profile("spot", _SPOT, _BTC, "spot"),
    (_X.HTX, _A.MARGIN): Profile("spot", _SPOT, _BTC, "spot", {"type": "margin", "marginMode": "cross"}),
    (_X.HTX, _A.PERPETUAL_FUTURES): Profile("swap", ("linear",), _BTC_SWAP, "swap"),
    (_X.COINBASE, _A.SPOT): Profile("spot", _SPOT, "BTC/USD", "spot"),
    (_X.KRAKEN, _A.SPOT): Profile("spot", _SPOT, "BTC/USD", "spot"),
    (_X.KRAKEN, _A.MARGIN): Profile("spot", _SPOT, "BTC/USD", "spot"),
}


def profile_for(exchange: ExchangeId, api_type: ApiType) -> Profile:
    return PROFILES[(exchange, api_type)]


def market_options(exchange: ExchangeId, market_types: tuple[str, ...]) -> dict[str, Any]:
    """The ccxt option that restricts ``fetch_markets`` to ``market_types`` (exchanges differ in
    its shape; BingX has none and is handled by loading its per-type lists directly)."""
    if exchange is _X.HTX:
        return {"fetchMarkets": {"types": {t: t in market_types for t in ("spot", "linear", "inverse")}}}
    if exchange in (_X.BINANCE, _X.BYBIT, _X.OKX):
        return {"fetchMarkets": {"types": list(market_types)}}
    return {}
