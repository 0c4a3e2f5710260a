"""The specification's Python API, by the specification's names, in one place.

    from cts_tui import ExchangeManager, ConnectionStrategy, Priority

    manager = ExchangeManager(ConnectionStrategy.WEIGHTED_ROUND_ROBIN)
    await manager.initialize()
    result = await manager.execute_request("fetch_ticker", "BTC/USDT", priority=Priority.HIGH)
    async with manager.get_connection("binance") as connection:
        book = await connection.exchange.fetch_order_book("BTC/USDT")

The names live where they work (``core/manager.py``, ``core/connection_pool.py``,
``ratelimit/``); this module only gathers them, and ``cts_tui`` re-exports them on first use
(importing ``cts_tui`` alone does not load ccxt).
"""

from __future__ import annotations

from cts_tui.core.connection_pool import ConnectionPool, ExchangeConnection, ExchangeStatus
from cts_tui.core.manager import ConnectionStrategy, ExchangeManager
from cts_tui.ratelimit import Priority, RateLimiter

__all__ = [
    "ConnectionPool",
    "ConnectionStrategy",
    "ExchangeConnection",
    "ExchangeManager",
    "ExchangeStatus",
    "Priority",
    "RateLimiter",
]
