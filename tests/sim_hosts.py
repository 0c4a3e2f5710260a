"""The base URL a test connection takes on the simulator: the twin of its API type's real host."""

from __future__ import annotations

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges.hosts import base_url_in
from cts_tui.sim import Simulator


def twin(sim: Simulator, exchange: str | ExchangeId, api_type: str | ApiType = ApiType.SPOT,
         passphrase: str | None = None) -> str:
    exchange = ExchangeId(exchange)
    url = base_url_in(sim.hosts(exchange.value), exchange, ApiType(api_type), passphrase is not None)
    assert url is not None, f"the simulator serves no host for {exchange.value} {api_type}"
    return url
