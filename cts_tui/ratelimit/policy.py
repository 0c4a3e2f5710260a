"""How each exchange counts: its windows, their shapes and scopes, from the config's limits.

Plain frozen dataclasses, in the spirit of Hummingbot's ``RateLimit``: a window is a period, a
limit, a shape and a scope. The shapes are the exchanges' own: Binance sums request weight per IP
over the clock-aligned UTC minute; Bybit keeps a rolling 1 s window per endpoint; OKX limits each
endpoint per rolling 2 s; Pionex sums endpoint weights; the rest are simple rolling windows. Every
exchange also gets the config's per-second / per-minute budgets in some form, so a config change
always has an effect.

Scopes follow the rule the exchanges share: a signed request counts against its API key, a public
one against the IP it comes from (so sixteen keys do not make sixteen public budgets), and a few
exchanges add an IP-wide window over every request whatever its key, which many keys together
could otherwise overrun: Binance counts everything per IP, Bybit 600 requests per 5 s per IP,
Pionex 10 weight per second per IP (``ip_limit`` in the config).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cts_tui.config import Config, ExchangeLimits
from cts_tui.ratelimit.weights import weight_of


class Scope(Enum):
    CALLER = "caller"
    """Per API key for a signed request, per IP for a public one."""
    IP = "ip"
    """Every request from this host, whatever its key."""


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
    scope: Scope = Scope.CALLER


@dataclass(frozen=True, slots=True)
class ExchangePolicy:
    exchange: str
    windows: tuple[WindowSpec, ...]
    max_concurrent: int
    usage_window: str | None
    """The window the exchange's usage headers describe, if it sends any."""

    @property
    def counts_per_key(self) -> bool:
        """Some window counts a signed request against its key, so a 429 to one key pauses that
        key alone."""
        return any(spec.scope is Scope.CALLER for spec in self.windows)

    def weight(self, endpoint: str) -> int:
        return weight_of(self.exchange, endpoint)


# The shape of each exchange's IP-wide window (``ExchangeLimits.ip_limit`` sets its limit):
# Bybit counts requests per 5 s, Pionex weight per second; elsewhere requests per second.
IP_WINDOW_SHAPES: dict[str, tuple[str, float, bool]] = {
    "bybit": ("5s/ip", 5.0, False),
    "pionex": ("1s/ip", 1.0, True),
}


def ip_window(exchange: str, limits: ExchangeLimits) -> tuple[WindowSpec, ...]:
    if limits.ip_limit is None:
        return ()
    name, period_s, counts_weight = IP_WINDOW_SHAPES.get(exchange, ("1s/ip", 1.0, False))
    return (WindowSpec(name, period_s, limits.ip_limit, counts_weight=counts_weight, scope=Scope.IP),)


def build_policy(exchange: str, limits: ExchangeLimits) -> ExchangePolicy:
    second, minute = limits.per_second, limits.per_minute
    usage_window = None
    windows: tuple[WindowSpec, ...]
    if exchange == "binance":
        windows = (
            WindowSpec("1s", 1.0, second, scope=Scope.IP),
            WindowSpec("1m", 60.0, minute, aligned=True, counts_weight=True, scope=Scope.IP),
        )
        usage_window = "1m"
    elif exchange == "bybit":
        windows = (WindowSpec("1s/endpoint", 1.0, second, per_endpoint=True), WindowSpec("1m", 60.0, minute))
        usage_window = "1s/endpoint"
    elif exchange == "okx":
        windows = (WindowSpec("2s/endpoint", 2.0, second * 2, per_endpoint=True), WindowSpec("1m", 60.0, minute))
    elif exchange == "pionex":
        windows = (
            WindowSpec("1s", 1.0, second, counts_weight=True),
            WindowSpec("1m", 60.0, minute, counts_weight=True),
        )
    else:
        windows = (WindowSpec("1s", 1.0, second), WindowSpec("1m", 60.0, minute))
    return ExchangePolicy(exchange, windows + ip_window(exchange, limits), limits.max_concurrent, usage_window)


def build_policies(config: Config) -> dict[str, ExchangePolicy]:
    return {
        str(exchange.value): build_policy(str(exchange.value), limits)
        for exchange, limits in config.exchanges.items()
        if limits.enabled
    }
