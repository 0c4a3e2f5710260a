"""Points an unmodified ccxt instance at the simulator, the way the client side does it.

Every URL in `urls['api']` keeps its path and gets the simulator's base URL in place of its scheme
and host. HTX also signs the host, so its `hostname` settings name the simulator's host:port.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from cts_tui.sim import Scenario
from cts_tui.sim.scenario import ExchangeScenario


def point(exchange: Any, base_url: str) -> Any:
    host = urlsplit(base_url).netloc

    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: rewrite(item) for key, item in value.items()}
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return base_url + urlsplit(value).path
        return value

    exchange.urls["api"] = rewrite(exchange.urls["api"])
    if "hostnames" in exchange.urls:
        exchange.hostname = host
        exchange.urls["hostnames"] = {name: host for name in exchange.urls["hostnames"]}
    return exchange


def only(exchange: str, **fields: Any) -> Scenario:
    """A scenario serving one exchange with a small market list (fast start, same protocol)."""
    from cts_tui.sim.exchanges import discover

    spec = ExchangeScenario(**({"markets": 40} | fields))
    off = {name: ExchangeScenario(enabled=False) for name in discover() if name != exchange}
    return Scenario(exchanges={**off, exchange: spec})
