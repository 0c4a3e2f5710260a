"""How each exchange counts: its windows, their shapes and scopes, from the config's limits.

Plain frozen dataclasses, in the spirit of Hummingbot's ``RateLimit``: a window is a period, a
limit, a shape and a scope. The shapes are the exchanges' own, declared by each venue module
(``Venue.windows``, e.g. Binance sums request weight per IP over the clock-aligned UTC minute,
OKX limits each endpoint per rolling 2 s); most are simple rolling windows. Every exchange gets
the config's per-second / per-minute budgets in some form, so a config change always has an
effect.

Scopes follow the rule the exchanges share: a signed request counts against its API key, a public
one against the IP it comes from (so sixteen keys do not make sixteen public budgets), and a few
exchanges add an IP-wide window over every request whatever its key, which many keys together
could otherwise overrun (``ip_limit`` in the config, in the shape of ``Venue.ip_window``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cts_tui.config import Config, ExchangeLimits
from cts_tui.ratelimit.weights import weight_of
from cts_tui.venues import VENUES
from cts_tui.venues.venue import Scope, WindowSpec

__all__ = ["ExchangePolicy", "Scope", "WindowSpec", "build_policies", "build_policy", "ip_window"]


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


def ip_window(exchange: str, limits: ExchangeLimits) -> tuple[WindowSpec, ...]:
    if limits.ip_limit is None:
        return ()
    name, period_s, counts_weight = VENUES[exchange].ip_window
    return (WindowSpec(name, period_s, limits.ip_limit, counts_weight=counts_weight, scope=Scope.IP,
                       by_exchange=True),)


def build_policy(exchange: str, limits: ExchangeLimits) -> ExchangePolicy:
    """The venue's windows over the config's budgets (``Venue.windows``), and its IP-wide one."""
    venue = VENUES[exchange]
    windows = venue.windows(limits.per_second, limits.per_minute)
    return ExchangePolicy(exchange, windows + ip_window(exchange, limits), limits.max_concurrent, venue.usage_window)


def build_policies(config: Config) -> dict[str, ExchangePolicy]:
    return {
        str(exchange.value): build_policy(str(exchange.value), limits)
        for exchange, limits in config.exchanges.items()
        if limits.enabled
    }
