"""The exchanges' real market lists, shipped as package data (``data/markets.json.gz``).

The file (or, for an exchange it does not list, the module's own ``listing``) names, per
exchange and kind of market, the pairs the exchange really lists (its spot
pairs, USDT perpetuals, coin-margined swaps, which bases have quarterly futures), and a plausible
USD price per currency; each exchange module spells the symbols its own way (Kraken's XXBTZUSD,
Coinbase's BTC-USD, HTX's BTC-USD and BTC250627). Dated futures are listed for the next two
quarters from today. The file is read once per process and each list built once per exchange
and day, so starting a simulator stays cheap.

A scenario may ask for fewer markets (the majors of each kind come first) or for more: beyond
the real list, invented markets from `cts_tui.sim.markets.generate_markets` fill up, in
proportion to the module's kinds (the memory benchmarks use thousands).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
from collections import Counter
from collections.abc import Mapping
from importlib import resources

from cts_tui.sim.markets import MAJORS, MarketSpec, generate_markets, make_market, quarterly_expiries

DATA = "data/markets.json.gz"
_PRIORITY = {base: rank for rank, (base, _) in enumerate(MAJORS)}


@functools.cache
def _catalogue() -> dict:
    with resources.files("cts_tui.sim").joinpath(DATA).open("rb") as raw:
        return json.loads(gzip.decompress(raw.read()))


def listed_exchanges() -> tuple[str, ...]:
    return tuple(_catalogue()["exchanges"])


Listing = tuple[tuple[str, str], ...]
"""(kind, "BASE/QUOTE BASE/QUOTE ...") pairs: a module's own listing (``SimExchange.listing``)."""


@functools.cache
def real_markets(exchange: str, kinds: tuple[str, ...], today: dt.date, own: Listing = ()) -> tuple[MarketSpec, ...]:
    """Every listed market of the given kinds, BTC and ETH (then the other majors) first in each;
    from the shipped file, or the module's own listing where the file has none."""
    catalogue = _catalogue()
    prices = catalogue["prices"]
    listing = catalogue["exchanges"].get(exchange) or dict(own)
    expiries = quarterly_expiries(today, 2)
    markets: list[MarketSpec] = []
    for kind in kinds:
        pairs = [pair.split("/") for pair in listing.get(kind, "").split()]
        pairs.sort(key=lambda pair: _PRIORITY.get(pair[0], len(_PRIORITY)))  # stable: listing order otherwise
        for base, quote in pairs:
            price = prices[base] / prices.get(quote, 1.0)
            for expiry in expiries if kind.endswith("_future") else (None,):
                markets.append(make_market(base, quote, kind, price, expiry))
    return tuple(markets)


def markets_for(exchange: str, seed: int, count: int | None, kinds: Mapping[str, float],
                own: Mapping[str, str] | None = None) -> list[MarketSpec]:
    """The exchange's real markets of `kinds` (`own`: the module's listing, where the shipped file
    has none); `count` (when given) takes the first of each kind in proportion, or adds invented
    ones beyond the real list."""
    real = real_markets(exchange, tuple(kinds), dt.date.today(), tuple(sorted((own or {}).items())))
    if count is None or count == len(real):
        return list(real)
    if count < len(real):
        sizes = Counter(m.kind for m in real)
        return _take(list(real), count, {kind: float(size) for kind, size in sizes.items()})
    known = {m.key for m in real}
    invented = [m for m in generate_markets(seed, count, kinds) if m.key not in known]
    have = Counter(m.kind for m in real)
    total = sum(kinds.values())
    wanted = {kind: max(0.0, count * weight / total - have[kind]) for kind, weight in kinds.items()}
    return list(real) + _take(invented, count - len(real), wanted)


def _take(markets: list[MarketSpec], count: int, weights: Mapping[str, float]) -> list[MarketSpec]:
    """`count` markets, each kind's share by `weights` (at least two of a kind that has them), the
    first of each kind first; a kind short of its share leaves the rest to the others."""
    total = sum(weights.values()) or 1.0
    by_kind: dict[str, list[MarketSpec]] = {}
    for market in markets:
        by_kind.setdefault(market.kind, []).append(market)
    shares = {kind: min(len(group), max(2, round(count * weights.get(kind, 0.0) / total)))
              for kind, group in by_kind.items()}
    while sum(shares.values()) > count:  # the minimums of two overshot: the largest kind gives way
        shares[max(shares, key=shares.__getitem__)] -= 1
    chosen = [market for kind, group in by_kind.items() for market in group[:shares[kind]]]
    if len(chosen) < count:
        taken = {id(m) for m in chosen}
        chosen += [m for m in markets if id(m) not in taken][:count - len(chosen)]
    return chosen
