"""Candles (OHLCV) that end at the simulated price: what every exchange's klines endpoint shapes.

History is drawn backwards from the current price: each candle's move depends only on the market,
the interval and the candle's open time, so a candle reads the same whichever window asks for it
(within one price step), and the last close is the price every ticker shows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from cts_tui.sim.markets import MarketSpec
from cts_tui.sim.prices import PriceBook

MAX_CANDLES = 1500
MAX_WALK_BACK = 5000  # candles walked back from now at most; an older window starts from today's price


@dataclass(frozen=True, slots=True)
class Candle:
    open_ms: int
    open: float
    high: float
    low: float
    close: float
    volume: float  # in the base currency (contracts for inverse markets)


def candles(prices: PriceBook, market: MarketSpec, interval_s: int, limit: int, now_ms: int,
            since_ms: int | None = None, until_ms: int | None = None) -> list[Candle]:
    """Up to `limit` candles, oldest first: from `since_ms` on, or ending at `until_ms` (or now)."""
    interval_ms = interval_s * 1000
    current = now_ms // interval_ms * interval_ms
    limit = max(1, min(limit, MAX_CANDLES))
    if since_ms is not None:
        first = -(-since_ms // interval_ms) * interval_ms
        last = min(current, first + (limit - 1) * interval_ms)
    else:
        last = min(current, (until_ms if until_ms is not None else now_ms) // interval_ms * interval_ms)
        first = last - (limit - 1) * interval_ms
    if last < first:
        return []
    d = market.price_decimals
    scale = 0.0008 * math.sqrt(max(interval_s, 1))
    close = prices.quote(market.key, market.price).price
    result = []
    start = min(current, last + MAX_WALK_BACK * interval_ms)
    for open_ms in range(start, first - 1, -interval_ms):
        rng = random.Random(f"candle:{market.key}:{interval_s}:{open_ms}")
        move = rng.gauss(0.0, scale)
        open_price = close / math.exp(move)
        if open_ms <= last:
            high = max(open_price, close) * math.exp(abs(rng.gauss(0.0, scale / 3)))
            low = min(open_price, close) / math.exp(abs(rng.gauss(0.0, scale / 3)))
            volume = 10 ** rng.uniform(3, 5) / max(close, 1e-12) * interval_s / 60
            result.append(Candle(open_ms, round(open_price, d), round(high, d), round(low, d), round(close, d),
                                 round(volume, 4)))
        close = open_price
    result.reverse()
    return result


def in_window(prices: PriceBook, market: MarketSpec, interval_s: int, limit: int, now_ms: int,
              start: str | None, end: str | None, unit_ms: int = 1) -> list[Candle]:
    """`candles` over the window a query names: `start`/`end` as sent, counted in `unit_ms`
    (1 for milliseconds, 1000 for seconds); one that is absent or not a number bounds nothing."""
    def bound(text: str | None) -> int | None:
        return int(text) * unit_ms if text and text.isdigit() else None
    return candles(prices, market, interval_s, limit, now_ms, bound(start), bound(end))


def interval_seconds(text: str) -> int | None:
    """'1m', '15m', '1h', '4h', '1d', '1w', '1M' (and '60', '1H', '1D' spellings) -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "H": 3600, "d": 86400, "D": 86400, "w": 604800, "W": 604800,
             "M": 2_592_000}
    if text.isdigit():
        return int(text) * 60
    number, unit = text[:-1], text[-1:]
    if unit not in units or not (number or "1").isdigit():
        return None
    return int(number or "1") * units[unit]
