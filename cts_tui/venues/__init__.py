"""The exchanges we speak to, one module each: everything specific to an exchange is there, as
data and small pure functions (``Venue``); the layers above read ``VENUES`` and name none.

Adding an exchange is adding its module here (``<id>.py`` declaring ``VENUE``; ``ExchangeId``
and ``VENUES`` find it), a simulator module in ``cts_tui/sim/exchanges`` and its rows in the
shared test tables (docs/CONTRACTS.md, "Adding an exchange").
"""

from __future__ import annotations

from importlib import import_module

from cts_tui.venues.kinds import ExchangeId
from cts_tui.venues.venue import Venue

VENUES: dict[str, Venue] = {
    member.value: import_module(f"{__name__}.{member.value}").VENUE for member in ExchangeId
}
"""By exchange id (an ``ExchangeId`` finds its venue too: it is a str), in ``ExchangeId``'s order."""


def venue(exchange_id: str) -> Venue:
    """The venue of an exchange id; KeyError for an unknown one."""
    return VENUES[exchange_id]


__all__ = ["VENUES", "ExchangeId", "Venue", "venue"]
