"""A realistic, seeded list of markets that every exchange module formats in its own way.

The generator decides what exists (bases, quotes, spot or contract, linear or inverse, expiry) and
the trading rules (tick size, step size, minimums); exchange modules only spell symbols and shape
JSON. BTC and ETH against USDT always exist first in each kind, because every client test uses
them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass

# Well-known bases with believable prices, then seeded invented ones fill up to the count.
MAJORS: tuple[tuple[str, float], ...] = (
    ("BTC", 64_000.0), ("ETH", 3_100.0), ("SOL", 145.0), ("XRP", 0.52), ("BNB", 580.0),
    ("DOGE", 0.12), ("ADA", 0.45), ("TRX", 0.12), ("AVAX", 28.0), ("LINK", 14.0),
    ("DOT", 6.5), ("LTC", 80.0), ("BCH", 380.0), ("NEAR", 5.2), ("UNI", 7.5),
    ("ATOM", 7.0), ("XLM", 0.1), ("ETC", 24.0), ("FIL", 4.5), ("APT", 8.0),
    ("ARB", 0.8), ("OP", 1.7), ("INJ", 22.0), ("SUI", 1.1), ("AAVE", 95.0),
)
SPOT_QUOTES = (("USDT", 0.7), ("USDC", 0.15), ("BTC", 0.1), ("ETH", 0.05))
KINDS = ("spot", "linear_swap", "inverse_swap", "linear_future", "inverse_future")
CASH_QUOTES = frozenset({"USDT", "USDC", "USD", "FDUSD", "DAI", "EUR", "GBP"})  # minimums of 5 units


@dataclass(frozen=True, slots=True)
class MarketSpec:
    base: str
    quote: str
    kind: str  # one of KINDS
    price: float  # initial price, the start of the random walk
    price_decimals: int
    qty_decimals: int
    min_qty: float
    min_notional: float
    contract_size: float = 1.0
    expiry_ms: int | None = None

    @property
    def is_spot(self) -> bool:
        return self.kind == "spot"

    @property
    def is_swap(self) -> bool:
        return self.kind.endswith("_swap")

    @property
    def is_future(self) -> bool:
        return self.kind.endswith("_future")

    @property
    def is_inverse(self) -> bool:
        return self.kind.startswith("inverse")

    @property
    def settle(self) -> str | None:
        if self.is_spot:
            return None
        return self.base if self.is_inverse else self.quote

    @property
    def key(self) -> str:
        """Exchange-neutral identity: the price book is keyed by it."""
        expiry = f"-{self.expiry_ms}" if self.expiry_ms else ""
        return f"{self.kind}:{self.base}/{self.quote}{expiry}"

    @property
    def tick(self) -> str:
        return _step(self.price_decimals)

    @property
    def step(self) -> str:
        return _step(self.qty_decimals)


def generate_markets(seed: int, count: int, kinds: Mapping[str, float]) -> list[MarketSpec]:
    """`count` markets split over `kinds` by weight (e.g. {"spot": 0.6, "linear_swap": 0.4})."""
    rng = random.Random(f"markets:{seed}")
    total = sum(kinds.values())
    quotas = {kind: max(2, round(count * weight / total)) for kind, weight in kinds.items()}
    largest = max(kinds, key=kinds.__getitem__)
    quotas[largest] += count - sum(quotas.values())  # rounding must not change the total
    bases = _bases(rng, count)
    expiries = quarterly_expiries(dt.date.today(), 2)
    markets: list[MarketSpec] = []
    for kind, quota in quotas.items():
        made = 0
        for base, price in bases:
            for quote in _quotes_for(kind, base, rng):
                if made >= quota:
                    break
                if quote == base:
                    continue
                for expiry in expiries if kind.endswith("_future") else (None,):
                    if made < quota:
                        markets.append(_market(rng, base, quote, kind, price, expiry))
                        made += 1
            if made >= quota:
                break
    return markets


def quarterly_expiries(today: dt.date, count: int) -> list[int]:
    """The next `count` last-Fridays of a quarter month, 08:00 UTC, as exchanges list them."""
    result: list[int] = []
    year, month = today.year, today.month
    while len(result) < count:
        if month in (3, 6, 9, 12):
            last = dt.date(year, month, 28) + dt.timedelta(days=4)
            last -= dt.timedelta(days=last.day)
            friday = last - dt.timedelta(days=(last.weekday() - 4) % 7)
            if friday > today:
                moment = dt.datetime(friday.year, friday.month, friday.day, 8, tzinfo=dt.UTC)
                result.append(int(moment.timestamp() * 1000))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return result


def _bases(rng: random.Random, count: int) -> list[tuple[str, float]]:
    bases = list(MAJORS)
    seen = {b for b, _ in bases}
    while len(bases) < count:
        name = "".join(rng.choice("ABCDEFGHIJKLMNOPRSTUVWXYZ") for _ in range(rng.randint(3, 5)))
        if name not in seen:
            seen.add(name)
            bases.append((name, 10 ** rng.uniform(-4, 3)))
    return bases


def _quotes_for(kind: str, base: str, rng: random.Random) -> list[str]:
    if kind.startswith("inverse"):
        return ["USD"]
    if kind != "spot":
        return ["USDT"]
    quotes = ["USDT"]
    for quote, share in SPOT_QUOTES[1:]:
        if base in ("BTC", "ETH") or rng.random() < share:
            quotes.append(quote)
    return quotes


def _market(rng: random.Random, base: str, quote: str, kind: str, usd_price: float, expiry: int | None) -> MarketSpec:
    reference = dict(MAJORS)
    price = usd_price / reference[quote] if quote in reference else usd_price
    return make_market(base, quote, kind, price, expiry)


def make_market(base: str, quote: str, kind: str, price: float, expiry: int | None = None) -> MarketSpec:
    """A market whose trading rules follow from its price (in `quote`) the way exchanges set
    them: about five significant digits of price, lots worth a cent or so."""
    price_decimals = max(0, min(10, 5 - int(math.floor(math.log10(price)))))
    qty_decimals = max(0, min(8, int(math.floor(math.log10(price))) + 2))
    inverse = kind.startswith("inverse")
    return MarketSpec(
        base=base,
        quote=quote,
        kind=kind,
        price=round(price, price_decimals),
        price_decimals=price_decimals,
        qty_decimals=0 if inverse else qty_decimals,
        min_qty=1.0 if inverse else 10.0 ** -qty_decimals,
        min_notional=5.0 if quote in CASH_QUOTES else round(5.0 / dict(MAJORS)["BTC"], 8),
        contract_size=(100.0 if base == "BTC" else 10.0) if inverse else 1.0,
        expiry_ms=expiry,
    )


def _step(decimals: int) -> str:
    return "1" if decimals <= 0 else "0." + "0" * (decimals - 1) + "1"
