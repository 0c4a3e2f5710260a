"""Recent trades around the simulated price: what every exchange's trades endpoint shapes.

One trade per `EVERY_MS` of server time, newest first; a trade's id, side, price and amount depend
only on the market and its timestamp, so two reads agree on the trades they share and a client
that pages by id or time sees one consistent tape.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.prices import PriceBook

EVERY_MS = 1_500


@dataclass(frozen=True, slots=True)
class Trade:
    id: int
    timestamp_ms: int
    price: float
    amount: float
    buy: bool  # the taker bought (the maker sold)


def recent_trades(prices: PriceBook, market: MarketSpec, limit: int, now_ms: int) -> list[Trade]:
    price = prices.quote(market.key, market.price).price
    newest = now_ms // EVERY_MS
    trades = []
    for number in range(newest, newest - limit, -1):
        rng = random.Random(f"trade:{market.key}:{number}")
        amount = max(round(10 ** rng.uniform(1.5, 3.5) / max(price, 1e-12), market.qty_decimals), market.min_qty)
        if market.is_inverse:
            amount = float(rng.randint(1, 50))
        trades.append(Trade(number, number * EVERY_MS, round(price * math.exp(rng.gauss(0.0, 0.0004)),
                                                            market.price_decimals), amount, rng.random() < 0.5))
    return trades
