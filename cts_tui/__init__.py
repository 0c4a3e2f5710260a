"""cts-tui: manage and watch crypto-exchange API connections from a terminal.

The specification's Python API (``ExchangeManager``, ``ConnectionStrategy``, ``ExchangeConnection``,
``ExchangeStatus``, ``ConnectionPool``, ``RateLimiter``, ``Priority``) is importable from here;
it is loaded on first use (``manager_api``), so that the CLI's quick commands do not pay for ccxt.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_MANAGER_API = frozenset(
    {"ConnectionPool", "ConnectionStrategy", "ExchangeConnection", "ExchangeManager", "ExchangeStatus",
     "Priority", "RateLimiter"}
)
__all__ = ["__version__", *sorted(_MANAGER_API)]


def __getattr__(name: str) -> Any:
    if name in _MANAGER_API:
        from cts_tui import manager_api

        return getattr(manager_api, name)
    raise AttributeError(f"module 'cts_tui' has no attribute {name!r}")
