"""Streams through unmodified ccxt.pro: one instance per exchange, one `watch_ticker` loop per
symbol (each symbol has its own future in ccxt, so no update is lost to a busy loop).

The instance's ``urls['api']`` (REST and WebSocket alike) are rewritten to the target (a base URL
or a host map, `cts_tui.exchanges.hosts.rehost`) the way REST clients are, and its markets are limited to the kinds the
symbols need. Where the exchange names its stream server in the answer to a token request
(KuCoin's ``bullet-public``), that REST host's twin names the stream server's twin. ccxt reconnects lazily on the next watch call; this feed instead closes every
socket of the instance whenever a run ends, so that the next run subscribes afresh on a new
connection, exactly once per symbol.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import ccxt.pro as ccxtpro

from cts_tui.capabilities import ApiType, ExchangeId
from cts_tui.exchanges.ccxt_shared import rewrite_urls
from cts_tui.exchanges.hosts import Target
from cts_tui.exchanges.profiles import market_options, profile_for
from cts_tui.streams.feed import Feed, Sink, first_failure

SOCKET_CLOSE_TIMEOUT_S = 2.0


class CcxtFeed(Feed):
    transport = "ccxt.pro"

    def __init__(self, exchange: ExchangeId, symbols: Iterable[str], target: Target | None = None) -> None:
        self._ccxt_id = exchange.value  # public streams: ccxt.pro's class of the same name
        self._target = target
        self._instance: Any = None
        super().__init__(exchange.value, "", symbols)
        plain = getattr(ccxtpro, self._ccxt_id)()
        self.url = self._ws_url(plain.urls["api"]["ws"], plain.hostname)

    @property
    def url(self) -> str:
        """Where the stream is: the server ccxt connected to (an exchange may name it only when
        asked for a token, as KuCoin does; the query, which carries the token, is left out), else
        the first public stream URL of ccxt's table."""
        connected = next(iter(self._instance.clients), None) if self._instance is not None else None
        if not connected:
            return self._table_url
        parts = urlsplit(connected)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    @url.setter
    def url(self, value: str) -> None:
        self._table_url = value

    async def run(self, sink: Sink) -> None:
        exchange = await self._ready()
        try:
            await first_failure(self._watch(exchange, symbol, sink) for symbol in self.symbols)
        finally:
            await self._close_sockets(exchange)

    async def close(self) -> None:
        if self._instance is not None:
            instance, self._instance = self._instance, None
            await instance.close()

    async def _ready(self) -> Any:
        if self._instance is None:
            self._instance = self._build()
        await self._instance.load_markets()  # loads once; a failure is retried on the next run
        return self._instance

    def _build(self) -> Any:
        exchange = ExchangeId(self.exchange)
        kinds = {"swap" if ":" in symbol else "spot" for symbol in self.symbols}
        api_types = [ApiType.SPOT if kind == "spot" else ApiType.PERPETUAL_FUTURES for kind in sorted(kinds)]
        market_types = tuple(t for api_type in api_types for t in profile_for(exchange, api_type).market_types)
        instance = getattr(ccxtpro, self._ccxt_id)({"enableRateLimit": False,
                                                    "options": market_options(exchange, market_types)})
        instance.has = {**instance.has, "fetchCurrencies": False}
        if self._target:
            instance.urls = {**instance.urls, "api": rewrite_urls(instance.urls["api"], self._target,
                                                                  instance.hostname)}
        return instance

    @staticmethod
    async def _watch(exchange: Any, symbol: str, sink: Sink) -> None:
        while True:
            ticker = await exchange.watch_ticker(symbol)
            sink(symbol, ticker.get("timestamp") or _stamped(exchange, ticker.get("info")))

    @staticmethod
    async def _close_sockets(exchange: Any) -> None:
        try:
            await asyncio.wait_for(exchange.close_ws_clients(), SOCKET_CLOSE_TIMEOUT_S)
        except (asyncio.TimeoutError, OSError):
            exchange.clients = {}  # abandoned: the next run must not reuse a half-closed client

    def _ws_url(self, urls: Any, hostname: str | None) -> str:
        """The first public stream URL, for display."""
        while isinstance(urls, dict):
            urls = urls.get("public", urls.get("spot", next(iter(urls.values()))))
        return rewrite_urls(str(urls), self._target or {}, hostname)


def _stamped(exchange: Any, info: Any) -> int | None:
    """The event time from the raw message where ccxt leaves the ticker unstamped (Kraken v2
    sends an RFC 3339 ``timestamp`` that ccxt does not read)."""
    stamp = info.get("timestamp") if isinstance(info, dict) else None
    return exchange.parse8601(stamp) if isinstance(stamp, str) else None
