"""The one HTTP connection pool behind every client: one aiohttp session, one SSL context.

Each ccxt instance would otherwise build its own session and SSL context (~0.7 MiB each) and
open its own connections; sharing one keep-alive pool with a per-host limit is what makes a
thousand connections cheap and lets almost every request ride an already open connection. The
pool's connector counts requests and new and reused connections per host so that the reuse rate
is measured, not assumed; it does so itself rather than through aiohttp's tracing hooks, whose
per-request trace objects and signal coroutines cost ~15 us of CPU per request.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import certifi

from cts_tui.config import Pool


HostKey = tuple[str | None, int | None]
"""(host, port) of a request's URL."""


@dataclass(slots=True)
class HostStats:
    requests: int = 0
    new_connections: int = 0
    failed_connections: int = 0

    @property
    def reused_connections(self) -> int:
        """Every request that got a connection without opening one rode an open one."""
        return self.requests - self.new_connections - self.failed_connections

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "new_connections": self.new_connections,
            "reused_connections": self.reused_connections,
        }


@dataclass(slots=True)
class PoolStats:
    open: int
    idle: int
    in_use: int
    requests: int
    new_connections: int
    reused_connections: int
    per_host: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def reuse_pct(self) -> float:
        total = self.new_connections + self.reused_connections
        return 100.0 * self.reused_connections / total if total else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "open": self.open,
            "idle": self.idle,
            "in_use": self.in_use,
            "reuse_pct": round(self.reuse_pct, 2),
            "requests": self.requests,
            "new_connections": self.new_connections,
            "reused_connections": self.reused_connections,
            "per_host": self.per_host,
        }


class _CountingConnector(aiohttp.TCPConnector):
    """Counts, per host, every request that asks for a connection and every connection opened
    (or that failed to open); the rest rode a connection already open (a request still opening
    one, or given up while queued for one, counts there too). Counting costs no coroutine of its
    own: ``connect`` hands back aiohttp's, and only opening a connection (rare on a warm pool)
    passes through an override that awaits."""

    def __init__(self, hosts: dict[HostKey, HostStats], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hosts = hosts

    def _stats(self, req: Any) -> HostStats:
        url = req.url
        key = (url.host, url.port)  # named at ``stats``: no string built per request
        stats = self._hosts.get(key)
        if stats is None:
            stats = self._hosts[key] = HostStats()
        return stats

    def connect(self, req: Any, traces: Any, timeout: Any) -> Coroutine[Any, Any, Any]:
        self._stats(req).requests += 1
        return super().connect(req, traces, timeout)

    async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:
        stats = self._stats(req)
        try:
            protocol = await super()._create_connection(req, traces, timeout)
        except BaseException:
            stats.failed_connections += 1
            raise
        stats.new_connections += 1
        return protocol


class HttpPool:
    """Owns the session; created lazily inside the running loop (aiohttp sessions are bound to
    the loop that made them)."""

    def __init__(self, config: Pool) -> None:
        self._config = config
        self._session: aiohttp.ClientSession | None = None
        self._ssl_context: ssl.SSLContext | None = None
        self._hosts: dict[HostKey, HostStats] = {}
        """Requests and connections per (host, port)."""
        self._closed = False
        self._retiring: set[asyncio.Task[None]] = set()

    @property
    def settings(self) -> Pool:
        return self._config

    def reconfigure(self, config: Pool, grace_s: float) -> None:
        """New limits for the requests to come. aiohttp cannot resize a connector, so a new
        session takes the next requests and the old one closes after ``grace_s`` (the longest
        request timeout), when what it still carries has finished or timed out."""
        if config == self._config:
            return
        self._config = config
        old, self._session = self._session, None
        if old is not None:
            task = asyncio.get_running_loop().create_task(self._retire(old, grace_s), name="cts-pool-retire")
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)

    @staticmethod
    async def _retire(session: aiohttp.ClientSession, grace_s: float) -> None:
        try:
            await asyncio.sleep(grace_s)
        finally:
            await session.close()

    @property
    def ssl_context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context(cafile=certifi.where())
        return self._ssl_context

    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the HTTP pool is closed")
        if self._session is None:
            connector = _CountingConnector(
                self._hosts,
                ssl=self.ssl_context,
                limit=0,
                limit_per_host=self._config.per_host_limit,
                keepalive_timeout=self._config.keepalive_s,
                enable_cleanup_closed=False,
            )
            self._session = aiohttp.ClientSession(connector=connector, loop=asyncio.get_running_loop())
        return self._session

    def stats(self) -> PoolStats:
        idle = in_use = 0
        connector = self._session.connector if self._session is not None else None
        if connector is not None and not connector.closed:
            # aiohttp exposes no public count of pooled connections; these two are its books.
            idle = sum(len(conns) for conns in getattr(connector, "_conns", {}).values())
            in_use = len(getattr(connector, "_acquired", ()))
        totals: Counter[str] = Counter()
        for host in self._hosts.values():
            totals.update(host.as_dict())
        return PoolStats(
            open=idle + in_use,
            idle=idle,
            in_use=in_use,
            requests=totals["requests"],
            new_connections=totals["new_connections"],
            reused_connections=totals["reused_connections"],
            per_host={name: self._hosts[key].as_dict() for name, key in sorted(_named(self._hosts))},
        )

    async def close(self) -> None:
        self._closed = True
        for task in list(self._retiring):
            task.cancel()
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()


def _named(hosts: dict[HostKey, HostStats]) -> list[tuple[str, HostKey]]:
    """Each (host, port) key with its name, ``host:port``."""
    return [(f"{host}:{port}" if port else str(host), (host, port)) for host, port in hosts]
