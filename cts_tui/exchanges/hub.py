"""The hub: one per process (or per coordinator), owning everything clients share.

It makes clients lazily and caches them by connection id, rebuilding one when the connection's
credentials or target change; it owns the HTTP pool, the exchange clocks and the ccxt prototypes,
and reports the pool's figures for the pool endpoint and the detail screen.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import aiohttp

from cts_tui.capabilities import CCXT_EXCHANGES, HAS_TESTNET, ExchangeId
from cts_tui.config import Config, Pool
from cts_tui.errors import ErrorKind, ExchangeError
from cts_tui.exchanges.base import ExchangeClient
from cts_tui.exchanges.ccxt_client import CcxtClient
from cts_tui.exchanges.ccxt_shared import SharedExchanges
from cts_tui.exchanges.context import HubContext
from cts_tui.exchanges.http import HttpPool
from cts_tui.exchanges.native_clients import native_client
from cts_tui.models import Connection
from cts_tui.ratelimit import RateLimiter


def _fingerprint(connection: Connection) -> tuple[Any, ...]:
    """What a client is built from: a change to any of these means a new client."""
    passphrase = connection.api_passphrase
    return (
        connection.exchange,
        connection.api_type,
        connection.api_key.get_secret_value(),
        connection.api_secret.get_secret_value(),
        passphrase.get_secret_value() if passphrase is not None else None,
        connection.base_url,
        connection.is_testnet,
        connection.margin_type,
        connection.position_mode,
    )


def pool_settings(config: Config) -> Pool:
    """The pool with at least as many connections per host as any exchange's ``max_concurrent``.

    The limiter bounds each exchange's concurrency with a fair queue whose wait does not count
    against the request timeout; the pool must never be the tighter bound. aiohttp's per-host
    queue is not fair (a request arriving as a connection frees up takes it before the waiter
    that was woken for it), so under load a waiter can starve there until its timeout: with 50
    concurrent reads over a 20-connection pool, about one in a thousand timed out although the
    exchange answered every request in milliseconds.
    """
    widest = max((limits.max_concurrent for limits in config.exchanges.values() if limits.enabled), default=0)
    if widest <= config.pool.per_host_limit:
        return config.pool
    return config.pool.model_copy(update={"per_host_limit": widest})


class _Cached(NamedTuple):
    connection: Connection
    """The object last asked with: connections are replaced (``model_copy``), never edited in
    place, so the same object means the same client without comparing fingerprints."""
    fingerprint: tuple[Any, ...]
    client: ExchangeClient


class ExchangeHub:
    def __init__(self, config: Config, limiter: RateLimiter) -> None:
        self._ctx = HubContext(config=config, limiter=limiter, pool=HttpPool(pool_settings(config)))
        self._shared = SharedExchanges(self._ctx)
        self._clients: dict[str, _Cached] = {}

    def client_for(self, connection: Connection) -> ExchangeClient:
        """The connection's client, made on first use; nothing is sent until it is called.
        Asked on every request with the same connection object, which is recognised at once."""
        cached = self._clients.get(connection.id)
        if cached is not None and cached.connection is connection:
            return cached.client
        effective = self._hosted(connection)
        fingerprint = _fingerprint(effective)
        if cached is not None:
            if cached.fingerprint == fingerprint:
                self._clients[connection.id] = _Cached(connection, fingerprint, cached.client)
                return cached.client
            cached.client.detach()
        client = self._make(effective)
        self._clients[connection.id] = _Cached(connection, fingerprint, client)
        return client

    def _hosted(self, connection: Connection) -> Connection:
        """The connection as its client sees it: one that names no host talks to its
        exchange's configured one (``exchanges.<id>.base_url``), if any."""
        default = self._ctx.config.exchanges[connection.exchange].base_url
        if connection.base_url is not None or default is None:
            return connection
        return connection.model_copy(update={"base_url": default})

    def _make(self, connection: Connection) -> ExchangeClient:
        if connection.is_testnet and connection.exchange not in HAS_TESTNET:
            raise ExchangeError(ErrorKind.INVALID_REQUEST, f"{connection.exchange.value} has no testnet")
        if connection.exchange in CCXT_EXCHANGES:
            return CcxtClient(connection, self._ctx, self._shared)
        return native_client(connection, self._ctx)

    async def drop(self, connection_id: str) -> None:
        cached = self._clients.pop(connection_id, None)
        if cached is not None:
            await cached.client.close()

    def reconfigure(self, config: Config) -> None:
        """A reloaded config: request timeouts and the pool's limits apply to the next request."""
        moved = {
            exchange for exchange, limits in config.exchanges.items()
            if limits.base_url != self._ctx.config.exchanges[exchange].base_url
        }
        for connection_id, cached in list(self._clients.items()):
            if cached.connection.exchange in moved and cached.connection.base_url is None:
                cached.client.detach()  # its next use builds a client for the new host
                del self._clients[connection_id]
        self._ctx.reconfigure(config)
        grace_s = max(limits.timeout_ms for limits in config.exchanges.values()) / 1000
        self._ctx.pool.reconfigure(pool_settings(config), grace_s)

    def session(self) -> aiohttp.ClientSession:
        """The HTTP session every client of this hub sends through (its current one)."""
        return self._ctx.pool.session()

    def pool_stats(self) -> dict[str, Any]:
        stats = self._ctx.pool.stats().as_dict()
        stats["clients"] = len(self._clients)
        stats["markets_shared"] = self._shared.markets.count()
        stats["per_host_limit"] = self._ctx.pool.settings.per_host_limit
        return stats

    def clock_offset_ms(self, exchange: ExchangeId | str) -> float | None:
        """The exchange's clock minus ours, None until a sample was taken."""
        clock = self._ctx.clocks.get(ExchangeId(exchange))
        return clock.offset_ms if clock is not None and clock.synced else None

    async def close(self) -> None:
        for cached in self._clients.values():
            cached.client.detach()
        self._clients.clear()
        await self._shared.close()
        await self._ctx.pool.close()

    async def __aenter__(self) -> ExchangeHub:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
