"""The exchanges we speak to, one module each: everything specific to an exchange is there, as
data and small pure functions (``Venue``); the layers above read ``VENUES`` and name none.

Adding an exchange: a module here with its ``VENUE``, its id in ``kinds.ExchangeId``, a line in
``VENUES`` below, a simulator module in ``cts_tui/sim/exchanges`` and its rows in the shared test
tables (docs/CONTRACTS.md, "Adding an exchange").
"""

from __future__ import annotations

from cts_tui.venues import binance, bingx, bybit, coinbase, htx, kraken, okx, orangex, pionex
from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.venue import Venue

VENUES: dict[str, Venue] = {
    module.VENUE.id.value: module.VENUE
    for module in (bybit, binance, okx, bingx, pionex, orangex, htx, coinbase, kraken)
}
"""By exchange id (an ``ExchangeId`` finds its venue too: it is a str), in the config's order."""


def venue(exchange_id: str) -> Venue:
    """The venue of an exchange id; KeyError for an unknown one."""
    return VENUES[exchange_id]


__all__ = ["VENUES", "ExchangeId", "Venue", "venue"]
