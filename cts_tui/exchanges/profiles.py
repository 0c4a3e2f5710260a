"""What each (exchange, API type) pair means to ccxt: market types, account type, ticker symbol.

Read from the venue modules (``Venue.profiles``) instead of branches scattered through the client:
the market types to load (so a spot connection never downloads thousands of derivatives), the
``defaultType`` that selects the account a balance comes from, and the extra balance parameters
some exchanges need.
"""

from __future__ import annotations

from typing import Any

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.venues import VENUES
from cts_tui.venues.venue import Profile

__all__ = ["Profile", "market_options", "profile_for"]


def profile_for(exchange: ExchangeId, api_type: ApiType) -> Profile:
    return VENUES[exchange].profiles[api_type]


def market_options(exchange: ExchangeId, market_types: tuple[str, ...]) -> dict[str, Any]:
    """The ccxt option that restricts ``fetch_markets`` to ``market_types`` (exchanges differ in
    its shape; some have none and load their per-type lists directly: ``Venue.market_loaders``)."""
    return VENUES[exchange].market_options(market_types)
