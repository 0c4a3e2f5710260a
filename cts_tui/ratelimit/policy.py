"""How each exchange counts: its windows, their shapes and scopes, from the config's limits.

Plain frozen dataclasses, in the spirit of Hummingbot's ``RateLimit``: a window is a period, a
limit and a shape. The shapes are the exchanges' own: Binance sums request weight per IP over the
clock-aligned UTC minute; Bybit keeps a rolling 1 s window per endpoint and per key; OKX limits
each endpoint per rolling 2 s; Pionex sums endpoint weights per key; the rest are simple rolling
windows. Every exchange also gets the config's per-second / per-minute budgets in some form, so a
config change always has an effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from cts_tui.config import Config, ExchangeLimits
from cts_tui.ratelimit.weights import weight_of


@dataclass(frozen=True, slots=True)
class WindowSpec:
    name: str
    period_s: float
    limit: int
    aligned: bool = False
    """Clock-aligned (resets at every multiple of the period, wall clock) instead of rolling."""
    per_endpoint: bool = False
    counts_weight: bool = False
    """Charged the endpoint's weight, not one per request."""


@dataclass(frozen=True, slots=True)
class ExchangePolicy:
    exchange: str
    windows: tuple[WindowSpec, ...]
    max_concurrent: int
    per_account: bool
    """The exchange counts per API key; otherwise per IP, shared by every key."""
    usage_window: str | None
    """The window the exchange's usage headers describe, if it sends any."""

    def weight(self, endpoint: str) -> int:
        return weight_of(self.exchange, endpoint)


def build_policy(exchange: str, limits: ExchangeLimits) -> ExchangePolicy:
    second, minute = limits.per_second, limits.per_minute
    if exchange == "binance":
        windows = (
            WindowSpec("1s", 1.0, second),
            WindowSpec("1m", 60.0, minute, aligned=True, counts_weight=True),
        )
        return ExchangePolicy(exchange, windows, limits.max_concurrent, False, "1m")
    if exchange == "bybit":
        windows = (
            WindowSpec("1s/endpoint", 1.0, second, per_endpoint=True),
            WindowSpec("1m", 60.0, minute),
        )
        return ExchangePolicy(exchange, windows, limits.max_concurrent, True, "1s/endpoint")
    if exchange == "okx":
        windows = (
            WindowSpec("2s/endpoint", 2.0, second * 2, per_endpoint=True),
            WindowSpec("1m", 60.0, minute),
        )
        return ExchangePolicy(exchange, windows, limits.max_concurrent, True, None)
    if exchange == "pionex":
        windows = (
            WindowSpec("1s", 1.0, second, counts_weight=True),
            WindowSpec("1m", 60.0, minute, counts_weight=True),
        )
        return ExchangePolicy(exchange, windows, limits.max_concurrent, True, None)
    windows = (WindowSpec("1s", 1.0, second), WindowSpec("1m", 60.0, minute))
    return ExchangePolicy(exchange, windows, limits.max_concurrent, True, None)


def build_policies(config: Config) -> dict[str, ExchangePolicy]:
    return {
        str(exchange.value): build_policy(str(exchange.value), limits)
        for exchange, limits in config.exchanges.items()
        if limits.enabled
    }
