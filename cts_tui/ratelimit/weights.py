"""Endpoint weights (what one call costs against a weight-counted window), the per-endpoint
limits that are tighter than the config's and the resource pools endpoints draw on, as the venue
modules declare them.

One request may cost 1 or 80 depending on the endpoint and its parameters (``Venue.weights``,
``Venue.request_weight``). Endpoints may be named by ccxt unified method (``fetch_ticker`` /
``fetchTicker``) or by HTTP path (``GET /api/v3/depth``), whatever the case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

from cts_tui.venues import VENUES

WEIGHTS: dict[str, Mapping[str, int]] = {venue.id.value: venue.weights for venue in VENUES.values() if venue.weights}
ENDPOINT_LIMITS: dict[str, Mapping[str, int]] = {
    venue.id.value: venue.endpoint_limits for venue in VENUES.values() if venue.endpoint_limits
}
_POOLS = {venue.id.value: venue for venue in VENUES.values() if venue.pool_of is not None}
_REQUEST_WEIGHTS = {venue.id.value: venue.request_weight for venue in VENUES.values() if venue.request_weight}

_CAMEL_RE = re.compile(r"(?<=[a-z0-9])([A-Z])")


@lru_cache(maxsize=4096)
def normalize_endpoint(endpoint: str) -> str:
    """One spelling per endpoint: ``fetchTicker`` -> ``fetch_ticker``; paths lower-cased with
    the method, if any, kept in front (``GET /api/v3/order`` -> ``get /api/v3/order``)."""
    text = endpoint.strip()
    if "/" in text:
        return " ".join(text.split()).lower()
    return _CAMEL_RE.sub(r"_\1", text).lower()


def _lookup(table: Mapping[str, int] | None, endpoint: str) -> int | None:
    """By unified name, by ``method path``, or by path whatever the method."""
    if not table:
        return None
    name = normalize_endpoint(endpoint)
    value = table.get(name)
    if value is None and " " in name:
        value = table.get(name.split(" ", 1)[1])
    return value


def weight_of(exchange: str, endpoint: str) -> int:
    """The documented weight, or 1 where the exchange counts requests rather than weight."""
    weight = _lookup(WEIGHTS.get(exchange), endpoint)
    return 1 if weight is None else weight


def request_weight(exchange: str, path: str, query: str) -> int | None:
    """The weight of one HTTP request where its parameters decide it; None where the endpoint's
    fixed weight applies."""
    weigh = _REQUEST_WEIGHTS.get(exchange)
    return None if weigh is None else weigh(path, query)


def endpoint_limit(exchange: str, endpoint: str) -> int | None:
    """The exchange's own limit for this endpoint's window, where it documents one."""
    return _lookup(ENDPOINT_LIMITS.get(exchange), endpoint)


def pool_of(exchange: str, endpoint: str, host: str | None = None) -> str:
    """The resource pool a (normalized) endpoint draws on, on ``host`` (the real REST host, where
    known: one path may be on two hosts of two pools), where the exchange counts per pool; "-"
    elsewhere."""
    venue = _POOLS.get(exchange)
    return "-" if venue is None or venue.pool_of is None else venue.pool_of(endpoint, host)


def pool_limit(exchange: str, pool: str) -> int | None:
    """The pool's quota, where the exchange documents one."""
    venue = _POOLS.get(exchange)
    return None if venue is None else venue.pool_limits.get(pool)
