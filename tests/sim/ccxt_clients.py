"""Unmodified ccxt clients pointed at the simulator, limited to the market types cts-tui uses."""

from __future__ import annotations

from typing import Any

import ccxt.async_support as ccxt

from cts_tui.sim import Simulator
from tests.sim._ccxt_point import point

FETCH_MARKETS = {
    "binance": {"types": ["spot", "linear", "inverse"]},
    "bybit": {"types": ["spot", "linear", "inverse"]},
    "okx": {"types": ["spot", "swap", "future"]},
}


def ccxt_client(sim: Simulator, exchange_id: str, account: str | None = "main", **config: Any) -> Any:
    """A ccxt instance for `exchange_id`, with the named simulated account's credentials."""
    if account is not None:
        acct = sim.account(exchange_id, account)
        config = {"apiKey": acct.api_key, "secret": acct.secret, "password": acct.passphrase} | config
    exchange = getattr(ccxt, exchange_id)(config)
    point(exchange, sim.hosts(exchange_id))
    if exchange_id in FETCH_MARKETS:
        exchange.options["fetchMarkets"] = dict(exchange.options.get("fetchMarkets") or {}) | FETCH_MARKETS[exchange_id]
    return exchange
