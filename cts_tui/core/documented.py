"""Settings above what an exchange documents, and which value is then in force.

A budget set higher than the exchange's own figure is honoured (the user may know better: a VIP
tier, a raised limit), but the exchange will answer 429 past its real limit, so ``config check``
and the running coordinator say so. Where the exchange documents a limit per endpoint
(``Venue.endpoint_limits``), that limit stays in force whatever the per-second figure says.
"""

from __future__ import annotations

from cts_tui.config import Config
from cts_tui.venues import VENUES

_FIELDS = {"per_second": "requests per second", "per_minute": "requests per minute", "ip_limit": "in its IP-wide window"}


def beyond_documented(config: Config) -> list[str]:
    """One line per setting above the exchange's documented figure."""
    notes = []
    for exchange, limits in config.exchanges.items():
        if not limits.enabled:
            continue
        venue = VENUES[exchange]
        for field, unit in _FIELDS.items():
            figure, value = getattr(venue.limits, field), getattr(limits, field)
            if figure is None or value is None or value <= figure:
                continue
            in_force = f"{value:,} is in force (the exchange answers 429 past its own limit)"
            per_endpoint = venue.endpoint_limits
            if field == "per_second" and per_endpoint:
                period = next(w.period_s for w in venue.windows(value, limits.per_minute) if w.per_endpoint)
                paths = sorted((not p.endswith("/ticker"), p, n) for p, n in per_endpoint.items() if p.startswith("/"))
                example = ", ".join(f"{n} per {period:g} s for {p}" for _, p, n in paths[:2])
                in_force = (
                    f"{value:,} is in force only where {exchange.value} documents no limit of its own per "
                    f"endpoint; its per-endpoint limits stay in force ({len(paths)} endpoints, e.g. {example})"
                )
            notes.append(
                f"exchanges.{exchange.value}.{field} is {value:,}, above the {figure:,} {unit} "
                f"{exchange.value} documents; {in_force}"
            )
    return notes
