"""Points an unmodified ccxt instance at the simulator as a new user would: each real host in its
URLs swapped for its local twin (`Simulator.hosts`), paths untouched.

HTX builds its URLs from ``https://{hostname}`` and one real host per API family
(``urls['hostnames']``), and signs the host it addresses: those names become the twins'
host:port and the templates' scheme the twins'. Elsewhere ``{hostname}`` templates (Bybit's
``api.{hostname}``) are filled with the real name first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cts_tui.exchanges.ccxt_shared import rewrite_urls
from cts_tui.sim import Scenario
from cts_tui.sim.scenario import ExchangeScenario


def point(exchange: Any, hosts: Mapping[str, str]) -> Any:
    hostnames = exchange.urls.get("hostnames")
    if isinstance(hostnames, dict):
        twins = {name: urlsplit(hosts[real]) for name, real in hostnames.items()}
        scheme = next(iter(twins.values())).scheme
        exchange.urls["hostnames"] = {name: twin.netloc for name, twin in twins.items()}
        exchange.hostname = exchange.urls["hostnames"].get("spot", exchange.hostname)
        exchange.urls["api"] = {key: value.replace("https://", f"{scheme}://", 1) if isinstance(value, str)
                                else value for key, value in exchange.urls["api"].items()}
    else:
        exchange.urls["api"] = rewrite_urls(exchange.urls["api"], hosts, exchange.hostname)
    return exchange


def only(exchange: str, **fields: Any) -> Scenario:
    """A scenario serving one exchange with a small market list (fast start, same protocol)."""
    from cts_tui.sim.exchanges import discover

    spec = ExchangeScenario(**({"markets": 40} | fields))
    off = {name: ExchangeScenario(enabled=False) for name in discover() if name != exchange}
    return Scenario(exchanges={**off, exchange: spec})
