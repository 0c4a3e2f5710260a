"""Order books around the simulated price: what every exchange's depth endpoint shapes.

A book is drawn from a generator seeded by the market and the price step, so two reads within
one step see the same book and a run repeats. Levels sit a whole number of ticks apart, the best
bid below and the best ask above the walk's price, with sizes of a few thousand dollars each.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.prices import PriceBook

Level = tuple[float, float]  # price, amount (in the market's quantity unit: coins or contracts)


@dataclass(frozen=True, slots=True)
class Book:
    bids: list[Level]  # best (highest) first
    asks: list[Level]  # best (lowest) first
    step: int  # the price step it was drawn at: a sequence number for the exchanges that send one


def order_book(prices: PriceBook, market: MarketSpec, depth: int) -> Book:
    walk = prices.quote(market.key, market.price)
    rng = random.Random(f"book:{market.key}:{walk.step}")
    tick = 10.0 ** -market.price_decimals
    mid = max(walk.price, 2 * tick)
    bids, asks = [], []
    bid = math.floor(mid / tick) * tick
    ask = bid + tick
    for _ in range(depth):
        if bid > 0:
            bids.append((round(bid, market.price_decimals), _amount(rng, market, bid)))
        asks.append((round(ask, market.price_decimals), _amount(rng, market, ask)))
        bid -= tick * rng.randint(1, 3)
        ask += tick * rng.randint(1, 3)
    return Book(bids, asks, walk.step)


def _amount(rng: random.Random, market: MarketSpec, price: float) -> float:
    """A few thousand dollars at `price`, rounded to the lot, never below the minimum."""
    notional = 10 ** rng.uniform(2.5, 4.0)
    # Inverse contracts are counted in dollars of contract value, anything else in coins.
    unit = market.contract_size if market.is_inverse else market.contract_size * price
    amount = round(notional / unit, market.qty_decimals)
    return max(amount, market.min_qty)
