"""The part of a stream that speaks to one exchange: connect, subscribe, deliver, fail loudly.

A feed knows nothing of states, backoff or stalls (`stream.Stream` does). `run(sink)` connects,
subscribes to every symbol and calls ``sink(symbol, event_ms)`` for each ticker message until
the connection fails, which it reports by raising; it releases the connection however it ends,
including when cancelled (that is how a stalled stream is abandoned). `malformed(reason)` counts
frames that could not be read without ending the connection.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Iterable
from typing import Any
from urllib.parse import urlsplit

Sink = Callable[[str, int | float | None], None]
"""(unified symbol, exchange event time in ms or None)."""


class Feed(ABC):
    transport: str

    def __init__(self, exchange: str, url: str, symbols: Iterable[str]) -> None:
        self.exchange = exchange
        self.url = url
        self.symbols = tuple(symbols)
        self.on_malformed: Callable[[str], None] = lambda reason: None

    @abstractmethod
    async def run(self, sink: Sink) -> None:
        """Returns only when the exchange closed the connection; raises on any failure."""

    async def close(self) -> None:
        """Releases what outlives a connection (a ccxt instance); the stream calls it once."""


async def first_failure(coroutines: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Runs the coroutines together until one ends or fails; cancels the rest and re-raises."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
